"""Reading packages: versions (one listing), manifests (cached: they are immutable), summaries with
tags, pages, search over every package, the diff between two versions, and which contents are stored.

Which contents of a bundle S3 already holds (`stored_among`) is answered without listing every file of
the application when it can be: the newest package vouches for the files it names (a package's files
are never deleted while it exists: an undone publish deletes only objects it created itself, and keeps
those a newer package names), a few other contents are checked one HEAD each, and only many of them
are checked with one listing of `files/`. A re-publish of a changed bundle therefore costs one listing
of `packages/`, one manifest read and a HEAD per changed file, whatever the size of the application.
"""

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
CHECK_ONE_BY_ONE = 32  # up to this many contents are checked with a HEAD each; more: one listing
HEADS_IN_FLIGHT = 8


@dataclass
class PackagePage:
    total: int
    items: list[PackageSummary]


@dataclass(frozen=True)
class StoredContents:
    """What S3 holds among the contents of a bundle (by SHA-256)."""

    sizes: dict[str, int]  # SHA-256 → stored size, of the contents found stored
    vouched_by: int | None  # the newest package, whose files are stored as long as it exists
    vouched: frozenset[str]  # the contents it names


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

    async def sizes_of(self, org: str, app: str, digests: list[str]) -> dict[str, int]:
        """SHA-256 → stored size, of those of `digests` S3 holds: a HEAD each when they are few (at most
        `CHECK_ONE_BY_ONE`), else one paginated listing of the application's files."""
        if not digests:
            return {}
        if len(digests) > CHECK_ONE_BY_ONE:
            listed = await self.stored_hashes(org, app)
            return {d: listed[d] for d in digests if d in listed}
        keys, found = self.keys(org, app), {}

        async def one(digest: str) -> None:
            size = await self.objects.size_of(keys.file_key(digest))
            if size is not None:
                found[digest] = size

        await run_bounded(digests, one, HEADS_IN_FLIGHT)
        return found

    async def stored_among(
        self, org: str, app: str, digests: list[str], *, versions: list[int] | None = None
    ) -> StoredContents:
        """Which of `digests` S3 holds: those the newest package names, and the others checked by
        `sizes_of`, except when the application has no package at all and they are many (then nothing
        is listed: the uploads write only what is absent, and the publish verifies what it relies on)."""
        if versions is None:
            versions = await self.list_versions(org, app)
        vouched: dict[str, int] = {}
        newest = versions[0] if versions else None
        if newest is not None:
            try:
                vouched = {f.checksum: f.size for f in (await self.show(org, app, newest)).files}
            except NotFound:  # listed, then gone (an undone publish): it vouches for nothing
                newest = None
        unknown = [d for d in dict.fromkeys(digests) if d not in vouched]
        sizes = {d: vouched[d] for d in digests if d in vouched}
        if versions or len(unknown) <= CHECK_ONE_BY_ONE:
            sizes.update(await self.sizes_of(org, app, unknown))
        return StoredContents(sizes, newest, frozenset(vouched) if newest is not None else frozenset())

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

    async def read_back(self, org: str, app: str, version: int) -> tuple[Manifest, dict[str, str]]:
        """The manifest as S3 holds it now (not from the cache) with the object's metadata: one GET."""
        key = self.keys(org, app).manifest_key(version)
        raw, metadata = await self.objects.get_with_metadata(key, f"Read package {version}")
        manifest = await self.objects.workers.transfer(Manifest.from_json, raw)
        if (manifest.org, manifest.app, manifest.version) != (org, app, version):
            raise IntegrityError(f"Package {version} of {org}/{app} holds the manifest of another package.")
        self.remember(manifest)
        return manifest, metadata

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
