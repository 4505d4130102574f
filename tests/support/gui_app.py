"""The fully wired GUI on the sandbox, a person signed in as after a restart (tokens in the keyring).

`wired(...)` builds the services and the window the way the app does; `signed_in(gui)` lets the auth
presenter restore the sign-in and waits until every page has loaded. Tests then drive the window.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import Gui, build_gui
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.stores.dirs import AppDirs
from tests.support.gui import until
from tests.support.signin import grant, sign_in


def unique(stem: str) -> str:
    """A name no other test of the session uses (the sandbox is shared)."""
    return f"{stem}-{uuid.uuid4().hex[:8]}"


def wired(
    tmp_path: Path,
    sandbox: Any,
    qtbot: Any,
    user: str,
    *levels: str,
    settings: dict[str, Any] | None = None,
    size: tuple[int, int] = (1200, 760),
) -> tuple[AppServices, Gui]:
    """The app on the sandbox with `user` signed in and these role-group paths granted."""
    for path in levels:
        grant(sandbox, user, path)
    services = build_services(AppDirs.under(tmp_path / "home"))
    for key, value in (settings or {}).items():
        services.settings.set(key, value)
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(sandbox.endpoints))
    services.profiles.import_file(endpoints, name="sb")
    services.profiles.use("sb")
    sign_in(sandbox, "sb", user)
    gui = build_gui(services)
    qtbot.addWidget(gui.window)
    gui.window.resize(*size)
    gui.window.show()
    return services, gui


async def signed_in(gui: Gui) -> None:
    """What the app does once its loop runs: restore the sign-in, then let every page load."""
    gui.auth.restore()
    await until(lambda: gui.auth.identity is not None, "the restored sign-in")
    await gui.wait_idle()
