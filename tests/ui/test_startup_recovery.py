"""A publish the app did not finish (it quit mid-upload) is finished once the person is signed in at the
next start, with its progress on the Packages page — not by the organisations presenter before the
navigation is filled (issue 13)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import build_gui
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.services.saga import SagaRuntime
from hyperota_desktop.services.transfer import ProgressSnapshot
from hyperota_desktop.stores.dirs import AppDirs
from tests.support import bundles
from tests.support.gui import until
from tests.support.signin import grant, sign_in

MiB = 1024 * 1024


def _services(home: Path, sandbox: Sandbox) -> AppServices:
    services = build_services(AppDirs.under(home))
    endpoints = home.parent / "endpoints.json"
    endpoints.write_text(json.dumps(sandbox.endpoints))
    if "sb" not in {p.name for p in services.profiles.list()}:
        services.profiles.import_file(endpoints, name="sb")
    services.profiles.use("sb")
    return services


def test_an_interrupted_publish_is_finished_at_the_next_start_with_its_progress(
    qtbot, tmp_path: Path, sandbox: Sandbox, loop
) -> None:
    home, org, app = tmp_path / "home", "restartorg", "restartapp"
    grant(sandbox, "dave", f"/{org}/{app}/write")
    sign_in(sandbox, "sb", "dave")
    root = bundles.write(tmp_path / "b", {"app.hbc": bundles.HERMES_MAGIC + os.urandom(12 * MiB)})
    faults = sandbox.servers["aws"].faults

    async def first_run() -> None:
        services = _services(home, sandbox)
        faults.add(f"/{sandbox.aws.bucket}/{org}/{app}/files/", method="PUT", status=0, delay=0.5, times=100)
        uploading = asyncio.Event()

        def progress(snap: object) -> None:
            if isinstance(snap, ProgressSnapshot) and snap.phase == "uploading" and snap.done:
                uploading.set()

        publish = asyncio.ensure_future(
            services.profile().packages.publish(org, app, [root], runtime=SagaRuntime(progress))
        )
        await asyncio.wait_for(uploading.wait(), 30)
        publish.cancel()  # the app quits mid-upload: not the person's cancel
        with pytest.raises(asyncio.CancelledError):
            await publish
        (record,) = [r for r in services.journal.list() if r.kind == "package.publish"]
        assert record.status == "running"  # left to be finished, not undone
        await services.aclose()

    loop.run_until_complete(first_run())
    faults.clear()

    services = _services(home, sandbox)
    gui = build_gui(services)
    qtbot.addWidget(gui.window)
    page = gui.packages._page
    progress: list[int] = []
    page.progress.valueChanged.connect(progress.append)
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))

    async def next_start() -> None:
        gui.auth.restore()
        await until(lambda: gui.auth.identity is not None, "the sign-in")
        await gui.wait_idle()
        await gui.shutdown()

    loop.run_until_complete(next_start())
    (record,) = [r for r in services.journal.list() if r.kind == "package.publish"]
    assert record.status == "done" and record.data["version"] == 1
    assert progress and progress[-1] == 1000  # it showed where publishes show theirs
    text = f"Finished the interrupted publish of {org}/{app}: version 1."
    assert page.progress_label.text() == text and ("info", text) in posted
    assert not [t for _level, t in posted if "Finished an interrupted operation" in t]  # not the orgs page
