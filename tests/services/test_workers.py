"""Two worker pools: short blocking calls (the journal, checkpoints) never queue behind transfers."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path

import pytest

from hyperota_desktop.app import gui_entry
from hyperota_desktop.app.container import build_services
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.saga import SagaRunner
from hyperota_desktop.services.workers import Workers
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.stores.journal import Journal
from tests.support.saga_demo import definition


async def test_a_journal_write_does_not_wait_for_busy_transfer_threads(tmp_path: Path) -> None:
    workers = Workers.create(transfer_threads=2, short_threads=2)
    gate = threading.Event()
    # Every transfer thread is busy (as with 8 MiB part uploads) and more transfers are queued.
    busy = [asyncio.ensure_future(workers.transfer(gate.wait, 30)) for _ in range(6)]
    runner = SagaRunner(Journal(tmp_path / "journal.sqlite3"), actor="alice", workers=workers)
    runner.register(definition())
    try:
        record = await asyncio.wait_for(runner.run("demo", {"root": str(tmp_path)}, "demo"), timeout=10)
        assert record.status == "done"
        assert not any(f.done() for f in busy)  # the transfers were still holding every thread
    finally:
        gate.set()
        await asyncio.gather(*busy)
        workers.shutdown()


async def test_the_app_runs_s3_calls_and_journal_writes_on_their_own_pools(tmp_path: Path) -> None:
    services = build_services(AppDirs.under(tmp_path / "home"))
    services.profiles.add(Profile(name="p", issuer="https://sso.example.com/realms/x", bucket="bucket"))
    profile = services.profile()
    try:
        s3_thread = await profile.packages.storage.call("probe", lambda: threading.current_thread().name)
        journal_thread = await profile.sagas.workers.short(lambda: threading.current_thread().name)
        assert s3_thread.startswith("hyperota-transfer") and journal_thread.startswith("hyperota-short")
        # sized for the parallel part uploads (setting upload/parallel_parts) plus listings beside them
        assert services.workers.transfers is not None
        assert services.workers.transfers._max_workers == services.settings.get("upload/parallel_parts") + 8
    finally:
        await services.aclose()


def _priority() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread priorities are per thread on Linux")
async def test_the_guis_worker_threads_run_below_its_ui_thread(tmp_path: Path) -> None:
    """The GUI builds its services with `background_nice`: on a busy machine its UI thread gets a CPU
    before the app's own transfers and SQLite calls (P3); the calling (UI) thread keeps its priority."""
    services = build_services(AppDirs.under(tmp_path / "home"), background_nice=gui_entry.WORKER_NICE)
    own = _priority()
    try:
        transfer = await services.workers.transfer(_priority)
        short = await services.workers.short(_priority)
    finally:
        services.workers.shutdown()
    assert transfer == short == min(19, own + gui_entry.WORKER_NICE) > own
    assert _priority() == own


async def test_the_clis_worker_threads_keep_the_process_priority(tmp_path: Path) -> None:
    workers = Workers.create(transfer_threads=1, short_threads=1)  # as the CLI builds them
    try:
        assert await workers.transfer(_priority) == _priority()
    finally:
        workers.shutdown()
