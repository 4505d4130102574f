"""Reading packages: versions (one listing), manifests (cached: they are immutable), summaries with
tags, pages, search over every package, and the diff between two versions."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.errors import IntegrityError, NotFound
from hyperota_desktop.domain.packages import (
    AppKeys,
    Manifest,
    PackageDiff,
    PackageSummary,
    diff_packages,
    sha256_of_file_key,
    version_of_key,
)
from hyperota_desktop.services.packages.tags import Tags
from hyperota_desktop.services.storage import S3Objects
from hyperota_desktop.services.transfer import run_bounded

CACHED_MANIFESTS = 64


@dataclass
class PackagePage:
    total: int
    items: list[PackageSummary]


class Catalogue:
    def __init__(
        self, objects: S3Objects, tags: Tags, key_prefix: str, *, fetch_concurrency: int = 16
    ) -> None:
        self.objects = objects
        self.tags = tags
        self.key_prefix = key_prefix
        self._fetch = asyncio.Semaphore(fetch_concurrency) if fetch_concurrency else None
        self._fetch_workers = fetch_concurrency or 16
        # Manifests are immutable: keep the last few whole (detail, diff) and every summary (list, search).
        self._manifests: OrderedDict[tuple[str, str, int], Manifest] = OrderedDict()
        self._summaries: dict[tuple[str, str, int], PackageSummary] = {}

    def keys(self, org: str, app: str) -> AppKeys:
        return AppKeys(self.key_prefix, org, app)

    async def stored_hashes(self, org: str, app: str) -> dict[str, int]:
        """SHA-256 → size of every content the app already stores (one paginated listing)."""
        found: dict[str, int] = {}
        for obj in await self.objects.list_objects(self.keys(org, app).files_prefix):
            digest = sha256_of_file_key(obj.key)
            if digest:
                found[digest] = obj.size
        return found

    async def list_versions(self, org: str, app: str) -> list[int]:
        """Every version, newest first (one paginated listing of manifest keys, no manifest reads)."""
        objects = await self.objects.list_objects(self.keys(org, app).packages_prefix)
        versions = {v for o in objects if (v := version_of_key(o.key)) is not None}
        return sorted(versions, reverse=True)

    def remember(self, manifest: Manifest) -> None:
        key = (manifest.org, manifest.app, manifest.version)
        self._manifests[key] = manifest
        self._manifests.move_to_end(key)
        while len(self._manifests) > CACHED_MANIFESTS:
            self._manifests.popitem(last=False)
        self._summaries[key] = PackageSummary.of(manifest)

    def forget(self, org: str, app: str, version: int) -> None:
        self._manifests.pop((org, app, version), None)
        self._summaries.pop((org, app, version), None)

    async def show(self, org: str, app: str, version: int) -> Manifest:
        cached = self._manifests.get((org, app, version))
        if cached is not None:
            self._manifests.move_to_end((org, app, version))
            return cached
        key = self.keys(org, app).manifest_key(version)
        if self._fetch is not None:
            async with self._fetch:
                raw = await self.objects.get_bytes(key, f"Read package {version}")
        else:
            raw = await self.objects.get_bytes(key, f"Read package {version}")
        manifest = await self.objects.workers.transfer(Manifest.from_json, raw)  # O(files): off the loop
        if (manifest.org, manifest.app, manifest.version) != (org, app, version):
            raise IntegrityError(f"Package {version} of {org}/{app} holds the manifest of another package.")
        self.remember(manifest)
        return manifest

    async def _untagged_summaries(self, org: str, app: str, versions: list[int]) -> list[PackageSummary]:
        """Cached summaries; missing ones read by a few workers (at most `fetch_concurrency` at once)."""
        missing = [v for v in versions if (org, app, v) not in self._summaries]

        async def read(version: int) -> None:
            with contextlib.suppress(NotFound):  # listed, then gone (an undone publish): not shown
                await self.show(org, app, version)

        await run_bounded(missing, read, self._fetch_workers)
        return [s for v in versions if (s := self._summaries.get((org, app, v))) is not None]

    async def summaries(self, org: str, app: str, versions: list[int]) -> list[PackageSummary]:
        """Summaries of these versions with their tags, manifests fetched concurrently and cached."""
        found, tags = await asyncio.gather(
            self._untagged_summaries(org, app, versions), self.tags.read(org, app)
        )
        return _with_tags(found, tags)

    async def page(self, org: str, app: str, *, offset: int = 0, limit: int = 50) -> PackagePage:
        versions = await self.list_versions(org, app)
        return PackagePage(len(versions), await self.summaries(org, app, versions[offset : offset + limit]))

    async def search(self, org: str, app: str, text: str, *, offset: int = 0, limit: int = 50) -> PackagePage:
        """Packages (all of them, not one page) whose version, tag, index, author or date contains `text`.

        The first search reads every manifest not read yet (concurrently, at most `fetch_concurrency`);
        summaries are kept, so the next searches only list the keys and the tags.
        """
        if not text.strip():
            return await self.page(org, app, offset=offset, limit=limit)
        versions, tags = await asyncio.gather(self.list_versions(org, app), self.tags.read(org, app))
        found = _with_tags(await self._untagged_summaries(org, app, versions), tags)
        matches = [s for s in found if s.matches(text)]
        return PackagePage(len(matches), matches[offset : offset + limit])

    async def find_identical(
        self, org: str, app: str, index: str, files: list[tuple[str, str, int]], properties: dict[str, Any]
    ) -> int | None:
        """The newest version with exactly this index, files (path, SHA-256, size) and properties, if any.

        Reads the summaries of every version (cached, like search), then whole manifests only of the
        versions whose index, file count and total size match."""
        want = sorted(files)
        total = sum(size for _p, _h, size in want)
        versions = await self.list_versions(org, app)
        for summary in await self._untagged_summaries(org, app, versions):
            if (summary.index, summary.file_count, summary.total_size) != (index, len(want), total):
                continue
            found = await self.show(org, app, summary.version)
            if sorted((f.file_path, f.checksum, f.size) for f in found.files) == want and (
                found.properties == properties
            ):
                return summary.version
        return None

    async def diff(self, org: str, app: str, old: int, new: int) -> PackageDiff:
        a, b = await asyncio.gather(self.show(org, app, old), self.show(org, app, new))
        return diff_packages(a, b)


def _with_tags(summaries: list[PackageSummary], tags: dict[str, int]) -> list[PackageSummary]:
    by_version: dict[int, list[str]] = {}
    for name, version in sorted(tags.items()):
        by_version.setdefault(version, []).append(name)
    return [dataclasses.replace(s, tags=tuple(by_version.get(s.version, ()))) for s in summaries]
