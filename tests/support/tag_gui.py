"""What the window tests of tags start from: alice's window on the sandbox, what it says, a new
application with a few versions (the first tagged `beta`, made through the services) chosen on the
Packages page, and the Activity page's rows as text."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from hyperota_desktop.app.gui_composition import Gui
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.services.profile_services import ProfileServices
from tests.support import bundles
from tests.support.gui import select, until
from tests.support.gui_app import signed_in, wired


def alices_window(tmp_path: Path, sandbox: Any, qtbot: Any) -> tuple[AppServices, Gui, list[tuple[str, str]]]:
    """alice's window (errors said as messages, no dialogs) and what it says: (level, text), in order."""
    services, gui = wired(tmp_path, sandbox, qtbot, "alice", error_dialogs=False)
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))
    return services, gui, posted


def org_and_app(stem: str) -> tuple[str, str]:
    """A new organisation `<stem>-…` and its application `shop-…` (the sandbox is shared)."""
    unique = uuid.uuid4().hex[:8]
    return f"{stem}-{unique}", f"shop-{unique}"


async def app_with_versions(
    services: ProfileServices, folder: Path, org: str, app: str, versions: int
) -> None:
    """`org/app` created with `versions` versions of a bundle in `folder` (the first tagged `beta`)."""
    await services.orgs.create_org(org)
    await services.orgs.create_app(org, app)
    root = bundles.react_native(folder)
    await services.packages.publish(org, app, [root], tag="beta")
    for content in (b"second", b"third")[: versions - 1]:
        (root / "index.android.bundle").write_bytes(content)
        await services.packages.publish(org, app, [root])


async def listed(services: AppServices, gui: Gui, folder: Path, org: str, app: str, versions: int) -> None:
    """Signed in; `org/app` with its versions (as above) chosen, all of them in the Packages list."""
    await signed_in(gui)
    await app_with_versions(services.profile(), folder, org, app, versions)
    await gui.orgs.refresh()
    select(gui.window, org, app)
    await gui.orgs.wait_idle()
    await gui.packages.wait_idle()
    page = gui.packages._page
    await until(lambda: page.list_model.rowCount() == versions, f"the {versions} versions in the list")


def rows_of(activity_page: Any) -> list[tuple[str, str, str, str]]:
    """(operation, status, by, what came of it) of every Activity row, newest first."""
    model = activity_page.model
    return [tuple(model.item(i, c).text() for c in (1, 2, 3, 4)) for i in range(model.rowCount())]
