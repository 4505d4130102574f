"""Packages of one application: pre-flight, publish (a saga), list, show, diff and tags.

Publish = saga `package.publish` (recovery FORWARD: after a crash the next start finishes it):
  1. `upload files`: scan → hash (cached) → one listing of the app's files/ → upload what is missing
     (resumable, see `services.storage`) → clean orphaned multipart uploads → verify every file present.
  2. `write manifest`: `PutObject(IfNoneMatch="*")` at the next free version; 412 → take the next.
     Idempotent: a manifest with the same content written since the saga started is adopted.
  3. `tag` (optional): point `tags/{tag}.json` at the version (compensation restores the old pointer).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperota_desktop.domain.bundles import content_type
from hyperota_desktop.domain.errors import Conflict, HyperOtaError, IntegrityError, NotFound, ValidationError
from hyperota_desktop.domain.packages import (
    AppKeys,
    Manifest,
    PackageDiff,
    PackageFile,
    PackageSummary,
    check_tag,
    diff_packages,
    public_url,
    sha256_of_file_key,
    version_of_key,
)
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.bundle_scan import ScannedBundle, discard_extraction, scan
from hyperota_desktop.services.hashing import Hashed, hash_files
from hyperota_desktop.services.saga import Recovery, SagaContext, SagaDefinition, SagaRunner, Step
from hyperota_desktop.services.storage import S3Storage, UploadItem
from hyperota_desktop.services.transfer import ProgressCallback, ProgressMeter, TransferControl, run_bounded
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.stores.hash_cache import HashCache
from hyperota_desktop.stores.upload_checkpoints import UploadCheckpoints

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger("hyperota.services.packages")
PUBLISH_KIND = "package.publish"
_MAX_VERSION_TRIES = 1000
_CACHED_MANIFESTS = 64


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
    stored: frozenset[str]

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


@dataclass(frozen=True)
class PublishResult:
    version: int
    tag: str | None
    files: int
    bytes_uploaded: int
    bytes_skipped: int
    manifest: Manifest
    adopted: bool = False  # an identical package already existed (adopt_identical): nothing was written

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "tag": self.tag, "files": self.files,
            "bytes_uploaded": self.bytes_uploaded, "bytes_skipped": self.bytes_skipped,
            "total_size": self.manifest.total_size, "index": self.manifest.index, "adopted": self.adopted,
        }  # fmt: skip


@dataclass
class PackagePage:
    total: int
    items: list[PackageSummary]


@dataclass
class _LiveRun:
    progress: ProgressCallback | None
    control: TransferControl
    results: dict[str, Any] = field(default_factory=dict)


class PackageService:
    def __init__(
        self,
        storage: S3Storage,
        sagas: SagaRunner,
        hash_cache: HashCache | None,
        *,
        cache_dir: Path,
        key_prefix: str = "",
        public_base_url: str = "",
        actor: Callable[[], str] = lambda: "unknown",
        who: Callable[[], Awaitable[str]] | None = None,
        profile_name: str = "",
        fetch_concurrency: int = 16,
        register_saga: bool = True,
    ) -> None:
        self.storage = storage
        self.sagas = sagas
        self.hash_cache = hash_cache
        self.cache_dir = cache_dir
        self.key_prefix = key_prefix
        self.public_base_url = public_base_url
        self.actor = actor
        self.who = who
        self.profile_name = profile_name
        self._fetch = asyncio.Semaphore(fetch_concurrency) if fetch_concurrency else None
        self._fetch_workers = fetch_concurrency or 16
        # Manifests are immutable: keep the last few whole (detail, diff) and every summary (list, search).
        self._manifests: OrderedDict[tuple[str, str, int], Manifest] = OrderedDict()
        self._summaries: dict[tuple[str, str, int], PackageSummary] = {}
        self._live: dict[str, _LiveRun] = {}
        if register_saga and PUBLISH_KIND not in sagas.definitions:
            register_publish_saga(sagas, lambda _params: self)

    def keys(self, org: str, app: str) -> AppKeys:
        return AppKeys(self.key_prefix, org, app)

    # -- pre-flight --------------------------------------------------------------------------------
    async def preflight(
        self,
        org: str,
        app: str,
        sources: list[Path],
        *,
        index: str | None = None,
        progress: ProgressCallback | None = None,
        control: TransferControl | None = None,
    ) -> Preflight:
        """Scan, hash and compare with what S3 holds; nothing is uploaded."""
        bundle = await scan(sources, index=index, cache_dir=self.cache_dir)
        meter = ProgressMeter("hashing", bundle.total_size, len(bundle.files), progress, control)
        hashes, stored = await asyncio.gather(
            hash_files(bundle.files, self.hash_cache, meter=meter, control=control),
            self.stored_hashes(org, app),
        )
        meter.flush()
        seen: set[str] = set(stored)
        rows: list[PreflightRow] = []
        for f in bundle.files:
            digest = hashes[f.path].sha256
            rows.append(PreflightRow(f.path, f.size, digest, digest in seen, f.path == bundle.index))
            seen.add(digest)
        return Preflight(org, app, bundle, tuple(rows), hashes, frozenset(stored))

    async def stored_hashes(self, org: str, app: str) -> dict[str, int]:
        """SHA-256 → size of every content the app already stores (one paginated listing)."""
        objects = await self.storage.list_objects(self.keys(org, app).files_prefix)
        found: dict[str, int] = {}
        for obj in objects:
            digest = sha256_of_file_key(obj.key)
            if digest:
                found[digest] = obj.size
        return found

    # -- publish -----------------------------------------------------------------------------------
    async def publish(
        self,
        org: str,
        app: str,
        sources: list[Path],
        *,
        index: str | None = None,
        tag: str | None = None,
        progress: ProgressCallback | None = None,
        control: TransferControl | None = None,
        expected: str | None = None,
        properties: dict[str, Any] | None = None,
        source_label: str | None = None,
        adopt_identical: bool = False,
    ) -> PublishResult:
        """Publish `sources`; with `expected` (a `Preflight.fingerprint`), only if the bundle is still
        exactly what the person confirmed (else ValidationError, nothing uploaded).

        `properties` go into the manifest; `source_label` replaces the dropped path as its `source`;
        `adopt_identical` returns an existing version with exactly this content instead of writing a new
        one (archive imports: importing twice creates nothing new)."""
        if tag is not None:
            check_tag(tag)
        if not self.storage.bucket:
            raise ValidationError(
                "The profile names no S3 bucket.", hint="Edit the profile and set its bucket."
            )
        created_by = self.actor()
        if self.who is not None:
            with contextlib.suppress(HyperOtaError):
                created_by = await self.who()
        token = uuid.uuid4().hex
        params = {
            "org": org, "app": app, "sources": [str(p.resolve()) for p in sources], "index": index,
            "tag": tag, "bucket": self.storage.bucket, "key_prefix": self.key_prefix,
            "started_at": time.time(), "run": token, "profile": self.profile_name,
            "created_by": created_by, "expected": expected, "properties": dict(properties or {}),
            "source_label": source_label, "adopt_identical": adopt_identical,
        }  # fmt: skip
        self._live[token] = _LiveRun(progress, control or TransferControl())
        try:
            record = await self.sagas.run(PUBLISH_KIND, params, f"Publish a package of {org}/{app}")
        finally:
            self._live.pop(token, None)
        data = record.data
        manifest = await self.show(org, app, int(data["version"]))
        return PublishResult(
            version=manifest.version,
            tag=tag,
            files=len(manifest.files),
            bytes_uploaded=int(data.get("bytes_uploaded", 0)),
            bytes_skipped=int(data.get("bytes_skipped", 0)),
            manifest=manifest,
            adopted=bool(data.get("adopted")),
        )

    def _publish_steps(self, params: dict[str, Any]) -> list[Step]:
        steps = [
            Step("upload files", self._step_upload),
            Step("write manifest", self._step_manifest, self._undo_manifest),
        ]
        if params.get("tag"):
            steps.append(Step("tag", self._step_tag, self._undo_tag))
        return steps

    def _live_run(self, ctx: SagaContext) -> _LiveRun:
        return self._live.get(str(ctx.params.get("run", ""))) or _LiveRun(None, TransferControl())

    async def _step_upload(self, ctx: SagaContext) -> None:
        p = ctx.params
        org, app = str(p["org"]), str(p["app"])
        live = self._live_run(ctx)
        pre = await self.preflight(
            org, app, [Path(s) for s in p["sources"]], index=p.get("index"), progress=live.progress,
            control=live.control,
        )  # fmt: skip
        expected = p.get("expected")
        if expected and pre.fingerprint != expected:
            discard_extraction(pre.bundle)
            raise ValidationError(
                "The bundle changed since it was checked: it is not what you confirmed. "
                "Nothing was uploaded.",
                hint="Drop it again, check the pre-flight and confirm.",
            )
        keys = self.keys(org, app)
        items: dict[str, UploadItem] = {}
        for row, f in zip(pre.rows, pre.bundle.files, strict=True):
            if not row.stored and row.sha256 not in items:
                items[row.sha256] = UploadItem(
                    f.local, f.size, row.sha256, keys.file_key(row.sha256), content_type(f.path), f.path,
                    pre.hashes[f.path].mtime_ns,
                )  # fmt: skip
        to_send = sum(i.size for i in items.values())
        meter = ProgressMeter("uploading", to_send, len(items), live.progress, live.control)
        meter.flush()
        await self.storage.upload_all(list(items.values()), meter=meter, control=live.control)
        meter.flush()
        stored = await self.stored_hashes(org, app)
        for row in pre.rows:
            if row.sha256 not in stored:
                raise IntegrityError(f"'{row.path}' is not in S3 after the upload.", hint="Publish again.")
            if stored[row.sha256] != row.size:
                raise IntegrityError(
                    f"Checksum mismatch: S3 holds {stored[row.sha256]} bytes for '{row.path}' "
                    f"(sha256 {row.sha256[:12]}…), expected {row.size}.",
                    hint="The stored object is corrupt; ask an operator to delete it, then publish again.",
                )
        await self.storage.cleanup_orphans(keys.files_prefix, stored={keys.file_key(h) for h in stored})
        ctx.data.update(
            files=[[r.path, r.sha256, r.size] for r in pre.rows],
            index=pre.bundle.index,
            source=p.get("source_label") or pre.bundle.source,
            bytes_uploaded=to_send,
            bytes_skipped=pre.total_size - to_send,
        )
        discard_extraction(pre.bundle)

    def _manifest_for(self, ctx: SagaContext, version: int) -> Manifest:
        p, d = ctx.params, ctx.data
        keys = self.keys(str(p["org"]), str(p["app"]))
        files = tuple(
            PackageFile(path, public_url(self.public_base_url, keys.file_key(digest)), digest, int(size))
            for path, digest, size in d["files"]
        )
        return Manifest(
            org=keys.org, app=keys.app, version=version, index=str(d["index"]), files=files,
            created_at=str(d["created_at"]), created_by=str(d["created_by"]), source=str(d["source"]),
            tag=p.get("tag") or None, properties=dict(p.get("properties") or {}),
        )  # fmt: skip

    async def _step_manifest(self, ctx: SagaContext) -> None:
        p = ctx.params
        org, app = str(p["org"]), str(p["app"])
        keys = self.keys(org, app)
        ctx.data.setdefault("created_at", datetime.now(UTC).isoformat(timespec="seconds"))
        ctx.data.setdefault("created_by", str(ctx.params.get("created_by") or self.actor()))
        versions = await self.list_versions(org, app)
        adopted = await self._adopt_existing(ctx, versions)
        if adopted:
            ctx.data["version"] = adopted
            return
        if p.get("adopt_identical"):
            identical = await self.find_identical(
                org, app, str(ctx.data["index"]), [(str(f), str(h), int(n)) for f, h, n in ctx.data["files"]],
                dict(p.get("properties") or {}),
            )  # fmt: skip
            if identical is not None:
                ctx.data.update(version=identical, adopted=True)
                return
        version = (versions[0] if versions else 0) + 1
        for _ in range(_MAX_VERSION_TRIES):
            manifest = self._manifest_for(ctx, version)
            ctx.data["trying_version"] = version
            await ctx.save()
            try:
                body = await asyncio.to_thread(manifest.to_json)  # O(files): off the loop
                await self.storage.put_bytes(
                    keys.manifest_key(version), body, content_type="application/json",
                    if_none_match=True, metadata={"saga": ctx.saga_id}, what=f"Write package {version}",
                )  # fmt: skip
            except Conflict:
                log.info("version %d of %s/%s was taken, trying the next", version, org, app)
                version += 1
                continue
            ctx.data["version"] = version
            ctx.data["wrote_manifest"] = True
            self._remember(manifest)
            return
        raise Conflict("Could not allocate a package version (too many concurrent publishers).")

    async def _adopt_existing(self, ctx: SagaContext, versions: list[int]) -> int | None:
        """After a crash between the put and the journal: the manifest this very saga already wrote."""
        trying = ctx.data.get("trying_version")
        if trying is None or int(trying) not in versions:
            return None
        keys = self.keys(str(ctx.params["org"]), str(ctx.params["app"]))
        head = await self.storage.head(keys.manifest_key(int(trying)))
        return int(trying) if head.get("Metadata", {}).get("saga") == ctx.saga_id else None

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

    async def _undo_manifest(self, ctx: SagaContext) -> None:
        if not ctx.data.get("wrote_manifest"):
            return
        keys = self.keys(str(ctx.params["org"]), str(ctx.params["app"]))
        key = keys.manifest_key(int(ctx.data["version"]))
        head = await self.storage.head(key)
        if head.get("Metadata", {}).get("saga") == ctx.saga_id:
            await self.storage.delete(key)
            self._manifests.pop((keys.org, keys.app, int(ctx.data["version"])), None)
            self._summaries.pop((keys.org, keys.app, int(ctx.data["version"])), None)

    async def _step_tag(self, ctx: SagaContext) -> None:
        org, app, tag = str(ctx.params["org"]), str(ctx.params["app"]), str(ctx.params["tag"])
        if "previous_tag" not in ctx.data:
            ctx.data["previous_tag"] = (await self.tags(org, app)).get(tag)
            await ctx.save()
        await self._write_tag(org, app, tag, int(ctx.data["version"]))

    async def _undo_tag(self, ctx: SagaContext) -> None:
        org, app, tag = str(ctx.params["org"]), str(ctx.params["app"]), str(ctx.params["tag"])
        previous = ctx.data.get("previous_tag")
        if previous:
            await self._write_tag(org, app, tag, int(previous))
        elif "previous_tag" in ctx.data:
            await self.storage.delete(self.keys(org, app).tag_key(tag))

    # -- reading -----------------------------------------------------------------------------------
    async def list_versions(self, org: str, app: str) -> list[int]:
        """Every version, newest first (one paginated listing of manifest keys, no manifest reads)."""
        objects = await self.storage.list_objects(self.keys(org, app).packages_prefix)
        versions = {v for o in objects if (v := version_of_key(o.key)) is not None}
        return sorted(versions, reverse=True)

    def _remember(self, manifest: Manifest) -> None:
        key = (manifest.org, manifest.app, manifest.version)
        self._manifests[key] = manifest
        self._manifests.move_to_end(key)
        while len(self._manifests) > _CACHED_MANIFESTS:
            self._manifests.popitem(last=False)
        self._summaries[key] = PackageSummary.of(manifest)

    async def show(self, org: str, app: str, version: int) -> Manifest:
        cached = self._manifests.get((org, app, version))
        if cached is not None:
            self._manifests.move_to_end((org, app, version))
            return cached
        key = self.keys(org, app).manifest_key(version)
        if self._fetch is not None:
            async with self._fetch:
                raw = await self.storage.get_bytes(key, f"Read package {version}")
        else:
            raw = await self.storage.get_bytes(key, f"Read package {version}")
        manifest = await asyncio.to_thread(Manifest.from_json, raw)  # O(files): off the loop
        if (manifest.org, manifest.app, manifest.version) != (org, app, version):
            raise IntegrityError(f"Package {version} of {org}/{app} holds the manifest of another package.")
        self._remember(manifest)
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
        found, tags = await asyncio.gather(self._untagged_summaries(org, app, versions), self.tags(org, app))
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
        versions, tags = await asyncio.gather(self.list_versions(org, app), self.tags(org, app))
        found = _with_tags(await self._untagged_summaries(org, app, versions), tags)
        matches = [s for s in found if s.matches(text)]
        return PackagePage(len(matches), matches[offset : offset + limit])

    async def diff(self, org: str, app: str, old: int, new: int) -> PackageDiff:
        a, b = await asyncio.gather(self.show(org, app, old), self.show(org, app, new))
        return diff_packages(a, b)

    async def tags(self, org: str, app: str) -> dict[str, int]:
        keys = self.keys(org, app)
        objects = await self.storage.list_objects(keys.tags_prefix)

        async def read(key: str) -> tuple[str, int] | None:
            try:
                data = json.loads(await self.storage.get_bytes(key, "Read tag"))
                return str(data["tag"]), int(data["version"])
            except (NotFound, ValueError, KeyError, TypeError, RecursionError):
                return None

        pairs = await asyncio.gather(*(read(o.key) for o in objects if o.key.endswith(".json")))
        return dict(p for p in pairs if p is not None)

    async def tag(self, org: str, app: str, version: int, tag: str) -> None:
        """Point a tag at an existing version (moves it if it pointed elsewhere)."""
        check_tag(tag)
        await self.show(org, app, version)
        await self._write_tag(org, app, tag, version)

    async def _write_tag(self, org: str, app: str, tag: str, version: int) -> None:
        body = {
            "tag": tag, "version": version, "updated_by": self.actor(),
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }  # fmt: skip
        data = json.dumps(body, sort_keys=True).encode()
        await self.storage.put_bytes(
            self.keys(org, app).tag_key(tag), data, content_type="application/json", what=f"Tag '{tag}'"
        )


def _with_tags(summaries: list[PackageSummary], tags: dict[str, int]) -> list[PackageSummary]:
    by_version: dict[int, list[str]] = {}
    for name, version in sorted(tags.items()):
        by_version.setdefault(version, []).append(name)
    return [dataclasses.replace(s, tags=tuple(by_version.get(s.version, ()))) for s in summaries]


def register_publish_saga(sagas: SagaRunner, resolve: Callable[[dict[str, Any]], PackageService]) -> None:
    """Register `package.publish`; `resolve(params)` finds the service of the saga's profile (reconcile)."""
    sagas.register(
        SagaDefinition(PUBLISH_KIND, lambda params: resolve(params)._publish_steps(params), Recovery.FORWARD)
    )


def open_packages(
    profile: Profile,
    s3_client: Callable[[], S3Client],
    sagas: SagaRunner,
    dirs: AppDirs,
    *,
    who: Callable[[], Awaitable[str]] | None = None,
) -> PackageService:
    """The package service of one profile (built by the composition root)."""
    storage = S3Storage(
        s3_client, profile.bucket, checkpoints=UploadCheckpoints(dirs.data / "upload_checkpoints.sqlite3")
    )
    return PackageService(
        storage, sagas, HashCache(dirs.cache / "hashes.sqlite3"), cache_dir=dirs.cache,
        key_prefix=profile.key_prefix, public_base_url=profile.public_base_url, who=who,
        profile_name=profile.name,
    )  # fmt: skip
