"""The publish saga `package.publish` (recovery FORWARD: a run the app did not finish is finished at the
next start, without re-sending what already reached S3).

1. `upload files`: one listing of the app's packages/ (while the bundle is scanned and hashed) →
   pre-flight (what is stored: the newest package's files, the others by HEAD or one listing of
   files/) → upload what is missing, each object
   only if absent (resumable) → clean orphaned multipart uploads. Undo: abort this run's unfinished
   uploads (the uploader already did on failure; an interrupted run journals them as `unsent`) and
   delete the objects this run created, except those
   a package written meanwhile references (content is shared between packages).
2. `write manifest`: `PutObject(IfNoneMatch="*")` at the next free version; 412 → list and take the
   next. A manifest with this saga's id written before a crash is adopted, and so is the version of an
   interrupted publish of this same bundle that this run repeats (`intent.py`). Undo: delete it if ours.
3. `tag` (optional): point `tags/{tag}.json` at the version, conditional on the pointer read first
   (someone moving the tag meanwhile: a `Conflict`, their move kept). Undo: restore the previous
   pointer, only while it is still this publish's.
4. `verify`: read the manifest back (ours, same content), check that every file it names is stored with
   its size and that the tag points at it, before the run is called done. Nothing deletes a file but the
   undo of the run that created it (creation is exclusive: `If-None-Match`), so two kinds need no check:
   the files this run created, and those the newest package at the start names while it exists (one
   HEAD says it does). The others, found stored by someone else's run that may yet be undone, are checked
   (a HEAD each when few, else one listing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.bundles import content_type
from hyperota_desktop.domain.errors import Conflict, IntegrityError, NotFound, ValidationError
from hyperota_desktop.domain.packages import AppKeys, Manifest, PackageFile, public_url
from hyperota_desktop.services.bundle_scan import discard_extraction
from hyperota_desktop.services.packages.catalogue import Catalogue
from hyperota_desktop.services.packages.preflight import Preflighter
from hyperota_desktop.services.packages.tags import TagPointer
from hyperota_desktop.services.packages.undo_progress import DELETE_BATCH, PublishUndone
from hyperota_desktop.services.saga import Recovery, SagaContext, SagaDefinition, SagaRunner, Step
from hyperota_desktop.services.storage import S3Storage, UploadItem, UploadReport
from hyperota_desktop.services.transfer import ProgressMeter
from hyperota_desktop.services.workers import landed_before_cancel

log = logging.getLogger("hyperota.services.packages")
PUBLISH_KIND = "package.publish"
_MAX_VERSION_TRIES = 1000


@dataclass(frozen=True)
class PublishResult:
    version: int
    tag: str | None
    files: int
    bytes_uploaded: int  # sent by this publish (a resumed upload counts only the parts it sent)
    bytes_skipped: int
    manifest: Manifest
    adopted: bool = False  # an identical package already existed (adopt_identical): nothing was written
    finished_interrupted: bool = False  # this repeated an interrupted publish, finished as `version`

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "tag": self.tag, "files": self.files,
            "bytes_uploaded": self.bytes_uploaded, "bytes_skipped": self.bytes_skipped,
            "total_size": self.manifest.total_size, "index": self.manifest.index, "adopted": self.adopted,
            "finished_interrupted": self.finished_interrupted,
        }  # fmt: skip


@dataclass
class PublishSaga:
    storage: S3Storage
    catalogue: Catalogue
    preflighter: Preflighter
    public_base_url: str
    # (run, newest version) → the version of the interrupted publish this run repeats (intent.py)
    repeats: Callable[[SagaContext, int], Awaitable[int | None]] | None = None

    def keys(self, ctx: SagaContext) -> AppKeys:
        return self.catalogue.keys(str(ctx.params["org"]), str(ctx.params["app"]))

    def steps(self, params: dict[str, Any]) -> list[Step]:
        steps = [
            Step("upload files", self._upload, self._undo_upload),
            Step("write manifest", self._manifest, self._undo_manifest),
        ]
        if params.get("tag"):
            steps.append(Step("tag", self._tag, self._undo_tag))
        steps.append(Step("verify", self._verify))
        return steps

    # -- 1. files ------------------------------------------------------------------------------------
    async def _upload(self, ctx: SagaContext) -> None:
        p, runtime = ctx.params, ctx.runtime
        org, app = str(p["org"]), str(p["app"])

        async def listed() -> list[int]:  # while the bundle is scanned and hashed; before any upload
            versions = await self.catalogue.list_versions(org, app)
            if "latest_at_start" not in ctx.data:  # packages written after this are not undone by us
                ctx.data["latest_at_start"] = versions[0] if versions else 0
                await ctx.save()
            return versions

        pre = await self.preflighter.check(
            org, app, [Path(s) for s in p["sources"]], index=p.get("index"), progress=runtime.progress,
            control=runtime.control, versions=listed(),
        )  # fmt: skip
        expected = p.get("expected")
        if expected and pre.fingerprint != expected:
            discard_extraction(pre.bundle)
            raise ValidationError(
                "The bundle changed since it was checked: it is not what you confirmed. "
                "Nothing was uploaded.",
                hint="Drop it again, check the pre-flight and confirm.",
            )
        keys = self.keys(ctx)
        items: dict[str, UploadItem] = {}
        for row, f in zip(pre.rows, pre.bundle.files, strict=True):
            if not row.stored and row.sha256 not in items:
                hashed = pre.hashes[f.path]
                items[row.sha256] = UploadItem(
                    f.local, f.size, row.sha256, keys.file_key(row.sha256), content_type(f.path), f.path,
                    hashed.mtime_ns, hashed.part_size, hashed.part_sums,
                )  # fmt: skip
        to_send = sum(i.size for i in items.values())
        meter = ProgressMeter("uploading", to_send, len(items), runtime.progress, runtime.control)
        meter.flush()
        report = UploadReport()
        try:
            await self.storage.upload_all(list(items.values()), meter=meter, control=runtime.control,
                                          report=report)  # fmt: skip
        finally:
            ctx.data["created"] = sorted({*ctx.data.get("created", []), *report.created})
            # sizes of what this run sends: an undo counts the bytes it removes
            ctx.data["sizes"] = {**ctx.data.get("sizes", {}), **{i.key: i.size for i in items.values()}}
            # not sent yet (interrupted): an undo aborts their checkpointed multipart uploads
            ctx.data["unsent"] = sorted({i.key for i in items.values()} - set(ctx.data["created"]))
        meter.flush()
        stored_now = {keys.file_key(r.sha256) for r in pre.rows}
        await self.storage.cleanup_orphans(keys.files_prefix, stored=stored_now)
        ctx.data.update(
            files=[[r.path, r.sha256, r.size] for r in pre.rows],
            fingerprint=pre.fingerprint,
            index=pre.bundle.index,
            source=p.get("source_label") or pre.bundle.source,
            bytes_uploaded=report.bytes_sent,
            bytes_skipped=pre.total_size - report.bytes_sent,
            vouched_by=pre.vouched_by,
        )
        # Kept until here: an interrupted run resumes from the same extracted files (same mtimes, so
        # the hash cache and the upload checkpoints still match them).
        discard_extraction(pre.bundle)

    async def _undo_upload(self, ctx: SagaContext) -> None:
        """Delete the objects this run created, unless a package written since it started names them;
        abort the multipart uploads an interruption left (checkpointed here, for a resume). Reports
        `PublishUndone` after each request (aborted uploads, then files deleted in batches)."""
        unsent: list[str] = list(ctx.data.get("unsent", []))
        created: list[str] = list(ctx.data.get("created", []))
        doomed = await self._doomed(ctx, created) if created else []
        sizes: dict[str, int] = dict(ctx.data.get("sizes", {}))
        total_bytes = sum(sizes.get(key, 0) for key in doomed)
        kept = len(created) - len(doomed)  # another package uses them now

        def report(files: int, size: int, aborted: int) -> None:
            event = PublishUndone(files, len(doomed), size, total_bytes, aborted, len(unsent), kept)
            try:
                ctx.runtime.report(event)
            except Exception as exc:  # a display that cannot take it must not leave files behind
                log.warning("progress of the undo of %s not shown: %r", ctx.saga_id, exc)

        report(0, 0, 0)
        for n, key in enumerate(unsent, start=1):
            await self.storage.abort_uploads([key])
            report(0, 0, n)
        deleted = deleted_bytes = 0
        for start in range(0, len(doomed), DELETE_BATCH):
            batch = doomed[start : start + DELETE_BATCH]
            await self.storage.delete_keys(batch)
            deleted += len(batch)
            deleted_bytes += sum(sizes.get(key, 0) for key in batch)
            report(deleted, deleted_bytes, len(unsent))
        ctx.data.update(
            deleted_files=len(doomed),
            deleted_bytes=deleted_bytes,
            kept_files=kept,
            aborted_uploads=len(unsent),
        )

    async def _doomed(self, ctx: SagaContext, created: list[str]) -> list[str]:
        """What this run created that no package written since it started names."""
        org, app = str(ctx.params["org"]), str(ctx.params["app"])
        since = int(ctx.data.get("latest_at_start", 0))
        ours = int(ctx.data["version"]) if ctx.data.get("wrote_manifest") else None
        in_use: set[str] = set()
        for version in await self.catalogue.list_versions(org, app):
            if version <= since:
                break
            if version == ours:
                continue
            with contextlib.suppress(NotFound):
                manifest = await self.catalogue.show(org, app, version)
                in_use |= {self.keys(ctx).file_key(f.checksum) for f in manifest.files}
        return [key for key in created if key not in in_use]

    # -- 2. manifest ---------------------------------------------------------------------------------
    def _manifest_for(self, ctx: SagaContext, version: int) -> Manifest:
        p, d = ctx.params, ctx.data
        keys = self.keys(ctx)
        files = tuple(
            PackageFile(path, public_url(self.public_base_url, keys.file_key(digest)), digest, int(size))
            for path, digest, size in d["files"]
        )
        return Manifest(
            org=keys.org, app=keys.app, version=version, index=str(d["index"]), files=files,
            created_at=str(d["created_at"]), created_by=str(d["created_by"]), source=str(d["source"]),
            tag=p.get("tag") or None, properties=dict(p.get("properties") or {}),
        )  # fmt: skip

    def _manifest_and_body(self, ctx: SagaContext, version: int) -> tuple[Manifest, bytes]:
        manifest = self._manifest_for(ctx, version)
        return manifest, manifest.to_json()

    async def _manifest(self, ctx: SagaContext) -> None:
        p = ctx.params
        org, app = str(p["org"]), str(p["app"])
        keys = self.keys(ctx)
        ctx.data.setdefault("created_at", datetime.now(UTC).isoformat(timespec="seconds"))
        ctx.data.setdefault("created_by", str(p.get("created_by") or "unknown"))
        adopted = await self._adopt_existing(ctx)
        if adopted:
            ctx.data["version"] = adopted
            ctx.data["wrote_manifest"] = True
            return
        if p.get("adopt_identical"):
            files = [(str(f), str(h), int(n)) for f, h, n in ctx.data["files"]]
            identical = await self.catalogue.find_identical(
                org, app, str(ctx.data["index"]), files, dict(p.get("properties") or {})
            )
            if identical is not None:
                ctx.data.update(version=identical, adopted=True)  # not ours: verify, never undo it
                return
        elif self.repeats is not None:
            newest = int(ctx.data.get("latest_at_start", 0))
            repeated = await self.repeats(ctx, newest)
            if repeated is not None:  # already published by the run this one repeats: never undo it
                ctx.data.update(version=repeated, adopted=True, finished_interrupted=True)
                return
        # The next number after the newest at the start; taken meanwhile (412): list again, take the next.
        version = int(ctx.data.get("trying_version") or int(ctx.data.get("latest_at_start", 0)) + 1)
        for _ in range(_MAX_VERSION_TRIES):
            ctx.data["trying_version"] = version
            # The manifest and its JSON (O(files)) are built off the loop while the journal records the try.
            built = asyncio.ensure_future(
                self.storage.workers.transfer(self._manifest_and_body, ctx, version)
            )
            try:
                await ctx.save()
            except BaseException:
                built.cancel()
                await asyncio.gather(built, return_exceptions=True)
                raise
            manifest, body = await built
            try:
                # A cancel waits for the PUT: landing after the undo looked, it would leave a package
                # whose files the undo deleted. The undo finds it by `trying_version` and its saga id.
                await landed_before_cancel(self.storage.put_bytes(
                    keys.manifest_key(version), body, content_type="application/json",
                    if_none_match=True, metadata={"saga": ctx.saga_id}, what=f"Write package {version}",
                ))  # fmt: skip
            except Conflict:
                log.info("version %d of %s/%s was taken, trying the next", version, org, app)
                versions = await self.catalogue.list_versions(org, app)
                version = max(version, versions[0] if versions else 0) + 1
                continue
            ctx.data["version"] = version
            ctx.data["wrote_manifest"] = True
            self.catalogue.remember(manifest)
            return
        raise Conflict("Could not allocate a package version (too many concurrent publishers).")

    async def _ours(self, ctx: SagaContext, version: int) -> bool:
        head = await self.storage.head(self.keys(ctx).manifest_key(version))
        return bool(head.get("Metadata", {}).get("saga") == ctx.saga_id)

    async def _adopt_existing(self, ctx: SagaContext) -> int | None:
        """After a crash between the put and the journal: the manifest this very saga already wrote."""
        trying = ctx.data.get("trying_version")
        if trying is None:
            return None
        try:
            return int(trying) if await self._ours(ctx, int(trying)) else None
        except NotFound:
            return None

    async def _undo_manifest(self, ctx: SagaContext) -> None:
        if ctx.data.get("wrote_manifest"):
            version = int(ctx.data["version"])
        elif ctx.data.get("trying_version") and not ctx.data.get("adopted"):
            version = int(ctx.data["trying_version"])  # stopped as its PUT ended: ours if it says so
        else:
            return
        keys = self.keys(ctx)
        try:
            ours = await self._ours(ctx, version)
        except NotFound:
            ours = False  # already gone
        if ours:
            await self.storage.delete(keys.manifest_key(version))
        self.catalogue.forget(keys.org, keys.app, version)

    # -- 3. tag --------------------------------------------------------------------------------------
    async def _tag(self, ctx: SagaContext) -> None:
        org, app, tag = str(ctx.params["org"]), str(ctx.params["app"]), str(ctx.params["tag"])
        if "previous_tag" not in ctx.data:
            before = await self.catalogue.tags.pointer(org, app, tag)
            ctx.data["previous_tag"] = before.version if before is not None else None
            ctx.data["previous_tag_body"] = before.body if before is not None else None
            ctx.data["previous_tag_etag"] = before.etag if before is not None else ""
            await ctx.save()
        by = str(ctx.data.get("created_by") or ctx.params.get("created_by") or "unknown")
        # Conditional on the pointer read (someone moving the tag meanwhile: a Conflict, their move kept).
        # A cancel waits for the PUT: landing after the undo, it would point the tag at a deleted package.
        await landed_before_cancel(self.catalogue.tags.write(
            org, app, tag, int(ctx.data["version"]), by=by, saga=ctx.saga_id, over=_previous_pointer(ctx),
        ))  # fmt: skip

    async def _undo_tag(self, ctx: SagaContext) -> None:
        """Put the previous pointer back, only while the tag is still this publish's (conditional on it):
        a move someone made since is theirs and is kept."""
        org, app, tag = str(ctx.params["org"]), str(ctx.params["app"]), str(ctx.params["tag"])
        if "previous_tag" not in ctx.data or "version" not in ctx.data:
            return
        tags = self.catalogue.tags
        now = await tags.pointer(org, app, tag)
        if now is None or now.version != int(ctx.data["version"]) or now.saga not in (ctx.saga_id, ""):
            log.info("tag %s of %s/%s is not this publish's (%s): left as it is", tag, org, app, ctx.saga_id)
            return
        previous, body = ctx.data.get("previous_tag"), ctx.data.get("previous_tag_body")
        by = str(ctx.data.get("created_by") or ctx.params.get("created_by") or "unknown")
        try:
            if isinstance(body, dict):
                await tags.put_body(org, app, tag, body, over=now)
            elif previous:  # a run journalled before pointers were kept whole
                await tags.write(org, app, tag, int(previous), by=by, over=now)
            else:
                await tags.delete(org, app, tag, over=now)
        except Conflict as exc:
            log.info("undo of %s left tag %s of %s/%s as it is: %s", ctx.saga_id, tag, org, app, exc)

    # -- 4. verify -----------------------------------------------------------------------------------
    async def _verify(self, ctx: SagaContext) -> None:
        org, app, version = str(ctx.params["org"]), str(ctx.params["app"]), int(ctx.data["version"])
        adopted = bool(ctx.data.get("adopted"))  # someone else's identical package: only its files count
        # The read-back, the HEAD of the vouching package and the manifest we expect are independent:
        # at once, not one after the other (the first failure is raised; the others are stopped).
        reads = (
            asyncio.ensure_future(self.catalogue.read_back(org, app, version)),  # from S3, not our cache
            asyncio.ensure_future(self._vouched(ctx, org, app)),  # once: one HEAD, not one per file
            asyncio.ensure_future(
                self.storage.workers.transfer(self._manifest_for, ctx, version) if not adopted else _none()
            ),
        )
        try:
            (stored, metadata), vouched, expected = await asyncio.gather(*reads)
        except BaseException:
            for task in reads:
                task.cancel()
            await asyncio.gather(*reads, return_exceptions=True)
            raise
        ours = metadata.get("saga") == ctx.saga_id
        if not adopted and (not ours or stored != expected):
            raise IntegrityError(
                f"Package {version} of {org}/{app} in S3 is not the manifest this publish wrote."
            )
        wanted, keys = {f.checksum: f for f in stored.files}, self.keys(ctx)
        created = set(ctx.data.get("created", []))  # no other run's undo deletes these (module doc)
        to_check = [d for d in wanted if d not in vouched and keys.file_key(d) not in created]
        sizes = await self.catalogue.sizes_of(org, app, to_check)
        missing = [wanted[d].file_path for d in to_check if sizes.get(d) != wanted[d].size]
        if missing:
            raise IntegrityError(
                f"Package {version} of {org}/{app} names {len(missing)} file(s) S3 does not hold as written, "
                f"e.g. '{missing[0]}'.",
                hint="Publish again.",
            )
        tag = ctx.params.get("tag")
        if tag and (await self.catalogue.tags.read(org, app)).get(str(tag)) != version:
            raise IntegrityError(f"Tag '{tag}' of {org}/{app} does not point at version {version}.")
        log.info("verified package %d of %s/%s (%d files, %d checked, saga %s)", version, org, app,
                 len(stored.files), len(to_check), ctx.saga_id)  # fmt: skip

    async def _vouched(self, ctx: SagaContext, org: str, app: str) -> frozenset[str]:
        """The files of the newest package at the start, if it still exists: nothing deletes the files
        of an existing package, so they need no check (an undone publish deletes its manifest first)."""
        base = ctx.data.get("vouched_by")
        if not base or await self.storage.size_of(self.keys(ctx).manifest_key(int(base))) is None:
            return frozenset()
        manifest = await self.catalogue.show(org, app, int(base))  # immutable: the cached one is it
        return frozenset(f.checksum for f in manifest.files)


async def _none() -> None:
    return None


def _previous_pointer(ctx: SagaContext) -> TagPointer | None:
    """The tag as the publish read it (None: there was none); a run journalled before ETags were kept
    gives an unconditional pointer (etag "")."""
    body, previous = ctx.data.get("previous_tag_body"), ctx.data.get("previous_tag")
    if isinstance(body, dict):
        return TagPointer.of(body, str(ctx.data.get("previous_tag_etag") or ""))
    if previous:
        return TagPointer(int(previous), "", {"version": int(previous)})
    return None


def register_publish_saga(sagas: SagaRunner, resolve: Callable[[dict[str, Any]], PublishSaga]) -> None:
    """Register `package.publish`; `resolve(params)` finds the saga of the run's profile (reconcile)."""
    sagas.register(
        SagaDefinition(PUBLISH_KIND, lambda params: resolve(params).steps(params), Recovery.FORWARD)
    )
