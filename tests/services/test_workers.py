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
from hyperota_desktop.domain.settings import GUI_DEFAULTS
from hyperota_desktop.services.saga import SagaRunner
from hyperota_desktop.services.workers import Workers
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.stores.journal import Journal
from hyperota_desktop.stores.settings import SettingsStore
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


async def test_the_window_sends_four_parts_at_once_unless_the_person_set_another_number(
    tmp_path: Path,
) -> None:
    """The GUI's default for `upload/parallel_parts` is 4 (the CLI's 8): fewer transfer threads taking
    the GIL back from its UI thread during a publish (P3). A stored setting applies to both."""
    home = AppDirs.under(tmp_path / "home")
    bucket = Profile(name="p", issuer="https://sso.example.com/realms/x", bucket="bucket")

    def concurrency(defaults: dict[str, object] | None = None) -> tuple[int, int]:
        services = build_services(home, setting_defaults=defaults)
        services.profiles.add(bucket, overwrite=True)
        try:
            uploads = services.profile().packages.storage.uploads
            assert services.workers.transfers is not None
            return uploads.concurrency, services.workers.transfers._max_workers
        finally:
            services.workers.shutdown()

    assert GUI_DEFAULTS["upload/parallel_parts"] == 4
    assert concurrency(GUI_DEFAULTS) == (4, 4 + 8)  # the window
    assert concurrency() == (8, 8 + 8)  # the CLI
    SettingsStore(home.config / "settings.json").set("upload/parallel_parts", 6)
    assert concurrency(GUI_DEFAULTS) == concurrency() == (6, 6 + 8)


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
