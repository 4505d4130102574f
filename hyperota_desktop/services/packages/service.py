"""`PackageService`: packages of the applications one profile can reach, every call authorized first.

The one entry point for the GUI, the CLI and other services (releases): read (list, show, search, diff)
needs read access to the application, publish and tag need write access (`services.authz`); the author
of a package or a tag move is the signed-in person the authorizer knows (one notion of "who").
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.access import Action, Identity
from hyperota_desktop.domain.errors import (
    AuthError,
    HyperOtaError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from hyperota_desktop.domain.packages import AppKeys, Manifest, PackageDiff, check_tag
from hyperota_desktop.services.authz import Authorizer
from hyperota_desktop.services.hashing import PartPlan
from hyperota_desktop.services.packages.catalogue import Catalogue, PackagePage
from hyperota_desktop.services.packages.intent import repeated_publish
from hyperota_desktop.services.packages.preflight import Preflight, Preflighter
from hyperota_desktop.services.packages.publish import (
    PUBLISH_KIND,
    PublishResult,
    PublishSaga,
    register_publish_saga,
)
from hyperota_desktop.services.packages.tag_move import (
    TAG_KIND,
    TagMove,
    register_tag_saga,
    tag_move_title,
)
from hyperota_desktop.services.packages.tags import Tags
from hyperota_desktop.services.saga import UNKNOWN_ACTOR, SagaContext, SagaRunner, SagaRuntime, failure
from hyperota_desktop.services.storage import S3Storage
from hyperota_desktop.services.transfer import ProgressCallback, TransferControl
from hyperota_desktop.stores.hash_cache import HashCache
from hyperota_desktop.stores.journal import SagaRecord


def author(identity: Identity) -> str:
    """How a person is recorded as the author of a package or tag: e-mail when known."""
    return identity.email or identity.display_name()


class PackageService:
    def __init__(
        self,
        storage: S3Storage,
        sagas: SagaRunner,
        hash_cache: HashCache | None,
        *,
        authz: Authorizer,
        cache_dir: Path,
        key_prefix: str = "",
        public_base_url: str = "",
        profile_name: str = "",
        fetch_concurrency: int = 16,
    ) -> None:
        self.storage = storage
        self.sagas = sagas
        self.hash_cache = hash_cache
        self.authz = authz
        self.key_prefix = key_prefix
        self.profile_name = profile_name
        self.tags_store = Tags(storage, key_prefix)
        self.catalogue = Catalogue(storage, self.tags_store, key_prefix, fetch_concurrency=fetch_concurrency)
        plan = PartPlan(storage.uploads.part_size, storage.uploads.multipart_threshold)
        self.preflighter = Preflighter(self.catalogue, hash_cache, cache_dir, storage.workers, plan)
        self.publisher = PublishSaga(
            storage, self.catalogue, self.preflighter, public_base_url, repeats=self._repeats
        )
        if PUBLISH_KIND not in sagas.definitions:
            register_publish_saga(sagas, lambda _params: self.publisher)
        if TAG_KIND not in sagas.definitions:
            register_tag_saga(sagas, lambda _params: self.catalogue)

    async def _repeats(self, ctx: SagaContext, newest: int) -> int | None:
        return await repeated_publish(self.sagas, PUBLISH_KIND, ctx, newest)

    def keys(self, org: str, app: str) -> AppKeys:
        """Every S3 key of one application (below the profile's key prefix)."""
        return self.catalogue.keys(org, app)

    def close(self) -> None:
        """Close the SQLite files (upload checkpoints, hash cache)."""
        self.storage.close()
        if self.hash_cache is not None:
            self.hash_cache.close()

    # -- pre-flight and publish ----------------------------------------------------------------------
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
        await self.authz.require(Action.PUBLISH_PACKAGE, org, app)
        return await self.preflighter.check(
            org, app, sources, index=index, progress=progress, control=control
        )

    async def publish(
        self,
        org: str,
        app: str,
        sources: list[Path],
        *,
        index: str | None = None,
        tag: str | None = None,
        runtime: SagaRuntime | None = None,
        expected: str | None = None,
        properties: dict[str, Any] | None = None,
        source_label: str | None = None,
        adopt_identical: bool = False,
    ) -> PublishResult:
        """Publish `sources`; with `expected` (a `Preflight.fingerprint`), only if the bundle is still
        exactly what the person confirmed (else ValidationError, nothing uploaded). `runtime` receives
        the progress and holds the pause/cancel control.

        `properties` go into the manifest; `source_label` replaces the dropped path as its `source`;
        `adopt_identical` returns an existing version with exactly this content instead of writing a new
        one (archive imports: importing twice creates nothing new)."""
        if tag is not None:
            check_tag(tag)
        if not self.storage.bucket:
            raise ValidationError(
                "The profile names no S3 bucket.", hint="Edit the profile and set its bucket."
            )
        # The S3 client (botocore's models: ~0.3-0.5 s, in a worker thread) is built while the sign-in is
        # checked (keyring, OIDC); a failure to build it is raised by the publish's first S3 call.
        warming = asyncio.ensure_future(self._warm_client())
        try:
            identity = await self.authz.require(Action.PUBLISH_PACKAGE, org, app)
        finally:
            await warming
        params = {
            "org": org, "app": app, "sources": [str(p.resolve()) for p in sources], "index": index,
            "tag": tag, "bucket": self.storage.bucket, "key_prefix": self.key_prefix,
            "started_at": time.time(), "run": uuid.uuid4().hex, "profile": self.profile_name,
            "created_by": author(identity), "expected": expected, "properties": dict(properties or {}),
            "source_label": source_label, "adopt_identical": adopt_identical,
        }  # fmt: skip
        record = await self.sagas.run(PUBLISH_KIND, params, f"Publish a package of {org}/{app}", runtime)
        return await self.result_of(record)

    async def _warm_client(self) -> None:
        with contextlib.suppress(Exception):
            await self.storage.client()

    async def result_of(self, record: SagaRecord) -> PublishResult:
        """What a finished publish run produced (also for one finished by a reconciliation)."""
        data, params = record.data, record.params
        manifest = await self.catalogue.show(str(params["org"]), str(params["app"]), int(data["version"]))
        return PublishResult(
            version=manifest.version,
            tag=params.get("tag") or None,
            files=len(manifest.files),
            bytes_uploaded=int(data.get("bytes_uploaded", 0)),
            bytes_skipped=int(data.get("bytes_skipped", 0)),
            manifest=manifest,
            adopted=bool(data.get("adopted")),
            finished_interrupted=bool(data.get("finished_interrupted")),
        )

    async def recover(self, runtime: SagaRuntime | None = None, *, paused: bool = True) -> list[SagaRecord]:
        """Finish the publishes the app did not finish (crash, quit), reporting to `runtime`; undo the
        tag moves it did not finish. Only those of the signed-in person (and of nobody known): a
        publish paused by alice's sign-out is neither finished nor shown when bob signs in, it waits
        for her. Signed out (the CLI without a sign-in), all of them. `paused=False` (the window)
        leaves the publishes the person paused: they are offered (`paused_publishes`) instead.

        The S3 client is built meanwhile (as in `publish`): a publish command recovers first, and the
        identity check that starts it is network round trips the build overlaps."""
        warming = asyncio.ensure_future(self._warm_client()) if self.storage.bucket else None
        try:
            me = await self._me()
        finally:
            if warming is not None:
                await warming
        return await self.sagas.reconcile(runtime, kinds={PUBLISH_KIND, TAG_KIND}, actors=me, paused=paused)

    async def _me(self) -> set[str] | None:
        """The journal's actors of the signed-in person (and of nobody known); None when signed out."""
        try:
            return {author(await self.authz.identity()), UNKNOWN_ACTOR}
        except AuthError:
            return None

    # -- a publish the person paused (Pause and quit, Pause and sign out) ------------------------------
    async def pause_interrupted(self, org: str, app: str, why: str) -> SagaRecord | None:
        """Mark the publish to org/app just interrupted here as paused by the person (`why`: "quit",
        "sign-out", ...): the newest unfinished one no live process holds. None when there is none."""
        journal = self.sagas.journal
        listed = await self.sagas.workers.short(
            journal.list, unfinished_only=True, scope=self.sagas.scope, org=org, app=app
        )
        for record in listed:
            if record.kind == PUBLISH_KIND and await self.sagas.workers.short(journal.orphaned, record):
                await self.sagas.pause(record.id, why)
                return await self.sagas.workers.short(journal.get, record.id)
        return None

    async def paused_publishes(self) -> list[SagaRecord]:
        """The signed-in person's paused publishes of this profile, newest first (none signed out)."""
        me = await self._me()
        if me is None:
            return []
        return await self.sagas.paused_runs(kinds={PUBLISH_KIND}, actors=me)

    async def _own_paused(self, saga_id: str) -> SagaRecord:
        record = await self.sagas.workers.short(self.sagas.journal.get, saga_id)
        if record is None or record.kind != PUBLISH_KIND or record.scope != self.sagas.scope:
            raise NotFound("That publish is not in this profile's journal.")
        org, app = str(record.params["org"]), str(record.params["app"])
        identity = await self.authz.require(Action.PUBLISH_PACKAGE, org, app)
        if record.actor not in {author(identity), UNKNOWN_ACTOR}:
            raise PermissionDenied(
                f"This publish to {org}/{app} was started by {record.actor}; only they can resume or "
                "cancel it."
            )
        return record

    async def resume_publish(self, saga_id: str, runtime: SagaRuntime | None = None) -> PublishResult:
        """Go on with a paused publish of the signed-in person, from where it stopped."""
        await self._own_paused(saga_id)
        record = await self.sagas.resume(saga_id, runtime)
        if record.status != "done":  # a step failed: undone (or stuck), as a publish's failure is
            raise failure(record.title, HyperOtaError(record.error or record.status), record)
        return await self.result_of(record)

    async def cancel_publish(self, saga_id: str, runtime: SagaRuntime | None = None) -> SagaRecord:
        """Undo a paused publish of the signed-in person: its uploads are aborted, what it sent deleted."""
        await self._own_paused(saga_id)
        return await self.sagas.undo(saga_id, runtime)

    # -- reading -------------------------------------------------------------------------------------
    async def list_versions(self, org: str, app: str) -> list[int]:
        await self.authz.require(Action.VIEW_APP, org, app)
        return await self.catalogue.list_versions(org, app)

    async def show(self, org: str, app: str, version: int) -> Manifest:
        await self.authz.require(Action.VIEW_APP, org, app)
        return await self.catalogue.show(org, app, version)

    async def page(self, org: str, app: str, *, offset: int = 0, limit: int = 50) -> PackagePage:
        await self.authz.require(Action.VIEW_APP, org, app)
        return await self.catalogue.page(org, app, offset=offset, limit=limit)

    async def search(self, org: str, app: str, text: str, *, offset: int = 0, limit: int = 50) -> PackagePage:
        await self.authz.require(Action.VIEW_APP, org, app)
        return await self.catalogue.search(org, app, text, offset=offset, limit=limit)

    async def diff(self, org: str, app: str, old: int, new: int) -> PackageDiff:
        await self.authz.require(Action.VIEW_APP, org, app)
        return await self.catalogue.diff(org, app, old, new)

    async def tags(self, org: str, app: str) -> dict[str, int]:
        await self.authz.require(Action.VIEW_APP, org, app)
        return await self.tags_store.read(org, app)

    async def tag(self, org: str, app: str, version: int, tag: str) -> TagMove:
        """Point a tag at an existing version (moves it if it pointed elsewhere), journalled as a
        `package.tag` run (`tag_move.py`: what is checked first, what a failure leaves)."""
        check_tag(tag)
        identity = await self.authz.require(Action.TAG_PACKAGE, org, app)
        await self.catalogue.show(org, app, version)  # NotFound: nothing written, nothing journalled
        now = await self.tags_store.pointer(org, app, tag)
        if now is not None and now.version == version:
            return TagMove(org, app, tag, version, version, changed=False)
        params = {
            "org": org, "app": app, "tag": tag, "version": version, "by": author(identity),
            "bucket": self.storage.bucket, "key_prefix": self.key_prefix, "profile": self.profile_name,
        }  # fmt: skip
        record = await self.sagas.run(TAG_KIND, params, tag_move_title(org, app, tag, version))
        moved_from = record.data.get("moved_from")
        return TagMove(org, app, tag, version, int(moved_from) if moved_from is not None else None)
