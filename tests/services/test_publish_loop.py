"""The event loop stays free during a publish: heavy work runs in worker threads, tasks stay few.

No timing here (that is `benchmarks/bench_publish.py`); these pin the causes of the loop stalls found there:
SHA-256 of every 8 MiB multipart part computed on the loop thread, and one task per file (hashing and
uploading) whose thousands of long-lived objects triggered full garbage collections.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.services import hashing
from hyperota_desktop.services.saga import SagaRuntime
from hyperota_desktop.services.storage import multipart as storage_module
from hyperota_desktop.services.transfer import ProgressSnapshot, run_bounded
from tests.support import bundles
from tests.support.packages_env import make_service

MiB = 1024 * 1024


async def test_multipart_parts_are_hashed_off_the_loop(
    aws: AwsSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    big_hashes: list[int] = []  # thread of every SHA-256 of ≥ 1 MiB done by hashing or storage

    class Digest:  # counts what it hashes, whether given at once or in chunks
        def __init__(self, data: bytes = b"", **kwargs: Any) -> None:
            self._digest, self._size = hashlib.sha256(**kwargs), 0
            self.update(data)

        def update(self, data: bytes) -> None:
            self._digest.update(data)
            self._size += len(data)

        def digest(self) -> bytes:
            if self._size >= MiB:
                big_hashes.append(threading.get_ident())
            return self._digest.digest()

        def hexdigest(self) -> str:
            return self.digest().hex()

    sha256 = Digest

    # parts are checksummed as the file is hashed (hashing), or at upload for a hash cached without them
    for module in (storage_module, hashing):
        monkeypatch.setattr(module, "hashlib", SimpleNamespace(sha256=sha256))
    service = make_service(tmp_path / "home", aws.endpoint)  # 5 MiB parts
    root = bundles.write(tmp_path / "h", {"app.hbc": bundles.HERMES_MAGIC + os.urandom(12 * MiB)})
    result = await service.publish("acme", "app-parts-off-loop", [root])
    assert result.bytes_uploaded == 12 * MiB + len(bundles.HERMES_MAGIC)
    assert len(big_hashes) >= 3  # every part was checksummed…
    assert loop_thread not in big_hashes  # …in a worker thread


async def test_publish_of_many_files_keeps_few_tasks(aws: AwsSandbox, tmp_path: Path) -> None:
    files = {f"assets/f{i}.png": f"png {i}".encode() * 50 for i in range(120)}
    root = bundles.write(tmp_path / "many", {"index.android.bundle": b"var app = 1;", **files})
    peak: dict[str, int] = {}

    def progress(snapshot: ProgressSnapshot) -> None:  # called on the loop thread
        peak[snapshot.phase] = max(peak.get(snapshot.phase, 0), len(asyncio.all_tasks()))

    service = make_service(tmp_path / "home", aws.endpoint, concurrency=4)
    service.storage.concurrency = 4
    result = await service.publish("acme", "app-few-tasks", [root], runtime=SagaRuntime(progress))
    assert result.files == 121
    # hashing: 4 workers, uploads: 4 workers (+ the publish and pytest's own tasks), not one per file
    assert 0 < peak["hashing"] <= 12 and 0 < peak["uploading"] <= 12, peak


async def test_run_bounded_runs_in_order_with_at_most_limit_at_once() -> None:
    running, most, started = 0, 0, []

    async def work(item: int) -> None:
        nonlocal running, most
        started.append(item)
        running += 1
        most = max(most, running)
        await asyncio.sleep(0)
        running -= 1

    await run_bounded(range(50), work, 3)
    assert started == list(range(50)) and most == 3


async def test_run_bounded_first_failure_stops_the_rest() -> None:
    done: list[int] = []

    async def work(item: int) -> None:
        await asyncio.sleep(0)
        if item == 5:
            raise ValueError("boom")
        done.append(item)

    with pytest.raises(ValueError, match="boom"):
        await run_bounded(range(100), work, 4)
    assert 5 not in done and len(done) < 20
