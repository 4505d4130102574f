"""GUI of organisations against the sandbox: navigation tree, create/delete dialogs, Members page with
the level selector, Activity page. Screenshots go to artifacts/."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QStyleOptionViewItem, QWidget

from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.membership import MemberScope
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.orgs_presenter import OrgsPresenter
from hyperota_desktop.ui.views.main_window import MainWindow
from hyperota_desktop.ui.views.org_dialogs import ConfirmDeleteDialog, DeletionProgressDialog, NameDialog
from hyperota_desktop.ui.views.org_pages import ActivityPage, MembersPage, OrgToolbar
from tests.orgs.test_org_lifecycle import fresh, groups, keys, put_file, workspaces
from tests.support.gui import answer, select
from tests.support.org_env import OrgEnv
from tests.support.release_env import org_page_services


def build(qtbot: Any, env: OrgEnv) -> tuple[MainWindow, OrgsPresenter, list[tuple[str, str]]]:
    window = MainWindow()
    qtbot.addWidget(window)
    toolbar = OrgToolbar(window)
    window.addToolBar(toolbar)
    members, activity = MembersPage(), ActivityPage()
    messages = MessageChannel()
    posted: list[tuple[str, str]] = []
    messages.posted.connect(lambda level, text: posted.append((level, text)))

    async def activity_rows(org: str = "", app: str = "") -> list[Any]:
        return await asyncio.to_thread(env.runner.journal.list, org=org, app=app)

    presenter = OrgsPresenter(window, toolbar, members, activity, activity_rows, messages)
    presenter.set_services(org_page_services(env))
    window.set_page("members", members)
    window.set_page("activity", activity)
    window.resize(1200, 760)
    window.show()
    return window, presenter, posted


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
    # the summary follows the "keep files" choice; without a bucket the files are always kept
    follow = ConfirmDeleteDialog(
        "Delete acme", "acme", lambda keep: ["keep files" if keep else "delete files"], files_option=True
    )
    qtbot.addWidget(follow)
    assert "delete files" in follow.summary.text() and not follow.keep_files.isChecked()
    follow.keep_files.setChecked(True)
    assert "keep files" in follow.summary.text()
    no_bucket = ConfirmDeleteDialog("Delete acme", "acme", ["x"], files_option=False)
    qtbot.addWidget(no_bucket)
    assert no_bucket.keep_files.isChecked() and not no_bucket.keep_files.isEnabled()
    progress = DeletionProgressDialog("Deleting acme", 0)
    qtbot.addWidget(progress)
    progress.report("tenants/acme/", 5)
    assert "Deleted 5 file(s)" in progress.label.text() and progress.bar.maximum() == 0  # busy
    cancelled: list[bool] = []
    progress.cancelRequested.connect(lambda: cancelled.append(True))
    progress.close()  # closing the window means cancel, once
    progress.cancel_button.click()
    assert cancelled == [True] and progress.isVisible() is False
    for widget in [
        *dialog.findChildren(QWidget),
        *confirm.findChildren(QWidget),
        *progress.findChildren(QWidget),
    ]:
        interactive = isinstance(widget, QLineEdit | QComboBox)
        if interactive or widget.metaObject().className() in ("QPushButton", "QCheckBox", "QProgressBar"):
            assert widget.objectName() and widget.accessibleName(), widget


async def test_org_pages_against_the_sandbox(qtbot: Any, env: OrgEnv, sb: Any, artifacts_dir: Path) -> None:
    window, presenter, posted = build(qtbot, env)
    org = fresh("gui")
    presenter.ask_name = answer(org)
    presenter.identity_changed(object())
    await presenter.wait_idle()
    await presenter.new_org()
    assert window.nav_stack.currentWidget() is window.nav_tree
    select(window, org)
    await presenter.wait_idle()
    presenter.ask_name = answer("web")
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
    # the guards show in the selector: alice is the last owner, so her level and membership are locked
    alice_row = next(i for i, r in enumerate(page.model.rows) if r.username == "alice")
    assert page.model.levels_at(alice_row) == ("owner",)
    assert not page.model.flags(page.model.index(alice_row, 3)) & Qt.ItemFlag.ItemIsEditable
    assert "last owner" in page.model.data(page.model.index(alice_row, 3), Qt.ItemDataRole.ToolTipRole)
    assert not page.model.setData(page.model.index(alice_row, 3), "admin")
    page.table.selectRow(alice_row)
    assert not page.remove_button.isEnabled() and "last owner" in page.remove_button.toolTip()
    bob_row = next(i for i, r in enumerate(page.model.rows) if r.username == "bob")
    assert page.model.levels_at(bob_row) == ("owner", "admin", "write", "read")
    page.table.selectRow(bob_row)
    assert page.remove_button.isEnabled()
    window.pages.setCurrentWidget(page)
    assert window.grab().save(str(artifacts_dir / "orgs-members-page.png"))

    await presenter.load_activity()
    window.pages.setCurrentWidget(presenter.activity_page)
    presenter.activity_page.tree.expandAll()
    assert presenter.activity_page.model.rowCount() >= 3
    assert window.grab().save(str(artifacts_dir / "orgs-activity-page.png"))

    put_file(sb, f"tenants/{org}/web/files/a")
    put_file(sb, f"tenants/{org}/web/files/b")
    shown: list[list[str]] = []

    async def confirm(title: str, name: str, preview: Any) -> tuple[bool, bool]:
        shown.append(preview.lines())
        return True, True

    presenter.confirm_delete = confirm
    select(window, org)
    await presenter.wait_idle()
    await presenter.delete_selected()
    lines = shown[0]
    assert any("/" + org in line and "web" in line for line in lines)
    assert any(f"s3://{sb.aws.bucket}/tenants/{org}/ (2 file(s), 2 B)" in line for line in lines)
    assert f"/{org}" not in groups(sb) and len(keys(sb, f"tenants/{org}/")) == 2  # kept
    assert ("info", f"Deleted {org}. Its stored files were kept.") in posted
    assert not [p for p in posted if p[0] == "error"], posted

    for widget in window.findChildren(QWidget):
        cls = widget.metaObject().className()
        if cls in ("QPushButton", "QLineEdit", "QComboBox", "QTableView", "QTreeView", "QToolButton"):
            if widget.objectName().startswith("qt_") or not widget.isVisible():
                continue
            assert widget.objectName(), (cls, widget)


async def test_deletion_progress_and_cancel(
    qtbot: Any, env: OrgEnv, sb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    window, presenter, posted = build(qtbot, env)
    org = fresh("gui-cancel")
    await env.orgs.create_org(org)
    workspace = (await env.orgs.create_app(org, "web")).data["workspace"]
    for i in range(3):
        put_file(sb, f"tenants/{org}/web/f{i}")
    presenter.identity_changed(object())
    await presenter.wait_idle()
    select(window, org, "web")
    await presenter.wait_idle()
    presenter.confirm_delete = answer((True, False))
    seen: list[tuple[str, int, int, bool]] = []
    report = DeletionProgressDialog.report

    def report_then_cancel(dialog: DeletionProgressDialog, where: str, deleted: int) -> None:
        report(dialog, where, deleted)
        seen.append((dialog.label.text(), dialog.bar.value(), dialog.bar.maximum(), dialog.isVisible()))
        dialog.cancel_button.click()

    monkeypatch.setattr(DeletionProgressDialog, "report", report_then_cancel)
    await presenter.delete_selected()
    assert seen == [(f"Deleted 3 of 3 file(s) under tenants/{org}/web/…", 3, 3, True)]
    assert presenter.progress_dialog is None
    assert f"/{org}/web" in groups(sb) and workspaces(sb)[workspace] == "ENABLED"  # undone
    assert keys(sb, f"tenants/{org}/web/") == []  # deleted files cannot come back
    assert any(level == "warning" and "cancelled and undone" in text for level, text in posted), posted
    record = env.runner.journal.list(limit=1)[0]
    assert record.status == "rolled_back" and record.error == "cancelled"

    monkeypatch.undo()
    select(window, org, "web")
    await presenter.wait_idle()
    await presenter.delete_selected()  # again, to finish
    assert f"/{org}/web" not in groups(sb) and workspaces(sb)[workspace] == "DISABLED"
    assert ("info", f"Deleted {org}/web.") in posted
    assert not [p for p in posted if p[0] == "error"], posted


async def test_an_admin_sees_only_what_the_guards_let_them_do(
    qtbot: Any, env: OrgEnv, as_user: Any, sb: Any
) -> None:
    org = fresh("gui-admin")
    await env.orgs.create_org(org)
    scope = MemberScope(org)
    await env.members.add(scope, "bob", AccessLevel.ADMIN)
    await env.members.add(scope, "dave", AccessLevel.WRITE)
    bob = as_user("bob")
    window, presenter, posted = build(qtbot, bob)
    presenter.identity_changed(object())
    await presenter.wait_idle()
    select(window, org)
    await presenter.wait_idle()
    page = presenter.members_page
    rows = {r.username: i for i, r in enumerate(page.model.rows)}
    assert set(rows) == {"alice", "bob", "dave"}
    # no owner for newcomers: only owners make owners
    assert [page.level_combo.itemText(i) for i in range(page.level_combo.count())] == [
        "admin",
        "write",
        "read",
    ]
    alice = page.model.index(rows["alice"], 3)
    assert page.model.levels_at(rows["alice"]) == ("owner",)  # above bob: locked
    assert "level owner" in page.model.data(alice, Qt.ItemDataRole.ToolTipRole)
    page.table.selectRow(rows["alice"])
    assert not page.remove_button.isEnabled() and "owner" in page.remove_button.toolTip()
    assert page.model.levels_at(rows["dave"]) == ("admin", "write", "read")
    page.table.selectRow(rows["dave"])
    assert page.remove_button.isEnabled()
    editor = page.table.itemDelegateForColumn(3).createEditor(
        page.table.viewport(), QStyleOptionViewItem(), page.model.index(rows["dave"], 3)
    )
    assert isinstance(editor, QComboBox) and editor.count() == 3 and editor.accessibleName()
    editor.deleteLater()
    assert not [p for p in posted if p[0] == "error"], posted


async def test_a_reader_sees_the_members_but_may_change_nothing(
    qtbot: Any, env: OrgEnv, as_user: Any, sb: Any
) -> None:
    org = fresh("gui-reader")
    await env.orgs.create_org(org)
    await env.members.add(MemberScope(org), "bob", AccessLevel.READ)
    window, presenter, posted = build(qtbot, as_user("bob"))
    presenter.identity_changed(object())
    await presenter.wait_idle()
    select(window, org)
    await presenter.wait_idle()
    page = presenter.members_page
    # issue 16.7: the organisation's admin permissions let its readers view its members
    assert {r.username for r in page.model.rows} == {"alice", "bob"}
    assert not page.add_button.isEnabled() and not page.remove_button.isEnabled()
    assert "your level: read" in page.title.text()
    assert not [p for p in posted if p[0] == "error"], posted


async def test_a_quick_change_of_selection_never_shows_the_previous_members(
    qtbot: Any, env: OrgEnv, sb: Any
) -> None:
    slow, quick = fresh("gui-slow"), fresh("gui-quick")
    await env.orgs.create_org(slow)
    await env.orgs.create_org(quick)
    await env.members.add(MemberScope(slow), "bob", AccessLevel.READ)
    read_group = (await env.members.role_groups(MemberScope(slow)))[AccessLevel.READ]
    window, presenter, posted = build(qtbot, env)
    presenter.identity_changed(object())
    await presenter.wait_idle()
    # Listing the members of the first organisation is slow; the person moves on meanwhile.
    sb.servers["keycloak"].faults.add(f"/groups/{read_group}/members", method="GET", status=0, delay=1.5)
    select(window, slow)
    await asyncio.sleep(0.3)
    select(window, quick)
    await presenter.wait_idle()
    await asyncio.sleep(1.5)  # past the moment the slow answer would have landed
    page = presenter.members_page
    assert [r.username for r in page.model.rows] == ["alice"], "the previous organisation's members"
    assert quick in page.title.text() and slow not in page.title.text()
    assert not [p for p in posted if p[0] == "error"], posted
