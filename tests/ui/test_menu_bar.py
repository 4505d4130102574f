"""Issue 16.9/16.10: every action is in the menu bar with its shortcut, each listed shortcut works, and
in a 900x600 window no action of a toolbar hides behind its overflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QAction, QKeySequence

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
        for action in every:
            assert action in actions.values(), action.text()
        shortcuts = {a.shortcut().toString(): a for a in actions.values() if not a.shortcut().isEmpty()}
        wanted = [f"Ctrl+{i}" for i in range(1, window.pages.count() + 1)]
        wanted += ["Ctrl+Q", "Ctrl+N", "Ctrl+O", "Ctrl+F", "Ctrl+L", "F5"]
        assert set(wanted) <= set(shortcuts), sorted(shortcuts)
        # each listed shortcut does something: pages, Ctrl+N as appropriate, Ctrl+O
        shortcuts["Ctrl+3"].trigger()
        assert window.pages.currentIndex() == 2
        assert shortcuts["Ctrl+O"] is gui.packages._page.publish.open_bundle_action
        select(window, "guiorg", app)
        await gui.wait_idle()
        new = shortcuts["Ctrl+N"]

        async def declined(*_args: Any, **_kwargs: Any) -> None:
            return None  # the name dialog, cancelled (the real one is tested in tests/orgs)

        gui.orgs.ask_name = declined  # type: ignore[method-assign]
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
