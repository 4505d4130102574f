"""The first publish of an application sends its small files while the rest of the bundle is hashed.

A fresh application's pre-flight checks nothing in S3 for a big bundle (`Catalogue.stored_among`: no
package vouches for any content, and every upload is conditional), so a small file whose hash is known
can be sent at once instead of after the last byte of the largest file is hashed: S3 (or the emulator)
starts working while the local CPU still hashes. What is sent this way is exactly what the publish would
send: content-addressed, conditional (`If-None-Match: *`), with the SHA-256 just computed, which S3
verifies; an object found stored already counts as existing, never as created by this run.

Only without `expected`: a publish of a confirmed pre-flight sends nothing before the bundle is known to
be what the person confirmed (and its hashes come from the cache the pre-flight filled, so there is no
hashing to overlap). Only files below the multipart threshold: large ones keep their checkpointed,
resumable path after the pre-flight. When the pre-flight ends, files queued but not started go back to
the publish's own upload; a failure of an early upload fails the publish once the pre-flight is done,
and a failure or a cancel of the pre-flight stops the early uploads (a PUT already sent is waited for and
recorded, so the undo deletes it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable

from hyperota_desktop.domain.bundles import content_type
from hyperota_desktop.domain.packages import AppKeys
from hyperota_desktop.services.bundle_scan import ScannedFile
from hyperota_desktop.services.hashing import Hashed
from hyperota_desktop.services.storage import S3Storage, UploadItem, UploadReport
from hyperota_desktop.services.transfer import TransferControl, run_all


class EarlyUploads:
    """Takes hashed files (`offer`, on the loop) and sends the small ones once `fresh` says the
    application has no package; `finish()` stops taking and says which contents were handled."""

    def __init__(
        self,
        storage: S3Storage,
        keys: AppKeys,
        *,
        fresh: Awaitable[bool],
        control: TransferControl,
        report: UploadReport,
    ) -> None:
        self._storage, self._keys, self._control, self._report = storage, keys, control, report
        self._queue: deque[UploadItem] = deque()
        self._offered: set[str] = set()
        self._wake = asyncio.Event()
        self._taking = True
        self.handled: dict[str, int] = {}  # SHA-256 → size of each content sent (or found stored)
        self._task = asyncio.ensure_future(self._run(fresh))

    def offer(self, file: ScannedFile, hashed: Hashed) -> None:
        small = file.size < self._storage.uploads.multipart_threshold
        if self._taking and small and hashed.sha256 not in self._offered:
            self._offered.add(hashed.sha256)
            self._queue.append(UploadItem(
                file.local, file.size, hashed.sha256, self._keys.file_key(hashed.sha256),
                content_type(file.path), file.path, hashed.mtime_ns,
            ))  # fmt: skip
            self._wake.set()

    async def _run(self, fresh: Awaitable[bool]) -> None:
        if not await fresh:  # a package exists: the pre-flight finds what it vouches for
            self._stop_taking()
            return
        sem = asyncio.Semaphore(self._storage.concurrency)

        async def worker() -> None:
            while self._taking:
                if not self._queue:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                item = self._queue.popleft()
                await self._storage.uploads.upload_small(
                    item, sem=sem, control=self._control, report=self._report
                )
                self.handled[item.sha256] = item.size

        await run_all([worker() for _ in range(max(1, self._storage.concurrency))])

    def _stop_taking(self) -> None:
        self._taking = False
        self._queue.clear()  # not started: the publish's own upload sends them
        self._wake.set()

    async def finish(self) -> dict[str, int]:
        """Stop taking files, wait for the uploads under way; raises the first failure of one."""
        self._stop_taking()
        await self._task
        return self.handled

    async def abandon(self) -> None:
        """The pre-flight failed or was cancelled: stop, and wait for what is under way (each PUT sent is
        waited for and recorded in the report, `landed_before_cancel`)."""
        self._stop_taking()
        self._task.cancel()
        with contextlib.suppress(BaseException):
            await self._task
