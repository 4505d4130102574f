"""Switching profiles in the GUI: the work on the old profile's services stops, they are closed, the
pages forget the old profile, and the new services reach every presenter by one path (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import build_gui
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.stores.dirs import AppDirs
from tests.support.gui import until
from tests.support.signin import sign_in


def test_switching_profiles_closes_the_old_services_and_clears_the_pages(
    qtbot, tmp_path: Path, sandbox: Sandbox, loop
) -> None:
    services = build_services(AppDirs.under(tmp_path / "home"))
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(sandbox.endpoints))
    services.profiles.import_file(endpoints, name="first")
    services.profiles.import_file(endpoints, name="second")
    services.profiles.use("first")
    sign_in(sandbox, "first", "alice")  # signed in on the first profile only
    gui = build_gui(services)
    qtbot.addWidget(gui.window)
    gui.window.show()

    async def scenario() -> None:
        gui.auth.restore()
        await until(lambda: gui.auth.identity is not None, "the sign-in")
        await until(lambda: gui.window.nav_model.rowCount() > 0, "the organisations")
        old = services.active.peek()
        assert old is not None and old.profile.name == "first"
        gui.window.profileChosen.emit("second")  # what the profile switcher does
        await until(lambda: old.closed, "the old services to be closed")
        await gui.wait_idle()
        new = services.active.peek()
        assert new is not None and new is not old and new.profile.name == "second"
        assert gui.auth.identity is None and gui.window.status_user.text() == "Signed out"
        assert gui.window.nav_model.rowCount() == 0  # nothing of the first profile stays
        assert gui.packages._packages is new.packages and gui.orgs.session() is new
        assert old.auth._client is None  # its sign-in client was closed
        await gui.shutdown()
        assert new.closed

    loop.run_until_complete(scenario())
