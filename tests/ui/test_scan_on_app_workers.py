"""The pre-flight's folder scan (a dropped bundle read and checked) runs on the app's own worker
threads — the transfer pool the composition root builds, whose threads the GUI runs below the UI
thread — not on asyncio's default pool; and a drop of another bundle meanwhile stops it at the next
file (the thread ends, its result is never shown)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services import bundle_scan
from tests.support import bundles
from tests.support.gui import drop, until
from tests.support.gui_app import signed_in_on, unique, wired


def test_the_scan_runs_on_the_apps_transfer_workers(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = unique("scanpool")
    services, gui = wired(tmp_path, sandbox, qtbot, "alice", f"/guiorg/{app}/write")
    page = gui.packages._page
    threads: list[threading.Thread] = []
    scan_sync = bundle_scan.scan_sync

    def recorded(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return scan_sync(*args, **kwargs)

    monkeypatch.setattr(bundle_scan, "scan_sync", recorded)
    root = bundles.write(tmp_path / "b", {"index.android.bundle": b"x", "a.png": b"y"})

    async def scenario() -> None:
        await signed_in_on(gui, "guiorg", app)
        drop(page, [root])
        await until(lambda: page.publish_button.isEnabled(), "the pre-flight")
        [thread] = threads
        pool = services.workers.transfers
        assert pool is not None and thread in pool._threads, thread.name  # the app's, not asyncio's
        assert thread.name.startswith("hyperota-transfer"), thread.name
        await gui.shutdown()

    loop.run_until_complete(scenario())


def test_dropping_another_bundle_stops_the_running_scan(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = unique("scanstop")
    _services, gui = wired(tmp_path, sandbox, qtbot, "alice", f"/guiorg/{app}/write")
    page = gui.packages._page
    many = bundles.write(tmp_path / "many", {f"img/{n:04d}.png": b"p" for n in range(300)})
    small = bundles.write(tmp_path / "small", {"index.android.bundle": b"x"})
    looked: list[str] = []
    check = bundle_scan._check_name_bytes

    def slow(name: str) -> None:  # a slow disk: each file of the big folder takes a while
        looked.append(name)
        if name.endswith(".png"):
            time.sleep(0.02)
        check(name)

    monkeypatch.setattr(bundle_scan, "_check_name_bytes", slow)

    async def scenario() -> None:
        await signed_in_on(gui, "guiorg", app)
        drop(page, [many])
        await until(lambda: len(looked) >= 5, "the scan of the big folder to start")
        drop(page, [small])  # the person changed their mind
        await until(lambda: page.publish_button.isEnabled(), "the small bundle's pre-flight")
        await gui.wait_idle()
        stopped_at = len([n for n in looked if n.endswith(".png")])
        assert stopped_at < 300, stopped_at  # the big folder's walk ended early
        rows = [page.preflight_model.rows[i].path for i in range(len(page.preflight_model.rows))]
        assert rows == ["index.android.bundle"], rows
        await asyncio.sleep(0.5)  # a walk still going would look at ~25 more files meanwhile
        assert len([n for n in looked if n.endswith(".png")]) == stopped_at  # it goes no further
        await gui.shutdown()

    loop.run_until_complete(scenario())
