"""Issue 16.9/16.10: every action is in the menu bar with its shortcut, each listed shortcut works, and
in a 900x600 window no action of a toolbar hides behind its overflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest

from hyperota_desktop.sandbox.runtime import Sandbox
from tests.support.gui import select
from tests.support.gui_app import signed_in, unique, wired


def menu_actions(window: Any) -> dict[str, QAction]:
    """Every action of every menu, by object name (separators left out)."""
    found: dict[str, QAction] = {}
    for menu in window.menus.values():
        for action in menu.actions():
            if not action.isSeparator():
                assert action.objectName(), action.text()
                found[action.objectName()] = action
    return found


def test_the_menu_bar_lists_every_action_with_a_working_shortcut(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, artifacts_dir: Path
) -> None:
    app = unique("menus")
    services, gui = wired(tmp_path, sandbox, qtbot, "dave", f"/guiorg/{app}/admin", size=(900, 600))
    window, toolbar = gui.window, gui.orgs.toolbar
    asked: list[str] = []
    toolbar.newOrgRequested.connect(lambda: asked.append("org"))
    toolbar.newAppRequested.connect(lambda: asked.append("app"))

    async def scenario() -> None:
        await signed_in(gui)
        actions = menu_actions(window)
        every = [
            toolbar.new_org_action,
            toolbar.new_app_action,
            toolbar.delete_action,
            toolbar.migrate_action,
        ]
        every += [window.sign_in_action, window.sign_out_action, window.refresh_action]
        every += [window.edit_profile_action, window.new_profile_action]
        releases_page, dimensions_page = gui.release_gui.releases_page, gui.release_gui.dimensions_page
        on_pages = releases_page.actions() + releases_page.detail.actions() + releases_page.preview.actions()
        on_pages += dimensions_page.actions()
        assert len(on_pages) >= 20 and all(not a.shortcut().isEmpty() for a in on_pages)
        for action in every + on_pages:
            assert action in actions.values(), action.text()
        # the window's own keys (a page reuses Ctrl+N and Ctrl+O for its own thing while it has the focus)
        window_wide = {"newOrgOrAppAction", "openBundleAction"}
        shortcuts = {
            a.shortcut().toString(): a
            for a in actions.values()
            if not a.shortcut().isEmpty() and (a.parent() is window or a.objectName() in window_wide)
        }
        wanted = [f"Ctrl+{i}" for i in range(1, window.pages.count() + 1)]
        wanted += ["Ctrl+Q", "Ctrl+N", "Ctrl+O", "Ctrl+F", "Ctrl+L", "F5"]
        assert set(wanted) <= set(shortcuts), sorted(shortcuts)
        # each listed shortcut does something: pages, Ctrl+N as appropriate, Ctrl+O
        shortcuts["Ctrl+3"].trigger()
        assert window.pages.currentIndex() == 2
        # chosen from a menu, a page's action brings its page (and tab) forward first
        for menu_name, action, page_index in (
            ("&Releases", releases_page.refresh_action, 1),
            ("&Dimensions", dimensions_page.refresh_action, 2),
        ):
            window.show_page("members")
            action.setEnabled(True)
            menu = window.menus[menu_name]
            menu.setActiveAction(action)  # as if highlighted in the open menu (offscreen cannot pop up)
            QTest.keyClick(menu, Qt.Key.Key_Return)
            assert window.pages.currentIndex() == page_index, menu_name
        assert releases_page.tabs.currentIndex() == 0
        window.show_page("dimensions")
        assert shortcuts["Ctrl+O"] is gui.packages._page.publish.open_bundle_action
        select(window, "guiorg", app)
        await gui.wait_idle()
        new = shortcuts["Ctrl+N"]

        async def declined(*_args: Any, **_kwargs: Any) -> None:
            return None  # the name dialog, cancelled (the real one is tested in tests/orgs)

        gui.orgs.ask_name = declined
        for org_ok, app_ok, text, wanted_kind in (
            (True, False, "New organisation…", "org"),
            (True, True, "New application…", "app"),  # an organisation selected where one may add apps
            (False, False, "New organisation…", None),  # nothing may be created: Ctrl+N does nothing
        ):
            toolbar.new_org_action.setEnabled(org_ok)
            toolbar.new_app_action.setEnabled(app_ok)
            asked.clear()
            new.trigger()
            assert new.text() == text and new.isEnabled() == (org_ok or app_ok)
            assert asked == ([wanted_kind] if wanted_kind else []), asked
            await gui.wait_idle()
        gui.orgs.permissions_changed()  # back to what the person may really do
        # 900x600: no toolbar action vanishes into the overflow menu
        for bar_action in toolbar.actions():
            widget = toolbar.widgetForAction(bar_action)
            assert widget is not None and widget.isVisible(), bar_action.text()
        window.grab().save(str(artifacts_dir / "main-window-900x600.png"))
        assert QKeySequence("Ctrl+N") == new.shortcut()
        await services.aclose()

    loop.run_until_complete(scenario())
