"""Issue 16.2: sign-out clears every page and re-evaluates every permission.

After Sign out nothing of the person stays on screen (packages, their count, members, "your level"),
and no action that needs a sign-in stays enabled.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hyperota_desktop.sandbox.runtime import Sandbox
from tests.support import bundles
from tests.support.gui import select, until
from tests.support.gui_app import drop_and_confirm, enabled_org_actions, signed_in, unique, wired


def test_sign_out_leaves_nothing_of_the_person_on_screen(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    app = unique("signout")
    services, gui = wired(tmp_path, sandbox, qtbot, "dave", f"/guiorg/{app}/admin")
    page = gui.packages._page
    members = gui.orgs.members_page
    root = bundles.write(tmp_path / "one", {"index.android.bundle": b"one"})

    async def scenario() -> None:
        await signed_in(gui)
        assert gui.window.status_connection.text().startswith("Connected to ")  # issue 16.10
        select(gui.window, "guiorg", app)
        await gui.wait_idle()
        await drop_and_confirm(page, root)
        await until(lambda: page.list_model.rowCount() == 1, "version 1")
        await gui.wait_idle()
        assert page.list_status.text() == "1 package(s)"
        assert page.drop_area.isEnabled()

        gui.auth.sign_out()
        await until(lambda: gui.auth.identity is None, "the sign-out")
        await gui.wait_idle()
        assert page.list_model.rowCount() == 0
        assert not re.search(r"\d+ package", page.list_status.text()), page.list_status.text()
        assert members.model.rowCount() == 0 and not members.add_button.isEnabled()
        assert "admin" not in members.title.text(), members.title.text()
        assert not page.drop_area.isEnabled()
        assert not enabled_org_actions(gui), enabled_org_actions(gui)
        assert gui.window.sign_in_action.isEnabled() and not gui.window.sign_out_action.isEnabled()
        await services.aclose()

    loop.run_until_complete(scenario())
