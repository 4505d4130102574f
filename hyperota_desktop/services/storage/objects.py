"""Objects of one bucket: paginated listing, reads, conditional and checksummed writes, batch deletes.

Every call goes through `call_with_retry` (transfer pool, our retry policy, typed errors). The S3 client
comes from `clients()` each time: the composition root hands out the profile's one client (built by
`AwsCredentials`, replaced when the keys or the signed-in person change), never a copy kept here.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from hyperota_desktop.domain.errors import BackendUnavailable, NotFound, ValidationError
from hyperota_desktop.services.storage.conditional import conditional
from hyperota_desktop.services.storage.errors import RetryPolicy, call_with_retry
from hyperota_desktop.services.workers import Workers, landed_before_cancel

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

T = TypeVar("T")
MiB = 1024 * 1024
ClientSource = Callable[[], Awaitable[S3Client]]


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int


def b64_of_hex(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


class S3Objects:
    """One bucket. `clients()` gives the profile's S3 client (built off the loop on first use)."""

    def __init__(
        self,
        clients: ClientSource,
        bucket: str,
        *,
        workers: Workers | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._clients = clients
        self.bucket = bucket
        self.workers = workers or Workers()
        self.retry = retry or RetryPolicy()
        # conditional writes this store refused (501): sent without the condition from then on
        self.refused_conditions: set[tuple[str, frozenset[str]]] = set()

    async def client(self) -> S3Client:
        if not self.bucket:
            raise ValidationError(
                "This profile names no S3 bucket, so packages cannot be stored or listed.",
                hint="Set the bucket in the profile (Edit profile… or `hyperota profile add … --bucket`).",
                gui_hint="Set the bucket in the profile (Edit profile…).",
            )
        return await self._clients()

    async def call(self, what: str, fn: Callable[..., T], **kwargs: Any) -> T:
        return await call_with_retry(self.workers, self.retry, what, fn, **kwargs)

    # -- reading -----------------------------------------------------------------------------------
    async def pages(self, prefix: str, *, page_size: int = 1000) -> AsyncIterator[list[StoredObject]]:
        """Every object under a prefix, one listing page (at most `page_size` keys) at a time."""
        client = await self.client()
        token = ""
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": page_size}
            if token:
                kwargs["ContinuationToken"] = token
            page = await self.call(f"List s3://{self.bucket}/{prefix}", client.list_objects_v2, **kwargs)
            yield [StoredObject(o["Key"], int(o.get("Size", 0))) for o in page.get("Contents", [])]
            token = str(page.get("NextContinuationToken") or "")
            if not page.get("IsTruncated") or not token:
                return

    async def list_objects(self, prefix: str) -> list[StoredObject]:
        """Every object under a prefix: one paginated listing (1000 keys per request)."""
        return [obj async for page in self.pages(prefix) for obj in page]

    async def get_bytes(self, key: str, what: str = "Read object") -> bytes:
        client = await self.client()
        response = await self.call(what, client.get_object, Bucket=self.bucket, Key=key)
        body = response["Body"]
        try:
            return await self.workers.transfer(body.read)
        finally:
            body.close()

    async def download(
        self, key: str, dest: Path, *, what: str, on_bytes: Callable[[int], None] | None = None
    ) -> tuple[int, str]:
        """Stream an object into the file `dest`: (size, SHA-256 hex), memory bounded to one chunk.

        The request and the reading run in one worker thread, so the response is always read to its end or
        closed, even when the awaiting task is cancelled. `on_bytes` is called in that thread with each
        chunk's length; an exception it raises (a cancel) stops the download. A cancelled download
        returns only once its thread has stopped writing `dest`, through a second cancel too
        (`landed_before_cancel`), so the caller may delete its folder (an export's scratch folder, when
        a sibling download fails)."""
        client = await self.client()
        stop = threading.Event()

        def chunk(nbytes: int) -> None:
            if stop.is_set():
                raise _Stopped
            if on_bytes is not None:
                on_bytes(nbytes)

        def fetch() -> tuple[int, str]:
            if stop.is_set():  # cancelled before this thread started: touch nothing
                raise _Stopped
            response = client.get_object(Bucket=self.bucket, Key=key)
            if stop.is_set():  # cancelled while S3 held the request: never open `dest`
                response["Body"].close()
                raise _Stopped
            try:
                return _save_body(response["Body"], dest, chunk)
            except OSError as exc:
                raise ValidationError(f"{what}: could not write {dest} ({exc.strerror or exc}).") from exc

        return await landed_before_cancel(self.call(what, fetch), on_cancel=stop.set)

    async def get_with_etag(self, key: str, what: str = "Read object") -> tuple[bytes, str]:
        """The object's bytes and its ETag (for a later write conditional on this version), in one GET."""
        client = await self.client()

        def fetch() -> tuple[bytes, str]:
            response = client.get_object(Bucket=self.bucket, Key=key)
            body = response["Body"]
            try:
                return body.read(), str(response.get("ETag") or "")
            finally:
                body.close()

        return await self.call(what, fetch)

    async def get_with_metadata(self, key: str, what: str = "Read object") -> tuple[bytes, dict[str, str]]:
        """The object's bytes and its user metadata, in one request."""
        client = await self.client()

        def fetch() -> tuple[bytes, dict[str, str]]:
            response = client.get_object(Bucket=self.bucket, Key=key)
            body = response["Body"]
            try:
                return body.read(), dict(response.get("Metadata") or {})
            finally:
                body.close()

        return await self.call(what, fetch)

    async def head(self, key: str) -> dict[str, Any]:
        client = await self.client()
        result = await self.call("Check object", client.head_object, Bucket=self.bucket, Key=key,
                                 ChecksumMode="ENABLED")  # fmt: skip
        return dict(result)

    async def size_of(self, key: str) -> int | None:
        """The stored size of `key`, or None when there is no such object (one HEAD)."""
        client = await self.client()
        try:
            result = await self.call("Check object", client.head_object, Bucket=self.bucket, Key=key)
        except NotFound:
            return None
        return int(result.get("ContentLength", 0))

    # -- writing -----------------------------------------------------------------------------------
    async def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        if_none_match: bool = False,
        if_match: str = "",
        metadata: dict[str, str] | None = None,
        what: str = "Write object",
    ) -> None:
        """Put a small object with its SHA-256; `if_none_match` makes it fail with Conflict if it exists,
        `if_match` (an ETag) if it is not that version any more (see `conditional` for the answers)."""
        client = await self.client()
        kwargs: dict[str, Any] = {
            "Bucket": self.bucket, "Key": key, "Body": data, "ContentType": content_type,
            "ChecksumAlgorithm": "SHA256", "ChecksumSHA256": b64_of_hex(hashlib.sha256(data).hexdigest()),
        }  # fmt: skip
        condition = {"IfMatch": if_match} if if_match else {"IfNoneMatch": "*"} if if_none_match else {}
        if metadata:
            kwargs["Metadata"] = metadata
        await conditional(self, what, client.put_object, kwargs, condition)

    async def delete(self, key: str, *, if_match: str = "") -> None:
        """Delete an object; `if_match` (an ETag): only that version of it (S3 conditional deletes)."""
        client = await self.client()
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        await conditional(self, "Delete object", client.delete_object, kwargs,
                          {"IfMatch": if_match} if if_match else {})  # fmt: skip

    async def delete_keys(self, keys: list[str]) -> None:
        """Delete up to 1000 objects in one request; any key S3 could not delete is an error."""
        if not keys:
            return
        client = await self.client()
        result = await self.call(
            f"Delete files from s3://{self.bucket}", client.delete_objects, Bucket=self.bucket,
            Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True},
        )  # fmt: skip
        errors = result.get("Errors") or []
        if errors:
            first = errors[0]
            raise BackendUnavailable(
                f"S3 could not delete {len(errors)} file(s), e.g. {first.get('Key')}: {first.get('Message')}."
            )


class _Stopped(Exception):
    """A cancelled download's thread stopping; never seen by callers (they get the cancel)."""


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
