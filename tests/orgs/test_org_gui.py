"""GUI of organisations against the sandbox: navigation tree, create/delete dialogs, Members page with
the level selector, Activity page. Screenshots go to artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from hyperota_desktop.services.org_session import OrgSession
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.orgs_presenter import OrgsPresenter
from hyperota_desktop.ui.views.main_window import MainWindow
from hyperota_desktop.ui.views.org_dialogs import ConfirmDeleteDialog, NameDialog
from hyperota_desktop.ui.views.org_pages import ActivityPage, MembersPage, OrgToolbar
from tests.orgs.test_org_lifecycle import fresh, groups
from tests.support.org_env import OrgEnv


def build(qtbot: Any, env: OrgEnv) -> tuple[MainWindow, OrgsPresenter, list[tuple[str, str]]]:
    window = MainWindow()
    qtbot.addWidget(window)
    toolbar = OrgToolbar(window)
    window.addToolBar(toolbar)
    members, activity = MembersPage(), ActivityPage()
    messages = MessageChannel()
    posted: list[tuple[str, str]] = []
    messages.posted.connect(lambda level, text: posted.append((level, text)))
    session = OrgSession(None, env.backends, env.orgs, env.members)  # type: ignore[arg-type]
    presenter = OrgsPresenter(
        window, toolbar, members, activity, lambda: session, lambda: env.runner.journal.list(), messages
    )
    window.set_page("members", members)
    window.set_page("activity", activity)
    window.resize(1200, 760)
    window.show()
    return window, presenter, posted


def select(window: MainWindow, org: str, app: str = "") -> None:
    window.nav_search.setText(app or org)
    proxy = window.nav_filter
    root = proxy.index(0, 0)
    index = root if not app else proxy.index(0, 0, root)
    window.nav_tree.setCurrentIndex(index)


def test_dialogs_validate_inline_and_demand_the_name(qtbot: Any) -> None:
    from hyperota_desktop.domain.names import name_problem

    dialog = NameDialog("New organisation", "Organisation name", lambda n: name_problem(n))
    qtbot.addWidget(dialog)
    dialog.edit.setText("Bad Name")
    assert not dialog.ok.isEnabled() and "lowercase" in dialog.error.text()
    dialog.edit.setText("good-name")
    assert dialog.ok.isEnabled() and dialog.error.text() == ""
    confirm = ConfirmDeleteDialog("Delete acme", "acme", ["delete the group /acme"], files_option=True)
    qtbot.addWidget(confirm)
    assert "delete the group /acme" in confirm.summary.text() and not confirm.ok.isEnabled()
    confirm.edit.setText("acm")
    assert not confirm.ok.isEnabled()
    confirm.edit.setText("acme")
    assert confirm.ok.isEnabled()
    for widget in [*dialog.findChildren(QWidget), *confirm.findChildren(QWidget)]:
        if isinstance(widget, QLineEdit | QComboBox) or widget.metaObject().className() == "QPushButton":
            assert widget.objectName() and widget.accessibleName(), widget


async def test_org_pages_against_the_sandbox(qtbot: Any, env: OrgEnv, sb: Any, artifacts_dir: Path) -> None:
    window, presenter, posted = build(qtbot, env)
    org = fresh("gui")
    presenter.ask_name = lambda title, prompt, kind: org  # type: ignore[method-assign]
    presenter.identity_changed(object())
    await presenter.wait_idle()
    await presenter.new_org()
    assert window.nav_stack.currentWidget() is window.nav_tree
    select(window, org)
    await presenter.wait_idle()
    presenter.ask_name = lambda title, prompt, kind: "web"  # type: ignore[method-assign]
    await presenter.new_app()
    select(window, org)
    await presenter.wait_idle()

    page = presenter.members_page
    assert [r.username for r in page.model.rows] == ["alice"] and page.add_button.isEnabled()
    page.user_edit.setText("bob")
    page.level_combo.setCurrentText("write")
    page.add_button.click()
    await presenter.wait_idle()
    assert {r.username: r.level for r in page.model.rows} == {"alice": "owner", "bob": "write"}
    bob_row = next(i for i, r in enumerate(page.model.rows) if r.username == "bob")
    page.model.setData(page.model.index(bob_row, 3), "read")  # what the level combobox does
    await presenter.wait_idle()
    assert {r.username: r.level for r in page.model.rows}["bob"] == "read"
    window.pages.setCurrentWidget(page)
    assert window.grab().save(str(artifacts_dir / "orgs-members-page.png"))

    await presenter.load_activity()
    window.pages.setCurrentWidget(presenter.activity_page)
    presenter.activity_page.tree.expandAll()
    assert presenter.activity_page.model.rowCount() >= 3
    assert window.grab().save(str(artifacts_dir / "orgs-activity-page.png"))

    lines = presenter.consequences(org, "")
    assert any("/" + org in line and "web" in line for line in lines)
    assert any("tenants/" + org + "/" in line for line in lines)
    presenter.confirm_delete = lambda title, name, what: (True, True)  # type: ignore[method-assign]
    select(window, org)
    await presenter.wait_idle()
    await presenter.delete_selected()
    assert f"/{org}" not in groups(sb)
    assert not [p for p in posted if p[0] == "error"], posted

    for widget in window.findChildren(QWidget):
        cls = widget.metaObject().className()
        if cls in ("QPushButton", "QLineEdit", "QComboBox", "QTableView", "QTreeView", "QToolButton"):
            if widget.objectName().startswith("qt_") or not widget.isVisible():
                continue
            assert widget.objectName(), (cls, widget)
