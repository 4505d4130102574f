"""Delete every stored object under a key prefix (an organisation's or application's files) with progress.

boto3 is blocking, so each page of the listing and each batch delete runs in a worker thread.
The packages feature owns uploads; this only removes what an org/app deletion leaves behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.errors import BackendUnavailable, PermissionDenied
from hyperota_desktop.domain.units import human_size

Progress = Callable[[int], None]
DeletePrefix = Callable[[str, Progress | None], Awaitable[int]]
COUNT_LIMIT = 10_000  # counting stops here: a confirmation dialog must not wait for a huge listing


@dataclass(frozen=True)
class FileCount:
    """Stored files under a prefix; `complete` is False when counting stopped at COUNT_LIMIT."""

    files: int
    size: int
    complete: bool = True

    def describe(self) -> str:
        if self.files == 0:
            return "no files"
        more = "" if self.complete else "more than "
        return f"{more}{self.files} file(s), {more}{human_size(self.size)}"


CountPrefix = Callable[[str], Awaitable[FileCount]]


def storage_prefix(key_prefix: str, org: str, app: str = "") -> str:
    """`P/{org}/` or `P/{org}/{app}/` — the trailing slash keeps `demo` from matching `demo2`."""
    parts = [p for p in (key_prefix.strip("/"), org, app) if p]
    return "/".join(parts) + "/"


class S3PrefixDeleter:
    """`delete_prefix(prefix, progress)` over one bucket; `client_factory()` builds a boto3 S3 client."""

    def __init__(self, client_factory: Callable[[], Any], bucket: str) -> None:
        self._factory = client_factory
        self._bucket = bucket
        self._client: Any = None

    async def __call__(self, prefix: str, progress: Progress | None = None) -> int:
        if not prefix.endswith("/") or prefix == "/":
            raise ValueError(f"refusing to delete an unbounded prefix {prefix!r}")
        if self._client is None:
            self._client = await asyncio.to_thread(self._factory)
        deleted = 0
        while True:
            keys = await asyncio.to_thread(self._list_page, prefix)
            if not keys:
                return deleted
            await asyncio.to_thread(self._delete, keys)
            deleted += len(keys)
            if progress is not None:
                progress(deleted)

    async def count(self, prefix: str, limit: int = COUNT_LIMIT) -> FileCount:
        """How many files (and bytes) lie under `prefix`, listing at most `limit` of them."""
        if self._client is None:
            self._client = await asyncio.to_thread(self._factory)
        files = size = 0
        token = ""
        while files < limit:
            page = await asyncio.to_thread(self._list_sizes, prefix, token, min(1000, limit - files))
            for item in page.get("Contents", []):
                files += 1
                size += int(item.get("Size") or 0)
            token = str(page.get("NextContinuationToken") or "")
            if not page.get("IsTruncated") or not token:
                return FileCount(files, size)
        return FileCount(files, size, complete=False)

    def _list_sizes(self, prefix: str, token: str, most: int) -> dict[str, Any]:
        extra = {"ContinuationToken": token} if token else {}
        try:
            page = self._client.list_objects_v2(Bucket=self._bucket, Prefix=prefix, MaxKeys=most, **extra)
        except Exception as exc:
            raise _error(exc, f"list s3://{self._bucket}/{prefix}") from exc
        return dict(page)

    def _list_page(self, prefix: str) -> list[str]:
        try:
            page = self._client.list_objects_v2(Bucket=self._bucket, Prefix=prefix, MaxKeys=1000)
        except Exception as exc:
            raise _error(exc, f"list s3://{self._bucket}/{prefix}") from exc
        return [str(item["Key"]) for item in page.get("Contents", [])]

    def _delete(self, keys: list[str]) -> None:
        try:
            result = self._client.delete_objects(
                Bucket=self._bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}
            )
        except Exception as exc:
            raise _error(exc, f"delete files from s3://{self._bucket}") from exc
        errors = result.get("Errors") or []
        if errors:
            first = errors[0]
            raise BackendUnavailable(
                f"S3 could not delete {len(errors)} file(s), e.g. {first.get('Key')}: {first.get('Message')}."
            )


def _error(exc: Exception, what: str) -> Exception:
    code = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str((response.get("Error") or {}).get("Code", ""))
    if code in ("AccessDenied", "403"):
        return PermissionDenied(f"S3 refused to {what}: the credentials lack s3:ListBucket/s3:DeleteObject.")
    return BackendUnavailable(f"Could not {what}: {type(exc).__name__}: {exc}.")
