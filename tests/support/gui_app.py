"""The fully wired GUI on the sandbox, a person signed in as after a restart (tokens in the keyring).

`wired(...)` builds the services and the window the way the app does; `signed_in(gui)` lets the auth
presenter restore the sign-in and waits until every page has loaded. Tests then drive the window, with
the steps several of them share below (a publish paused mid-upload, the organisation actions enabled).
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import Gui, build_gui
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.stores.dirs import AppDirs
from tests.support import bundles
from tests.support.gui import drop, select, until
from tests.support.signin import grant, sign_in

MiB = 1024 * 1024
# An upload that has parts to pause between: 5 MiB parts, one at a time (with `big_bundle`).
ONE_PART_AT_A_TIME = {"upload/parallel_parts": 1, "upload/part_size_mib": 5}


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
    error_dialogs: bool = True,
) -> tuple[AppServices, Gui]:
    """The app on the sandbox with `user` signed in and these role-group paths granted (`error_dialogs`
    False: errors only said as messages, as `build_gui` takes it)."""
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
    gui = build_gui(services, error_dialogs=error_dialogs)
    qtbot.addWidget(gui.window)
    gui.window.resize(*size)
    gui.window.show()
    return services, gui


async def signed_in(gui: Gui) -> None:
    """What the app does once its loop runs: restore the sign-in, then let every page load."""
    gui.auth.restore()
    await until(lambda: gui.auth.identity is not None, "the restored sign-in")
    await gui.wait_idle()


def big_bundle(folder: Path, mib: int = 20) -> Path:
    """A bundle with a `mib` MiB file of random bytes: uploaded in several parts."""
    return bundles.write(folder, {"index.android.bundle": b"one", "raw/big.bin": os.urandom(mib * MiB)})


async def drop_and_confirm(page: Any, root: Path) -> None:
    """Drop `root` on the Packages page, wait for its pre-flight, click Publish and confirm."""
    drop(page, [root])
    await until(lambda: page.publish_button.isEnabled(), "the pre-flight")
    page.publish_button.click()
    await until(lambda: page.confirm_panel.isVisibleTo(page), "the confirmation")
    page.confirm_button.click()


async def publish_paused_mid_upload(gui: Gui, root: Path) -> None:
    """Publish `root` from the packages page and click Pause between two of its parts (the settings
    `ONE_PART_AT_A_TIME`); returns once the publish is paused."""
    presenter, page = gui.packages, gui.packages._page
    shown = page.show_progress
    paused: list[bool] = []

    def pause_mid_upload(phase: str, done: int, total: int, *rest: Any) -> None:
        shown(phase, done, total, *rest)
        if phase == "uploading" and 0 < done < total and not paused:
            paused.append(True)
            page.pause_button.click()  # between two parts of the big file

    page.show_progress = pause_mid_upload  # type: ignore[method-assign]
    try:
        await drop_and_confirm(page, root)
        await until(lambda: bool(paused) and bool(presenter.control and presenter.control.paused), "pause")
    finally:
        page.show_progress = shown  # type: ignore[method-assign]


async def signed_in_on(gui: Gui, org: str, app: str) -> None:
    """Signed in (as `signed_in`), then `org/app` chosen in the tree and its pages loaded."""
    await signed_in(gui)
    select(gui.window, org, app)
    await gui.wait_idle()


async def paused_in(gui: Gui, org: str, app: str, root: Path) -> None:
    """Signed in, `org/app` chosen, and a publish of `root` to it paused mid-upload (as above)."""
    await signed_in_on(gui, org, app)
    await publish_paused_mid_upload(gui, root)


def enabled_org_actions(gui: Gui) -> list[str]:
    """The organisation toolbar's actions that are enabled (New organisation, New application, Delete,
    Migrate workspace)."""
    toolbar = gui.orgs.toolbar
    actions = (toolbar.new_org_action, toolbar.new_app_action, toolbar.delete_action, toolbar.migrate_action)
    return [a.text() for a in actions if a.isEnabled()]


def offered(gui: Gui) -> list[str]:
    """The titles of the paused publishes the Packages page offers, top (newest) first."""
    offers = gui.packages._page.paused_offers
    return [row.title.text() for row in offers.rows] if offers.isVisibleTo(gui.packages._page) else []
