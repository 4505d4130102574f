"""S3 for packages: listing, conditional puts, and checksummed, resumable, deduplicated uploads.

Every boto3 call runs in a worker thread (`asyncio.to_thread`) through `_call`, which retries 5xx,
429 and timeouts with exponential backoff and jitter and maps everything else to our typed errors.
Objects carry a SHA-256 checksum S3 verifies (`ChecksumSHA256`); large files go as parallel multipart
uploads whose state is checkpointed after every part (`stores.upload_checkpoints`), so a publish killed
mid-way continues without re-sending finished parts.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from hyperota_desktop.domain.errors import (
    AuthError,
    BackendUnavailable,
    Conflict,
    HyperOtaError,
    IntegrityError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from hyperota_desktop.services.transfer import ProgressMeter, TransferControl, run_all, run_bounded
from hyperota_desktop.stores.upload_checkpoints import PartRecord, UploadCheckpoint, UploadCheckpoints

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

log = logging.getLogger("hyperota.services.storage")
T = TypeVar("T")
MiB = 1024 * 1024
_RETRY_CODES = {"SlowDown", "RequestTimeout", "Throttling", "ThrottlingException", "InternalError",
                "ServiceUnavailable", "RequestTimeTooSkewed"}  # fmt: skip
_INTEGRITY_CODES = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidRequest"}


def client_config(max_connections: int = 16) -> Config:
    """boto3 settings for our client: our own retries (theirs off), enough pooled connections."""
    return Config(
        retries={"max_attempts": 1, "mode": "standard"},
        max_pool_connections=max_connections,
        connect_timeout=10,
        read_timeout=60,
        s3={"addressing_style": "path"},
    )


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base_delay * 2**attempt) * (0.5 + random.random() / 2))


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int


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


def b64_of_hex(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, ClientError):
        return _status(exc) >= 500 or _status(exc) == 429 or _code(exc) in _RETRY_CODES
    return isinstance(exc, BotoConnectionError | HTTPClientError)


def map_error(exc: BaseException, what: str) -> HyperOtaError:
    """boto3/botocore errors → our typed errors, worded for a person."""
    if isinstance(exc, HyperOtaError):
        return exc
    if isinstance(exc, NoCredentialsError):
        return AuthError(f"{what}: no AWS credentials.", hint="Sign in or set the profile's AWS keys.")
    if isinstance(exc, ClientError):
        status, code = _status(exc), _code(exc)
        message = exc.response.get("Error", {}).get("Message", "") or code
        if code in _INTEGRITY_CODES:
            return IntegrityError(f"{what}: S3 rejected the checksum ({code}: {message}).")
        if status == 412 or code == "PreconditionFailed":
            return Conflict(f"{what}: the object already exists.")
        if status == 404 or code in ("NoSuchKey", "NoSuchUpload", "NoSuchBucket", "NotFound"):
            return NotFound(f"{what}: not found ({code or status}).")
        if status == 403 or code == "AccessDenied":
            return PermissionDenied(f"{what}: access denied by S3.", hint="Check the profile's permissions.")
        if status >= 500 or status == 429:
            return BackendUnavailable(f"{what}: S3 answered {status} {code} after retries.")
        return BackendUnavailable(f"{what}: S3 error {status} {code}: {message}.")
    if isinstance(exc, BotoCoreError):
        return BackendUnavailable(
            f"{what}: could not reach S3 ({exc}).", hint="Check the network and endpoint."
        )
    return BackendUnavailable(f"{what}: {type(exc).__name__}: {exc}")


class S3Storage:
    """One bucket. `client_factory` builds a (thread-safe) boto3 S3 client; it is called once, lazily."""

    def __init__(
        self,
        client_factory: Callable[[], S3Client],
        bucket: str,
        *,
        checkpoints: UploadCheckpoints,
        part_size: int = 8 * MiB,
        multipart_threshold: int = 16 * MiB,
        concurrency: int = 8,
        retry: RetryPolicy | None = None,
    ) -> None:
        if part_size < 5 * MiB:
            raise ValueError("S3 parts are at least 5 MiB")
        self._factory = client_factory
        self._client: S3Client | None = None
        self.bucket = bucket
        self.checkpoints = checkpoints
        self.part_size = part_size
        self.multipart_threshold = max(multipart_threshold, part_size)
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self._active_uploads: set[str] = set()

    async def client(self) -> S3Client:
        if not self.bucket:
            raise ValidationError(
                "This profile names no S3 bucket, so packages cannot be stored or listed.",
                hint="Set the bucket in the profile (Edit profile… or `hyperota profile add … --bucket`).",
            )
        if self._client is None:
            self._client = await asyncio.to_thread(self._factory)
        return self._client

    async def _call(self, what: str, fn: Callable[..., T], **kwargs: Any) -> T:
        for attempt in range(self.retry.attempts):
            try:
                return await asyncio.to_thread(fn, **kwargs)
            except Exception as exc:
                if attempt + 1 < self.retry.attempts and is_retryable(exc):
                    delay = self.retry.delay(attempt)
                    log.info("%s: %s, retrying in %.2fs", what, exc, delay)
                    await asyncio.sleep(delay)
                    continue
                raise map_error(exc, what) from exc
        raise AssertionError("unreachable")

    # -- reading -----------------------------------------------------------------------------------
    async def list_objects(self, prefix: str) -> list[StoredObject]:
        """Every object under a prefix: one paginated listing (1000 keys per request)."""
        client = await self.client()
        found: list[StoredObject] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
            if token:
                kwargs["ContinuationToken"] = token
            page = await self._call("List stored files", client.list_objects_v2, **kwargs)
            found.extend(StoredObject(o["Key"], int(o.get("Size", 0))) for o in page.get("Contents", []))
            if not page.get("IsTruncated"):
                return found
            token = page.get("NextContinuationToken")

    async def get_bytes(self, key: str, what: str = "Read object") -> bytes:
        client = await self.client()
        response = await self._call(what, client.get_object, Bucket=self.bucket, Key=key)
        body = response["Body"]
        try:
            return await asyncio.to_thread(body.read)
        finally:
            body.close()

    async def download(
        self, key: str, dest: Path, *, what: str, on_bytes: Callable[[int], None] | None = None
    ) -> tuple[int, str]:
        """Stream an object into the file `dest`: (size, SHA-256 hex), memory bounded to one chunk.

        The request and the reading run in one worker thread, so the response is always read to its end or
        closed, even when the awaiting task is cancelled. `on_bytes` is called in that thread with each
        chunk's length; an exception it raises (a cancel) stops the download."""
        client = await self.client()

        def fetch() -> tuple[int, str]:
            response = client.get_object(Bucket=self.bucket, Key=key)
            try:
                return _save_body(response["Body"], dest, on_bytes)
            except OSError as exc:
                raise ValidationError(f"{what}: could not write {dest} ({exc.strerror or exc}).") from exc

        return await self._call(what, fetch)

    async def head(self, key: str) -> dict[str, Any]:
        client = await self.client()
        result = await self._call("Check object", client.head_object, Bucket=self.bucket, Key=key,
                                  ChecksumMode="ENABLED")  # fmt: skip
        return dict(result)

    async def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        if_none_match: bool = False,
        metadata: dict[str, str] | None = None,
        what: str = "Write object",
    ) -> None:
        """Put a small object with its SHA-256; `if_none_match` makes it fail with Conflict if it exists."""
        client = await self.client()
        kwargs: dict[str, Any] = {
            "Bucket": self.bucket, "Key": key, "Body": data, "ContentType": content_type,
            "ChecksumAlgorithm": "SHA256", "ChecksumSHA256": b64_of_hex(hashlib.sha256(data).hexdigest()),
        }  # fmt: skip
        if if_none_match:
            kwargs["IfNoneMatch"] = "*"
        if metadata:
            kwargs["Metadata"] = metadata
        await self._call(what, client.put_object, **kwargs)

    async def delete(self, key: str) -> None:
        client = await self.client()
        await self._call("Delete object", client.delete_object, Bucket=self.bucket, Key=key)

    # -- uploading ---------------------------------------------------------------------------------
    async def upload_all(
        self,
        items: list[UploadItem],
        *,
        meter: ProgressMeter | None = None,
        control: TransferControl | None = None,
    ) -> None:
        """Upload items (distinct keys) concurrently; an explicit cancel aborts unfinished multiparts."""
        control = control or TransferControl()
        sem = asyncio.Semaphore(self.concurrency)

        async def one(item: UploadItem) -> None:
            await self._upload_one(item, sem, meter, control)

        try:
            # `concurrency` workers take the items in turn (not one task per item); `sem` still bounds
            # the requests in flight, multipart parts included.
            await run_bounded(items, one, self.concurrency)
        except BaseException:
            if control.cancelled:
                await asyncio.shield(self.abort_uploads([i.key for i in items]))
            raise

    async def _upload_one(
        self, item: UploadItem, sem: asyncio.Semaphore, meter: ProgressMeter | None, control: TransferControl
    ) -> None:
        if item.size >= self.multipart_threshold:
            await self._multipart(item, sem, meter, control)
            return
        await control.checkpoint()
        async with sem:
            await control.checkpoint()
            if meter:
                meter.file(item.label, 0, item.size, "uploading")
            data = await asyncio.to_thread(_read_verified, item)
            client = await self.client()
            response = await self._call(
                f"Upload '{item.label}'", client.put_object, Bucket=self.bucket, Key=item.key, Body=data,
                ContentType=item.content_type, ChecksumAlgorithm="SHA256",
                ChecksumSHA256=b64_of_hex(item.sha256),
            )  # fmt: skip
            del data
        echoed = response.get("ChecksumSHA256")
        if echoed and echoed != b64_of_hex(item.sha256):
            raise IntegrityError(
                f"S3 stored '{item.label}' with checksum {echoed}, expected {b64_of_hex(item.sha256)}."
            )
        if meter:
            meter.file(item.label, item.size, item.size, "done")
            meter.advance(item.size, file_finished=True)

    async def _multipart(
        self, item: UploadItem, sem: asyncio.Semaphore, meter: ProgressMeter | None, control: TransferControl
    ) -> None:
        client = await self.client()
        st = await asyncio.to_thread(os.stat, item.local)
        if item.mtime_ns and (st.st_mtime_ns, st.st_size) != (item.mtime_ns, item.size):
            raise IntegrityError(
                f"Checksum mismatch risk: '{item.label}' changed after it was hashed.", hint="Publish again."
            )
        cp = await self._resume_checkpoint(item, st.st_mtime_ns)
        if cp is None:
            await control.checkpoint()
            created = await self._call(
                f"Start upload of '{item.label}'", client.create_multipart_upload, Bucket=self.bucket,
                Key=item.key, ContentType=item.content_type, ChecksumAlgorithm="SHA256",
            )  # fmt: skip
            cp = UploadCheckpoint(
                self.bucket, item.key, created["UploadId"], str(item.local), item.size, st.st_mtime_ns,
                self.part_size, time.time(),
            )  # fmt: skip
            await asyncio.to_thread(self.checkpoints.begin, cp)
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
                # read and checksum in the worker thread: hashing 8 MiB on the loop blocked it
                data, checksum = await asyncio.to_thread(_read_part, item.local, offset, length)
                response = await self._call(
                    f"Upload part {number}/{count} of '{item.label}'", client.upload_part,
                    Bucket=self.bucket, Key=item.key, UploadId=cp.upload_id, PartNumber=number, Body=data,
                    ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum,
                )  # fmt: skip
                del data
            record = PartRecord(number, response["ETag"], checksum, length)
            cp.parts[number] = record
            await asyncio.to_thread(self.checkpoints.part_done, cp.upload_id, record)
            progress["done"] += length
            if meter:
                meter.file(item.label, progress["done"], item.size, "uploading")
                meter.advance(length)

        await run_all([part(n) for n in range(1, count + 1) if n not in cp.parts])
        after = await asyncio.to_thread(os.stat, item.local)
        if (after.st_size, after.st_mtime_ns) != (item.size, cp.mtime_ns):
            await self._abort(item.key, cp.upload_id)
            raise IntegrityError(
                f"'{item.label}' changed while it was being uploaded.", hint="Publish again."
            )
        parts = [
            {"PartNumber": p.part_number, "ETag": p.etag, "ChecksumSHA256": p.checksum}
            for p in sorted(cp.parts.values(), key=lambda p: p.part_number)
        ]
        await self._call(
            f"Finish upload of '{item.label}'", client.complete_multipart_upload, Bucket=self.bucket,
            Key=item.key, UploadId=cp.upload_id, MultipartUpload={"Parts": parts},
        )  # fmt: skip
        await asyncio.to_thread(self.checkpoints.finish, self.bucket, item.key)
        self._active_uploads.discard(cp.upload_id)
        if meter:
            meter.file(item.label, item.size, item.size, "done")
            meter.advance(0, file_finished=True)

    async def _resume_checkpoint(self, item: UploadItem, mtime_ns: int) -> UploadCheckpoint | None:
        """A checkpoint still valid for this file, with only the parts S3 really holds; else None."""
        cp = await asyncio.to_thread(self.checkpoints.get, self.bucket, item.key)
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
        client = await self.client()
        parts: dict[int, str] = {}
        marker = 0
        while True:
            page = await self._call("List uploaded parts", client.list_parts, Bucket=self.bucket, Key=key,
                                    UploadId=upload_id, PartNumberMarker=marker)  # fmt: skip
            for p in page.get("Parts", []):
                parts[int(p["PartNumber"])] = str(p["ETag"])
            if not page.get("IsTruncated"):
                return parts
            marker = int(page.get("NextPartNumberMarker", 0))

    async def _abort(self, key: str, upload_id: str) -> None:
        await self._abort_raw(key, upload_id)
        await asyncio.to_thread(self.checkpoints.finish, self.bucket, key)
        self._active_uploads.discard(upload_id)

    async def abort_uploads(self, keys: list[str]) -> None:
        """Abort our checkpointed multipart uploads for these keys (cancel)."""
        for key in keys:
            cp = await asyncio.to_thread(self.checkpoints.get, self.bucket, key)
            if cp is not None:
                await self._abort(key, cp.upload_id)

    async def unfinished_uploads(self, prefix: str) -> list[dict[str, Any]]:
        client = await self.client()
        uploads: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        while True:
            page = await self._call("List unfinished uploads", client.list_multipart_uploads, **kwargs)
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
        ours = await asyncio.to_thread(self.checkpoints.upload_ids, self.bucket, prefix)
        cutoff = datetime.now(UTC) - older_than
        aborted = 0
        for upload in await self.unfinished_uploads(prefix):
            key, upload_id = str(upload["Key"]), str(upload["UploadId"])
            if upload_id in self._active_uploads:
                continue
            initiated = upload.get("Initiated")
            stale = isinstance(initiated, datetime) and initiated < cutoff and upload_id not in ours
            if key in stored or stale:
                await self._abort(key, upload_id) if upload_id in ours else await self._abort_raw(
                    key, upload_id
                )
                aborted += 1
        return aborted

    async def _abort_raw(self, key: str, upload_id: str) -> None:
        client = await self.client()
        with contextlib.suppress(NotFound):
            await self._call("Abort upload", client.abort_multipart_upload, Bucket=self.bucket, Key=key,
                             UploadId=upload_id)  # fmt: skip


def _save_body(body: Any, dest: Path, on_bytes: Callable[[int], None] | None) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    try:
        with dest.open("wb") as out:  # a retry starts the file again
            while chunk := body.read(MiB):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
    finally:
        body.close()
    return size, digest.hexdigest()


def _read_verified(item: UploadItem) -> bytes:
    """The whole (small) file, checked against the hash it was published under."""
    with item.local.open("rb") as fh:
        data = fh.read(item.size + 1)
    if len(data) != item.size or hashlib.sha256(data).hexdigest() != item.sha256:
        raise IntegrityError(
            f"Checksum mismatch for '{item.label}': the file changed after it was hashed.",
            hint="Publish again (it will be re-hashed).",
        )
    return data


def _read_part(path: Path, offset: int, length: int) -> tuple[bytes, str]:
    """One part of a file and its base64 SHA-256 (as S3 wants it). Blocking: run in a worker thread."""
    with path.open("rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    if len(data) != length:
        raise IntegrityError(f"'{path}' became shorter while it was being uploaded.")
    return data, base64.b64encode(hashlib.sha256(data).digest()).decode()
