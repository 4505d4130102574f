"""Checksummed, resumable, deduplicated uploads of a publish's files.

Small files go in one `PutObject`; large ones as parallel multipart uploads whose state is checkpointed
after every part (`stores.upload_checkpoints`), so a publish killed mid-way continues without re-sending
finished parts. Every failure aborts the unfinished multipart uploads of the batch and forgets their
checkpoints; only an interruption (the task cancelled without the person asking, as when the app quits,
or the sign-in ending mid-way) keeps them for the resume at the next start. `upload_all` says what it
really sent and which objects it created, so the publish reports bytes sent (not file sizes) and can
undo exactly its own objects.

Every object is written only if absent (`If-None-Match: *`, on `PutObject` and on the multipart
complete): content is addressed by its SHA-256, so an object that exists already holds these bytes, and
a 412 means another publish (or an earlier one) stored it: it is `existing`, never `created`, so no undo
of ours can delete what another package relies on. Each object and part carries its SHA-256, which S3
verifies (`BadDigest`): a file whose bytes changed since they were hashed is refused by S3 even when its
size and mtime did not change (when they did, it is refused before anything is sent): a part's checksum
is the one computed as the file was hashed (`UploadItem.part_sums`), not one of the bytes read at upload
time. A part is sent straight from the file (`FileRange`): the memory of a publish does not grow with the
parts in flight.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.errors import AuthError, Conflict, IntegrityError, NotFound
from hyperota_desktop.services import probes
from hyperota_desktop.services.storage.objects import S3Objects, b64_of_hex
from hyperota_desktop.services.transfer import ProgressMeter, TransferControl, run_all, run_bounded
from hyperota_desktop.services.workers import landed_before_cancel
from hyperota_desktop.stores.upload_checkpoints import PartRecord, UploadCheckpoint, UploadCheckpoints

log = logging.getLogger("hyperota.services.storage")
MiB = 1024 * 1024


@dataclass(frozen=True)
class UploadItem:
    """One distinct content to send: the local file, its SHA-256 and the object key it goes to."""

    local: Path
    size: int
    sha256: str
    key: str
    content_type: str
    label: str  # the file's path inside the bundle, for progress
    mtime_ns: int = 0  # when hashed; a different mtime at upload time means the file changed
    part_size: int = 0  # of `part_sums`: the parts' SHA-256 computed as the file was hashed (0: none)
    part_sums: tuple[str, ...] = ()

    def part_sum(self, number: int, part_size: int) -> str | None:
        """The hashed SHA-256 (base64) of part `number` when split in `part_size` parts; None: unknown."""
        if part_size != self.part_size or not 0 < number <= len(self.part_sums):
            return None
        return self.part_sums[number - 1]


@dataclass
class UploadReport:
    """What a batch really did: bytes stored by this run (resumed parts excluded), the objects it
    created and the objects it found already stored (someone else's: never undone by this run)."""

    bytes_sent: int = 0
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)


class FileRange(io.RawIOBase):
    """`length` bytes of a file from `offset`, read as botocore sends them (a seekable body with a length,
    rewound by a retry): a part is never held in memory whole."""

    def __init__(self, path: Path, offset: int, length: int) -> None:
        super().__init__()
        self._fh = path.open("rb")
        self._offset, self._length, self._pos = offset, length, 0
        self._fh.seek(offset)

    def __len__(self) -> int:
        return self._length

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = min(max(0, base + pos), self._length)
        self._fh.seek(self._offset + self._pos)
        return self._pos

    def read(self, size: int = -1) -> bytes:
        left = self._length - self._pos
        size = left if size is None or size < 0 else min(size, left)
        data = self._fh.read(size) if size else b""
        if len(data) != size:
            raise IntegrityError(f"'{self._fh.name}' became shorter while it was being uploaded.",
                                 hint="Publish again.")  # fmt: skip
        self._pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._fh.close()
        super().close()


class Uploader:
    def __init__(
        self,
        objects: S3Objects,
        checkpoints: UploadCheckpoints,
        *,
        part_size: int = 8 * MiB,
        multipart_threshold: int = 16 * MiB,
        concurrency: int = 8,
    ) -> None:
        if part_size < 5 * MiB:
            raise ValueError("S3 parts are at least 5 MiB")
        self.objects = objects
        self.checkpoints = checkpoints
        self.part_size = part_size
        self.multipart_threshold = max(multipart_threshold, part_size)
        self.concurrency = concurrency
        self._active_uploads: set[str] = set()

    @property
    def bucket(self) -> str:
        return self.objects.bucket

    async def upload_all(
        self,
        items: list[UploadItem],
        *,
        meter: ProgressMeter | None = None,
        control: TransferControl | None = None,
        report: UploadReport | None = None,
    ) -> UploadReport:
        """Upload items (distinct keys) concurrently. `report` (if given) is filled as objects land, so a
        caller sees what was done even when this raises."""
        control = control or TransferControl()
        report = report if report is not None else UploadReport()
        sem = asyncio.Semaphore(self.concurrency)

        async def one(item: UploadItem) -> None:
            await self._upload_one(item, sem, meter, control, report)

        try:
            # `concurrency` workers take the items in turn (not one task per item); `sem` still bounds
            # the requests in flight, multipart parts included.
            await run_bounded(items, one, self.concurrency)
        except BaseException as exc:
            # An interruption, or the sign-in ending (the publish resumes after the next one), keeps
            # the finished parts for the resume.
            interrupted = isinstance(exc, asyncio.CancelledError | AuthError) and not control.cancelled
            if not interrupted:  # failed or cancelled by the person: nothing unfinished stays behind
                await asyncio.shield(self.abort_uploads([i.key for i in items]))
            raise
        return report

    async def _upload_one(
        self,
        item: UploadItem,
        sem: asyncio.Semaphore,
        meter: ProgressMeter | None,
        control: TransferControl,
        report: UploadReport,
    ) -> None:
        if item.size >= self.multipart_threshold:
            await self._multipart(item, sem, meter, control, report)
            return
        await control.checkpoint()
        async with sem:
            await control.checkpoint()
            if meter:
                meter.file(item.label, 0, item.size, "uploading")
            client = await self.objects.client()
            # A cancel waits for the PUT and its record in `report`: landing unrecorded after the undo
            # looked, the object would stay behind, named by no package.
            response = await landed_before_cancel(self._put_small(client, item, report))
        if response is not None:
            echoed = response.get("ChecksumSHA256")
            if echoed and echoed != b64_of_hex(item.sha256):
                raise IntegrityError(
                    f"S3 stored '{item.label}' with checksum {echoed}, expected {b64_of_hex(item.sha256)}."
                )
        if meter:
            meter.file(item.label, item.size, item.size, "done")
            meter.advance(item.size, file_finished=True)

    async def _put_small(self, client: Any, item: UploadItem, report: UploadReport) -> dict[str, Any] | None:
        """PUT a small file (read and sent in one worker call) and record it; None: stored already."""
        try:
            response: dict[str, Any] = await self.objects.call(
                f"Upload '{item.label}'", _put_file, client=client, bucket=self.bucket, item=item
            )
        except Conflict:  # stored already (by an earlier or a concurrent publish): not ours
            report.existing.append(item.key)
            return None
        except IntegrityError as exc:
            if exc.message.startswith("Checksum mismatch"):
                raise
            raise IntegrityError(  # S3 refused its SHA-256: same size and mtime, other bytes
                f"Checksum mismatch for '{item.label}': the file changed after it was hashed "
                f"({exc.message})", hint="Publish again (it will be re-hashed).",
            ) from exc  # fmt: skip
        report.created.append(item.key)
        report.bytes_sent += item.size
        return response

    async def _multipart(
        self,
        item: UploadItem,
        sem: asyncio.Semaphore,
        meter: ProgressMeter | None,
        control: TransferControl,
        report: UploadReport,
    ) -> None:
        client = await self.objects.client()
        short = self.objects.workers.short
        st = await self.objects.workers.transfer(os.stat, item.local)
        if item.mtime_ns and (st.st_mtime_ns, st.st_size) != (item.mtime_ns, item.size):
            raise IntegrityError(
                f"Checksum mismatch risk: '{item.label}' changed after it was hashed.", hint="Publish again."
            )
        cp = await self._resume_checkpoint(item, st.st_mtime_ns)
        if cp is None and await self.objects.size_of(item.key) is not None:
            report.existing.append(item.key)  # stored meanwhile (content-addressed: these very bytes)
            if meter:
                meter.file(item.label, item.size, item.size, "skipped")
                meter.advance(item.size, file_finished=True)
            return
        if cp is None:
            await control.checkpoint()
            created = await self.objects.call(
                f"Start upload of '{item.label}'", client.create_multipart_upload, Bucket=self.bucket,
                Key=item.key, ContentType=item.content_type, ChecksumAlgorithm="SHA256",
            )  # fmt: skip
            cp = UploadCheckpoint(
                self.bucket, item.key, created["UploadId"], str(item.local), item.size, st.st_mtime_ns,
                self.part_size, time.time(),
            )  # fmt: skip
            await short(self.checkpoints.begin, cp)
        self._active_uploads.add(cp.upload_id)
        count = max(1, -(-item.size // cp.part_size))
        already = sum(p.size for p in cp.parts.values())
        if meter:
            meter.file(item.label, already, item.size, "resumed" if already else "uploading")
            meter.advance(0)
        progress = {"done": already}

        async def part(number: int) -> None:
            await control.checkpoint()
            async with sem:
                await control.checkpoint()
                offset = (number - 1) * cp.part_size
                length = min(cp.part_size, item.size - offset)
                # The checksum of the bytes that were hashed (S3 refuses the part if they changed since), or,
                # for a hash without part sums (an older cache), computed now; then sent from the file, in a
                # worker thread (never 8 MiB on the loop, nor in memory): a retry sends a fresh `FileRange`.
                checksum = item.part_sum(number, cp.part_size)
                if checksum is None:
                    checksum = await self.objects.workers.transfer(_part_checksum, item.local, offset, length)
                response = await self.objects.call(
                    f"Upload part {number}/{count} of '{item.label}'", _put_part, client=client,
                    Bucket=self.bucket, Key=item.key, UploadId=cp.upload_id, PartNumber=number,
                    ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum, part=(item.local, offset, length),
                )  # fmt: skip
            record = PartRecord(number, response["ETag"], checksum, length)
            cp.parts[number] = record
            await short(self.checkpoints.part_done, cp.upload_id, record)
            probes.reached("upload.part", key=item.key, part=number)
            report.bytes_sent += length
            progress["done"] += length
            if meter:
                meter.file(item.label, progress["done"], item.size, "uploading")
                meter.advance(length)

        await run_all([part(n) for n in range(1, count + 1) if n not in cp.parts])
        after = await self.objects.workers.transfer(os.stat, item.local)
        if (after.st_size, after.st_mtime_ns) != (item.size, cp.mtime_ns):
            raise IntegrityError(
                f"'{item.label}' changed while it was being uploaded.", hint="Publish again."
            )
        parts = [
            {"PartNumber": p.part_number, "ETag": p.etag, "ChecksumSHA256": p.checksum}
            for p in sorted(cp.parts.values(), key=lambda p: p.part_number)
        ]

        async def complete() -> None:
            try:
                await self.objects.call(
                    f"Finish upload of '{item.label}'", client.complete_multipart_upload, Bucket=self.bucket,
                    Key=item.key, UploadId=cp.upload_id, MultipartUpload={"Parts": parts}, IfNoneMatch="*",
                )  # fmt: skip
            except Conflict:  # another publish stored the same content first: ours is not needed
                await self._abort(item.key, cp.upload_id)
                report.existing.append(item.key)
            else:
                report.created.append(item.key)
                await short(self.checkpoints.finish, self.bucket, item.key)
                self._active_uploads.discard(cp.upload_id)

        await landed_before_cancel(complete())  # as a small file's PUT: recorded, or the undo misses it
        if meter:
            meter.file(item.label, item.size, item.size, "done")
            meter.advance(0, file_finished=True)

    async def _resume_checkpoint(self, item: UploadItem, mtime_ns: int) -> UploadCheckpoint | None:
        """A checkpoint still valid for this file, with only the parts S3 really holds; else None."""
        cp = await self.objects.workers.short(self.checkpoints.get, self.bucket, item.key)
        if cp is None:
            return None
        usable = (cp.path, cp.size, cp.mtime_ns) == (str(item.local), item.size, mtime_ns)
        server: dict[int, str] = {}
        if usable:
            try:
                server = await self._list_parts(item.key, cp.upload_id)
            except NotFound:
                usable = False
        if not usable:
            await self._abort(item.key, cp.upload_id)
            return None
        cp.parts = {n: p for n, p in cp.parts.items() if server.get(n) == p.etag}
        log.info("resuming upload of %s: %d part(s) already stored", item.key, len(cp.parts))
        return cp

    async def _list_parts(self, key: str, upload_id: str) -> dict[int, str]:
        client = await self.objects.client()
        parts: dict[int, str] = {}
        marker = 0
        while True:
            page = await self.objects.call("List uploaded parts", client.list_parts, Bucket=self.bucket,
                                           Key=key, UploadId=upload_id, PartNumberMarker=marker)  # fmt: skip
            for p in page.get("Parts", []):
                parts[int(p["PartNumber"])] = str(p["ETag"])
            if not page.get("IsTruncated"):
                return parts
            marker = int(page.get("NextPartNumberMarker", 0))

    async def _abort(self, key: str, upload_id: str) -> None:
        await self._abort_raw(key, upload_id)
        await self.objects.workers.short(self.checkpoints.finish, self.bucket, key)
        self._active_uploads.discard(upload_id)

    async def abort_uploads(self, keys: list[str]) -> None:
        """Abort our checkpointed multipart uploads for these keys and forget their checkpoints."""
        for key in keys:
            cp = await self.objects.workers.short(self.checkpoints.get, self.bucket, key)
            if cp is not None:
                await self._abort(key, cp.upload_id)

    async def unfinished_uploads(self, prefix: str) -> list[dict[str, Any]]:
        client = await self.objects.client()
        uploads: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        while True:
            page = await self.objects.call("List unfinished uploads", client.list_multipart_uploads, **kwargs)
            uploads.extend(dict(u) for u in page.get("Uploads", []))
            if not page.get("IsTruncated"):
                return uploads
            kwargs["KeyMarker"] = page.get("NextKeyMarker", "")
            kwargs["UploadIdMarker"] = page.get("NextUploadIdMarker", "")

    async def cleanup_orphans(
        self, prefix: str, *, stored: set[str], older_than: timedelta = timedelta(hours=24)
    ) -> int:
        """Abort unfinished multipart uploads under `prefix` nobody will finish.

        Safe to abort: uploads whose key is already stored (content-addressed: nothing to lose), and
        uploads older than `older_than` that no checkpoint of ours can resume. Returns how many.
        """
        ours = await self.objects.workers.short(self.checkpoints.upload_ids, self.bucket, prefix)
        cutoff = datetime.now(UTC) - older_than
        aborted = 0
        for upload in await self.unfinished_uploads(prefix):
            key, upload_id = str(upload["Key"]), str(upload["UploadId"])
            if upload_id in self._active_uploads:
                continue
            initiated = upload.get("Initiated")
            stale = isinstance(initiated, datetime) and initiated < cutoff and upload_id not in ours
            if key in stored or stale:
                if upload_id in ours:
                    await self._abort(key, upload_id)
                else:
                    await self._abort_raw(key, upload_id)
                aborted += 1
        return aborted

    async def _abort_raw(self, key: str, upload_id: str) -> None:
        client = await self.objects.client()
        with contextlib.suppress(NotFound):  # already aborted or completed
            await self.objects.call("Abort upload", client.abort_multipart_upload, Bucket=self.bucket,
                                    Key=key, UploadId=upload_id)  # fmt: skip


def _put_file(client: Any, bucket: str, item: UploadItem) -> Any:
    """PutObject of a small file, if absent. Blocking: run in a worker thread (one per attempt)."""
    with item.local.open("rb") as fh:
        st = os.fstat(fh.fileno())
        if st.st_size != item.size or (item.mtime_ns and st.st_mtime_ns != item.mtime_ns):
            raise IntegrityError(
                f"Checksum mismatch for '{item.label}': the file changed after it was hashed.",
                hint="Publish again (it will be re-hashed).",
            )
        data = fh.read(item.size + 1)
    if len(data) != item.size:
        raise IntegrityError(f"'{item.label}' changed while it was being read.", hint="Publish again.")
    return client.put_object(
        Bucket=bucket, Key=item.key, Body=data, ContentType=item.content_type, IfNoneMatch="*",
        ChecksumAlgorithm="SHA256", ChecksumSHA256=b64_of_hex(item.sha256),
    )  # fmt: skip


def _part_checksum(path: Path, offset: int, length: int) -> str:
    """Base64 SHA-256 of one part (as S3 wants it), read in 1 MiB chunks. Blocking: a worker thread."""
    digest = hashlib.sha256()
    with FileRange(path, offset, length) as part:
        while chunk := part.read(MiB):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode()


def _put_part(client: Any, part: tuple[Path, int, int], **kwargs: Any) -> Any:
    """UploadPart with the part read from the file as it is sent. Blocking: a worker thread."""
    path, offset, length = part
    if path.stat().st_size < offset + length:  # refused here, not as a dropped connection mid-send
        raise IntegrityError(f"'{path}' became shorter while it was being uploaded.", hint="Publish again.")
    with FileRange(path, offset, length) as body:
        return client.upload_part(Body=body, **kwargs)
