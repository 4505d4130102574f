"""Delete every stored object under a key prefix (an organisation's or application's files) with progress.

Built on the bucket's `S3Objects`, so listing, retries and error wording are the same as for uploads.
The packages feature owns uploads; this only removes what an org/app deletion leaves behind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hyperota_desktop.domain.units import human_size
from hyperota_desktop.services.storage import S3Objects

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


@dataclass(frozen=True)
class FilesDeleted:
    """Progress of a deletion: `count` files under `prefix` are gone so far (a saga progress event)."""

    prefix: str
    count: int


CountPrefix = Callable[[str], Awaitable[FileCount]]


def storage_prefix(key_prefix: str, org: str, app: str = "") -> str:
    """`P/{org}/` or `P/{org}/{app}/` — the trailing slash keeps `demo` from matching `demo2`."""
    parts = [p for p in (key_prefix.strip("/"), org, app) if p]
    return "/".join(parts) + "/"


class S3PrefixDeleter:
    """`delete_prefix(prefix, progress)` and `count(prefix)` over one bucket."""

    def __init__(self, objects: S3Objects) -> None:
        self.objects = objects

    @property
    def bucket(self) -> str:
        return self.objects.bucket

    async def __call__(self, prefix: str, progress: Progress | None = None) -> int:
        if not prefix.endswith("/") or prefix == "/":
            raise ValueError(f"refusing to delete an unbounded prefix {prefix!r}")
        deleted = 0
        while True:  # list afresh after each batch: the listing must not page over deleted keys
            batch: list[str] = []
            async for page in self.objects.pages(prefix):
                batch = [o.key for o in page]
                break
            if not batch:
                return deleted
            await self.objects.delete_keys(batch)
            deleted += len(batch)
            if progress is not None:
                progress(deleted)

    async def count(self, prefix: str, limit: int = COUNT_LIMIT) -> FileCount:
        """How many files (and bytes) lie under `prefix`, listing at most `limit` of them."""
        files = size = 0
        async for page in self.objects.pages(prefix, page_size=min(1000, limit)):
            for obj in page:
                files += 1
                size += obj.size
            if files >= limit:
                return FileCount(files, size, complete=False)
        return FileCount(files, size)
