"""Keyboard and accessibility, walked over every surface of the app: each page of the main window, the
welcome page, and every dialog. A new page or dialog is one line in SURFACES (or PAGES of the window).

- Accessible names: every interactive widget a person can reach has an objectName and an accessible name.
- Tab order: Tab from the first widget visits every focusable widget of the surface and comes back to
  the start (no trap, nothing unreachable), with the page's own widgets in one run (no jumping out and
  back in).
- The F1 sheet lists every action that has a shortcut, generated from the actions themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import Gui, build_gui
from hyperota_desktop.domain.dimensions import Dimension
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.domain.releases import ReleaseAction, release_from_experiment
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.ui.views.dimensions_page import NewDimensionDialog
from hyperota_desktop.ui.views.login_dialog import LoginDialog
from hyperota_desktop.ui.views.main_window import PAGES
from hyperota_desktop.ui.views.org_dialogs import ConfirmDeleteDialog, DeletionProgressDialog, NameDialog
from hyperota_desktop.ui.views.release_dialogs import ConfirmActionDialog
from hyperota_desktop.ui.views.release_wizard import ReleaseWizard
from hyperota_desktop.ui.views.shortcuts_sheet import ShortcutsSheet, shortcut_rows
from hyperota_desktop.ui.widgets.profile_editor import ProfileEditor

INTERACTIVE = (
    QAbstractButton,
    QComboBox,
    QLineEdit,
    QAbstractItemView,
    QAbstractSpinBox,
    QAbstractSlider,
    QTextEdit,
    QPlainTextEdit,
)
ISSUER = "https://sso.example.com/realms/x"
WIZARD_STEPS = ("target", "package", "files", "config", "review")

# Dialogs, each built as the app builds it (parent: the main window). One line per dialog.
SURFACES: dict[str, Callable[[QWidget], QDialog]] = {
    "login": lambda w: LoginDialog("prod", w),
    "profile editor (new)": lambda w: ProfileEditor(None, set(), w),
    "profile editor (edit)": lambda w: ProfileEditor(Profile(name="prod", issuer=ISSUER), {"prod"}, w),
    "name": lambda w: NameDialog("New organisation", "Organisation name", lambda _n: None, w),
    "confirm delete": lambda w: ConfirmDeleteDialog(
        "Delete", "shop", ["all of it"], files_option=True, parent=w
    ),
    "deletion progress": lambda w: DeletionProgressDialog("Deleting shop", 10, w),
    "shortcuts": lambda w: ShortcutsSheet(w),
    "new dimension": lambda w: NewDimensionDialog({"city"}, w),
    "confirm release action": lambda w: ConfirmActionDialog("Pause", ["devices go back"], "Pause", parent=w),
    **{f"release wizard: {step}": (lambda w, i=i: _wizard_at(w, i)) for i, step in enumerate(WIZARD_STEPS)},
}


def _wizard_at(parent: QWidget, step: int) -> QDialog:
    """The release wizard opened at one step (as the presenter fills it: the app's dimensions)."""
    wizard = ReleaseWizard("New release", parent=parent)
    wizard.target_page.set_dimensions([Dimension("city", 1, {"type": "string"})])
    wizard.setStartId(wizard.pageIds()[step])
    return wizard


def _internal(widget: QWidget) -> bool:
    """Qt's own parts (tab bars, headers, spin-box line edits): named by Qt, described by their owner."""
    if isinstance(widget, QHeaderView):
        return True
    node: QWidget | None = widget
    while node is not None:
        if node.objectName().startswith("qt_"):
            return True
        node = node.parentWidget()
    return False


def reachable(root: QWidget) -> list[QWidget]:
    return [
        w
        for w in root.findChildren(QWidget)
        if isinstance(w, INTERACTIVE) and w.isVisibleTo(root) and not _internal(w)
    ]


def unnamed(root: QWidget) -> list[str]:
    return [
        f"{type(w).__name__} {w.objectName() or '(no objectName)'}: {w.text() if hasattr(w, 'text') else ''}"
        for w in reachable(root)
        if not w.objectName() or not w.accessibleName()
    ]


def tab_cycle(start: QWidget, limit: int = 200) -> list[QWidget]:
    """Press Tab from `start` until focus comes back to it; fail on a trap (focus stuck) or no return."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    first = QApplication.focusWidget()
    assert first is not None, "nothing takes the focus"
    seen = [first]
    for _ in range(limit):
        current = QApplication.focusWidget()
        assert current is not None
        QTest.keyClick(current, Qt.Key.Key_Tab)
        QApplication.processEvents()
        after = QApplication.focusWidget()
        if after is first:
            return seen
        assert after is not current, f"Tab is trapped in {current.objectName() or type(current).__name__}"
        assert after is not None
        seen.append(after)
    raise AssertionError(f"Tab never came back to the start: {[w.objectName() for w in seen[:30]]}")


def focusable(root: QWidget) -> set[QWidget]:
    """What Tab must reach; an editable combo box's own line edit is reached through its combo box."""
    return {
        w
        for w in reachable(root)
        if w.isEnabled()
        and w.focusPolicy() & Qt.FocusPolicy.TabFocus
        and w.isVisible()
        and not isinstance(w.parentWidget(), QComboBox)
    }


@pytest.fixture
def gui(qtbot, tmp_path: Path) -> Gui:
    services = build_services(AppDirs.under(tmp_path))
    services.profiles.add(Profile(name="prod", issuer=ISSUER))
    services.profiles.use("prod")
    built = build_gui(services)
    qtbot.addWidget(built.window)
    built.window.show()
    qtbot.waitExposed(built.window)
    built.window.activateWindow()
    qtbot.waitActive(built.window)
    return built


@pytest.mark.parametrize("key", [key for key, _title, _text in PAGES])
def test_every_widget_of_every_page_is_named(gui: Gui, key: str) -> None:
    window = gui.window
    window.pages.setCurrentIndex([k for k, _t, _x in PAGES].index(key))
    page = window.pages.currentWidget()
    assert unnamed(page) == [], key
    assert unnamed(window) == []  # toolbars, navigation, status bar


def test_every_widget_of_the_welcome_page_is_named(qtbot, tmp_path: Path) -> None:
    gui = build_gui(build_services(AppDirs.under(tmp_path)))  # no profile: the welcome page
    qtbot.addWidget(gui.window)
    gui.window.show()
    assert gui.welcome.shown
    assert unnamed(gui.window) == []


@pytest.mark.parametrize("name", list(SURFACES))
def test_every_widget_of_every_dialog_is_named_and_tab_goes_round(gui: Gui, qtbot, name: str) -> None:
    dialog = SURFACES[name](gui.window)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitActive(dialog)
    assert dialog.objectName(), name
    assert unnamed(dialog) == [], name
    expected = focusable(dialog)
    if expected:
        cycle = tab_cycle(next(iter(sorted(expected, key=lambda w: w.objectName()))))
        assert expected <= set(cycle), [w.objectName() for w in expected - set(cycle)]
    dialog.close()


@pytest.mark.parametrize("key", [key for key, _title, _text in PAGES])
def test_tab_visits_each_page_in_order_without_traps(gui: Gui, key: str) -> None:
    window = gui.window
    window.pages.setCurrentIndex([k for k, _t, _x in PAGES].index(key))
    page = window.pages.currentWidget()
    cycle = tab_cycle(window.nav_search)
    missing = focusable(window) - set(cycle)
    assert not missing, [w.objectName() for w in missing]
    # Tab leaves lists and tables at once (arrows move inside), however many rows they hold.
    assert not [v.objectName() for v in page.findChildren(QAbstractItemView) if v.tabKeyNavigation()]
    # The navigation comes first, then the page; the page's own widgets form one run.
    assert cycle[0] is window.nav_search
    on_page = [i for i, w in enumerate(cycle) if page.isAncestorOf(w)]
    assert on_page == list(range(on_page[0], on_page[0] + len(on_page))) if on_page else True, [
        w.objectName() for w in cycle
    ]


def test_f1_opens_a_sheet_of_every_shortcut(gui: Gui, qtbot) -> None:
    window = gui.window
    with_keys = [a for a in window.findChildren(QAction) if any(not k.isEmpty() for k in a.shortcuts())]
    assert {"shortcutsAction", "refreshAction", "signInAction", "searchAction"} <= {
        a.objectName() for a in with_keys
    }
    rows = shortcut_rows(window)
    keys = {(where, text): shown for where, text, shown in rows}
    assert len(keys) == len(rows), "an action is listed twice in one place with different keys"
    assert keys[("Everywhere", "Refresh")] == "F5" and keys[("Everywhere", "Keyboard shortcuts")] == "F1"
    assert keys[("Everywhere", "Show Packages")] == "Ctrl+1"
    # Pages reuse keys and names: each page's own actions are listed under that page, not lost.
    assert keys[("Releases", "Refresh")] == "Ctrl+R" and keys[("Dimensions", "Refresh")] == "Ctrl+R"
    assert keys[("Releases", "New release")] == "Ctrl+N" and keys[("Dimensions", "New dimension")] == "Ctrl+N"
    assert rows[0][0] == "Everywhere"  # the window's own first, then page by page in the tabs' order
    tab_order = [window.pages.tabText(i) for i in range(window.pages.count())]
    pages = [where.split(" > ")[0] for where, _t, _k in rows if where.split(" > ")[0] in tab_order]
    assert pages == sorted(pages, key=tab_order.index)
    assert keys[("Navigation", "New organisation")] == "Ctrl+N"  # where the organisations are
    assert keys[("Releases > Device preview", "Preview")] == "Ctrl+Return"  # a tab within a page
    assert len(rows) == len(with_keys)  # one row per action: none dropped
    QTest.keyClick(window, Qt.Key.Key_F1)
    sheet = window.findChild(ShortcutsSheet, "shortcutsSheet")
    assert sheet is not None and sheet.isVisible()
    table = sheet.table
    listed = {tuple(table.item(r, c).text() for c in range(3)) for r in range(table.rowCount())}
    assert ("Refresh", "F5", "Everywhere") in listed and ("Keyboard shortcuts", "F1", "Everywhere") in listed
    assert ("Refresh", "Ctrl+R", "Releases") in listed and ("Refresh", "Ctrl+R", "Dimensions") in listed
    sheet.close()


def test_no_two_shortcuts_that_work_in_the_same_place_share_keys(gui: Gui) -> None:
    """A key bound twice where both work does nothing useful (Qt calls it ambiguous): a page's keys may
    repeat another page's, never the window's own nor those of the page around it."""
    rows = shortcut_rows(gui.window)

    def around(outer: str, inner: str) -> bool:
        return outer == "Everywhere" or inner == outer or inner.startswith(f"{outer} > ")

    clashes = [
        (a, b)
        for i, a in enumerate(rows)
        for b in rows[i + 1 :]
        if a[2] == b[2] and (around(a[0], b[0]) or around(b[0], a[0]))
    ]
    assert clashes == []


def test_ctrl_n_makes_the_thing_of_where_the_focus_is(gui: Gui) -> None:
    window, toolbar = gui.window, gui.orgs.toolbar
    releases = gui.release_gui.releases_page
    made: list[str] = []
    toolbar.newOrgRequested.connect(lambda: made.append("organisation"))
    toolbar.new_org_action.setEnabled(True)  # as for a person who may make one
    releases.new_action.setEnabled(True)
    releases.new_action.triggered.connect(lambda: made.append("release"))
    window.nav_search.setFocus()
    QTest.keyClick(window.nav_search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    window.pages.setCurrentIndex(1)
    releases.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # whatever has the focus on the page
    releases.setFocus()
    QApplication.processEvents()
    QTest.keyClick(releases, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert made == ["organisation", "release"]


def _release_detail(gui: Gui) -> None:
    """The releases page with a running release shown in its detail, every action it allows enabled."""
    page = gui.release_gui.releases_page
    page.set_live(True)
    page.set_can_create(True, "", True)
    page.tabs.setCurrentIndex(0)
    page.detail.show_release(release_from_experiment(RUNNING))
    page.detail.set_actions(frozenset(ReleaseAction), {}, can_create=(True, ""))


def _device_preview(gui: Gui) -> None:
    """The device preview tab, online, with a typed input per dimension of every kind."""
    page = gui.release_gui.releases_page
    page.tabs.setCurrentWidget(page.preview)
    page.preview.set_live(True)
    page.preview.set_dimensions(
        [
            Dimension("city", 1, {"type": "string"}),
            Dimension("tier", 2, {"type": "string", "enum": ["free", "gold"]}),
            Dimension("build", 3, {"type": "integer"}),
            Dimension("beta", 4, {"type": "boolean"}),
        ]
    )


RUNNING = {
    "id": "7000001", "created_at": "2026-01-01T00:00:00+00:00", "created_by": "alice@example.com",
    "last_modified": "2026-01-01T00:00:00+00:00", "last_modified_by": "alice@example.com",
    "name": "shop package 2", "override_keys": ["package.version", "config.version"], "status": "INPROGRESS",
    "traffic_percentage": 20, "started_at": None, "started_by": None,
    "context": {"==": [{"var": "city"}, "Pune"]}, "chosen_variant": None, "description": "Release 2",
    "change_reason": "test", "metrics": {},
    "variants": [
        {"id": f"7000001-{label.lower()}", "variant_type": label, "context_id": None, "override_id": None,
         "overrides": {"package.version": version, "config.version": "2"}}
        for label, version in (("CONTROL", 1), ("EXPERIMENTAL", 2))
    ],
}  # fmt: skip
PAGE_SURFACES: dict[str, Callable[[Gui], None]] = {
    "release detail": _release_detail,
    "device preview": _device_preview,
}


@pytest.mark.parametrize("name", list(PAGE_SURFACES))
def test_every_widget_of_the_release_detail_and_preview_is_named_and_tab_goes_round(
    gui: Gui, name: str
) -> None:
    window = gui.window
    window.show_page("releases")
    PAGE_SURFACES[name](gui)
    QApplication.processEvents()
    page = window.pages.currentWidget()
    assert unnamed(page) == [], name
    cycle = tab_cycle(window.nav_search)
    missing = focusable(window) - set(cycle)
    assert not missing, [w.objectName() for w in missing]
    surface = gui.release_gui.releases_page.detail if name == "release detail" else None
    surface = surface or gui.release_gui.releases_page.preview
    assert [w for w in cycle if surface.isAncestorOf(w)], f"Tab never reaches the {name}"
