"""Pre-flight of a bundle: scan (refusing unsafe input), hash (cached), find what S3 holds already
(`Catalogue.stored_among`: the newest package's files, a HEAD per other content or one listing).

The listing of the application's packages and the read of the newest one (what the bundle is compared
with) run while the bundle is scanned and hashed.

Nothing is uploaded. The result says, per file, whether its content is already stored, and its
fingerprint is what the person confirms: a publish with `expected` refuses a bundle that changed since.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.errors import HyperOtaError, IntegrityError
from hyperota_desktop.services.bundle_scan import ScannedBundle, discard_extraction, scan
from hyperota_desktop.services.hashing import Hashed, PartPlan, hash_files
from hyperota_desktop.services.packages.catalogue import Catalogue
from hyperota_desktop.services.transfer import ProgressCallback, ProgressMeter, TransferControl
from hyperota_desktop.services.workers import Workers
from hyperota_desktop.stores.hash_cache import HashCache


@dataclass(frozen=True)
class PreflightRow:
    path: str
    size: int
    sha256: str
    stored: bool  # already in S3 (or sent once for an identical file of this bundle)
    is_index: bool


@dataclass(frozen=True)
class Preflight:
    org: str
    app: str
    bundle: ScannedBundle
    rows: tuple[PreflightRow, ...]
    hashes: dict[str, Hashed]
    stored: frozenset[str]  # the bundle's contents S3 holds
    vouched_by: int | None = None  # the newest package, which names the contents in `vouched`
    vouched: frozenset[str] = frozenset()

    @property
    def total_size(self) -> int:
        return self.bundle.total_size

    @property
    def bytes_to_send(self) -> int:
        return sum(r.size for r in self.rows if not r.stored)

    @property
    def new_files(self) -> int:
        return sum(1 for r in self.rows if not r.stored)

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.bundle.layout.warnings

    @property
    def fingerprint(self) -> str:
        """What the person confirmed: the index and every file's path, size and SHA-256."""
        return content_fingerprint(self.bundle.index, self.rows)


def content_fingerprint(index: str, rows: tuple[PreflightRow, ...]) -> str:
    h = hashlib.sha256(f"{index}\n".encode())
    for r in sorted(rows, key=lambda r: r.path):
        h.update(f"{r.path}\0{r.size}\0{r.sha256}\n".encode())
    return h.hexdigest()


@dataclass
class Preflighter:
    catalogue: Catalogue
    hash_cache: HashCache | None
    cache_dir: Path
    workers: Workers
    parts: PartPlan | None = None  # the uploader's: large files get their part checksums as they hash

    async def check(
        self,
        org: str,
        app: str,
        sources: list[Path],
        *,
        index: str | None = None,
        progress: ProgressCallback | None = None,
        control: TransferControl | None = None,
        versions: Awaitable[list[int]] | None = None,
    ) -> Preflight:
        """`versions`: the application's versions, newest first, as the caller lists them (awaited while
        the bundle is scanned and hashed); None: listed here, also meanwhile."""

        async def local() -> tuple[ScannedBundle, dict[str, Hashed]]:
            # on the app's transfer workers, as the hashing that follows (low priority in the GUI)
            bundle = await scan(sources, index=index, cache_dir=self.cache_dir, workers=self.workers)
            meter = ProgressMeter("hashing", bundle.total_size, len(bundle.files), progress, control)
            hashes = await hash_files(
                bundle.files,
                self.hash_cache,
                meter=meter,
                control=control,
                workers=self.workers,
                parts=self.parts,
            )
            meter.flush()
            return bundle, hashes

        newest: list[asyncio.Future[None]] = []
        # a task now: cancelled before `remote` first runs, the caller's coroutine is closed, not left
        # never awaited (an unraisable RuntimeWarning when it is collected)
        asked = asyncio.ensure_future(versions) if versions is not None else None

        async def remote() -> list[int]:
            listing = await (asked or self.catalogue.list_versions(org, app))
            if listing:  # what it holds is compared with the bundle: read it while the bundle is hashed
                newest.append(asyncio.ensure_future(self._read_ahead(org, app, listing[0])))
            return listing

        scanned = asyncio.ensure_future(local())
        listed = asyncio.ensure_future(remote())
        try:
            (bundle, hashes), versions_now = await asyncio.gather(scanned, listed)
            await asyncio.gather(*newest)
        except BaseException:  # the first failure (or a cancel) is raised as it is; the other stops
            tasks: list[asyncio.Future[Any]] = [scanned, listed, *newest, *([asked] if asked else [])]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if not scanned.cancelled() and scanned.exception() is None:
                discard_extraction(scanned.result()[0])  # an extracted archive is not kept for nothing
            raise
        digests = [hashes[f.path].sha256 for f in bundle.files]
        found = await self.catalogue.stored_among(org, app, digests, versions=versions_now)
        for f, digest in zip(bundle.files, digests, strict=True):
            if digest in found.sizes and found.sizes[digest] != f.size:
                raise IntegrityError(
                    f"Checksum mismatch: S3 holds {found.sizes[digest]} bytes for '{f.path}' "
                    f"(sha256 {digest[:12]}…), expected {f.size}.",
                    hint="The stored object is corrupt; ask an operator to delete it, then publish again.",
                )
        seen: set[str] = set(found.sizes)
        rows: list[PreflightRow] = []
        for f, digest in zip(bundle.files, digests, strict=True):
            rows.append(PreflightRow(f.path, f.size, digest, digest in seen, f.path == bundle.index))
            seen.add(digest)
        return Preflight(
            org, app, bundle, tuple(rows), hashes, frozenset(found.sizes), found.vouched_by, found.vouched
        )

    async def _read_ahead(self, org: str, app: str, version: int) -> None:
        """The newest manifest into the catalogue's cache, for `stored_among`; a failure is left to it
        (it reads again and raises, or treats a manifest gone meanwhile as it always did)."""
        with contextlib.suppress(HyperOtaError):
            await self.catalogue.show(org, app, version)
