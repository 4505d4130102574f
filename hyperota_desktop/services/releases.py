"""Releases of one application: review and create (a saga), edit, clone, list, inspect, ramp, pause,
resume, conclude, revert, discard, and the four-eyes setting. Every call is authorized here.

The GUI's wizard calls `review(draft)` on every page change (per-field problems, the exact device
config), then `create(draft)`; the Releases page calls `page(...)` and polls `refresh(...)`; the detail
view calls `detail(id)`; confirmations call `impact(id, action)` before the action itself.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.access import Action
from hyperota_desktop.domain.dimensions import Dimension
from hyperota_desktop.domain.errors import Conflict, PermissionDenied, ValidationError
from hyperota_desktop.domain.packages import PackageFile
from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.domain.releases import (
    Impact,
    Release,
    ReleaseAction,
    ReleaseStatus,
    already_there,
    impact_of,
    release_from_experiment,
)
from hyperota_desktop.services.authz import Authorizer
from hyperota_desktop.services.dimensions import DimensionService
from hyperota_desktop.services.orgs import OrgService
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.release_access import WorkspaceLocator, me
from hyperota_desktop.services.release_create import (
    CREATE_KIND,
    ReleaseReview,
    build_review,
    experiment_body,
)
from hyperota_desktop.services.release_detail import (
    FourEyes,
    ReleaseDetail,
    build_detail,
    needed,
    read_four_eyes,
    waiting,
)
from hyperota_desktop.services.release_index import Progress, ReleaseIndex, ReleasePage
from hyperota_desktop.services.saga import SagaRunner, SagaRuntime
from hyperota_desktop.services.saga_repeats import finished_repeat
from hyperota_desktop.services.sp_workspace import WorkspaceApi
from hyperota_desktop.services.superposition import SuperpositionClient
from hyperota_desktop.stores.journal import SagaRecord

log = logging.getLogger("hyperota.services.releases")


class DraftInvalid(ValidationError):
    """A draft that cannot become a release; `review.problems` says what, field by field."""

    def __init__(self, review: ReleaseReview) -> None:
        errors = "; ".join(f"{p.field}: {p.message}" for p in review.errors[:6])
        super().__init__(f"The release cannot be created: {errors}")
        self.review = review


@dataclass(frozen=True)
class ReleaseCreated:
    release: Release
    record: SagaRecord
    first_release: bool
    waiting_for_second_person: bool
    finished_interrupted: bool = False  # this request repeated a creation a crash interrupted


@dataclass(frozen=True)
class ActionResult:
    release: Release
    impact: Impact


def draft_from(release: Release) -> ReleaseDraft:
    """A new draft repeating `release` (clone): same target, package, file split, config and notes."""
    exp = dict(release.experimental.overrides) if release.experimental else {}
    lazy = tuple(str(f.get("file_path")) for f in exp.get("package.lazy") or [] if isinstance(f, dict))
    return ReleaseDraft(
        target=release.target.as_dict(),
        package=str(release.package_version or ""),
        lazy=lazy,
        resources=tuple(PackageFile.from_dict(f) for f in exp.get("resources") or []),
        boot_timeout=exp.get("config.boot_timeout", 1000),
        release_config_timeout=exp.get("config.release_config_timeout", 1000),
        properties=dict(exp.get("config.properties") or {}),
        notes=release.notes,
    )


def _reason(what: str, why: str) -> str:
    return f"HyperOTA: {what}" + (f" ({why})" if why.strip() else "")


class ReleaseService:
    def __init__(
        self,
        superposition: SuperpositionClient,
        packages: PackageService,
        orgs: OrgService,
        runner: SagaRunner,
        locator: WorkspaceLocator,
        dimensions: DimensionService,
        authz: Authorizer,
    ) -> None:
        self.superposition = superposition
        self.packages = packages
        self.orgs = orgs
        self.runner = runner
        self.locator = locator
        self.dimensions = dimensions
        self.authz = authz
        self._indexes: dict[tuple[str, str], ReleaseIndex] = {}

    def forget(self) -> None:
        """Someone else (or nobody) is signed in: no rows or workspaces read for the previous person."""
        self._indexes.clear()
        self.locator.forget()

    async def recover(self, runtime: SagaRuntime | None = None) -> list[SagaRecord]:
        """Undo the release creations a crash or quit left unfinished."""
        return await self.runner.reconcile(runtime, kinds={CREATE_KIND})

    async def saga_api(self, params: dict[str, Any]) -> WorkspaceApi:
        """The workspace a `release.create` run works on (register_release_sagas), also when reconciled."""
        await self.orgs.ensure_superposition_org()
        return WorkspaceApi(self.superposition, str(params["workspace"]))

    async def _api(self, org: str, app: str) -> WorkspaceApi:
        await self.orgs.ensure_superposition_org()
        return WorkspaceApi(self.superposition, await self.locator.workspace(org, app))

    def index(self, org: str, app: str) -> ReleaseIndex:
        return self._indexes.setdefault((org, app), ReleaseIndex())

    # -- reading ----------------------------------------------------------------------------------------
    async def get(self, org: str, app: str, release_id: str) -> Release:
        await self.authz.require(Action.VIEW_APP, org, app)
        return await self._get(await self._api(org, app), release_id)

    @staticmethod
    async def _get(api: WorkspaceApi, release_id: str) -> Release:
        if not release_id.strip().isdigit():
            raise ValidationError(f"'{release_id}' is not a release id (a number).")
        return release_from_experiment(await api.experiment(release_id.strip()))

    async def refresh(
        self, org: str, app: str, *, force: bool = False, on_progress: Progress | None = None
    ) -> bool:
        """Poll for changes (one request, 304 when nothing changed); True when the rows changed. The
        first call loads everything: `on_progress(loaded, total)` after each page (query the index then
        to paint the rows so far)."""
        await self.authz.require(Action.VIEW_APP, org, app)
        api = await self._api(org, app)
        return await self.index(org, app).refresh(api, force=force, on_progress=on_progress)

    async def page(
        self,
        org: str,
        app: str,
        *,
        statuses: Collection[ReleaseStatus] = (),
        search: str = "",
        offset: int = 0,
        limit: int = 50,
        refresh: bool = True,
    ) -> ReleasePage:
        """A page of the Releases table, newest first; polls first unless `refresh` is False."""
        await self.authz.require(Action.VIEW_APP, org, app)  # also for rows already loaded
        changed = await self.refresh(org, app) if refresh or not self.index(org, app).loaded else False
        return self.index(org, app).query(
            statuses=statuses, search=search, offset=offset, limit=limit, changed=changed
        )

    async def detail(self, org: str, app: str, release_id: str) -> ReleaseDetail:
        """The rollout inspection view: history (who, when, what, why), traffic over time, what devices
        get, and what the caller may do now (with the reason for what not)."""
        await self.authz.require(Action.VIEW_APP, org, app)
        api = await self._api(org, app)
        release = await self._get(api, release_id)
        asked = {a: await self.authz.permission(a, org, app) for a in {needed(r) for r in ReleaseAction}}
        may = {action: asked[needed(action)] for action in ReleaseAction}
        return await build_detail(api, release, may, await me(self.orgs), org, app)

    # -- four eyes --------------------------------------------------------------------------------------
    async def four_eyes(self, org: str, app: str) -> FourEyes:
        await self.authz.require(Action.VIEW_APP, org, app)
        return await read_four_eyes(await self._api(org, app))

    async def set_four_eyes(self, org: str, app: str, required: bool) -> FourEyes:
        """Require (or not) that someone other than a release's author starts it. App admins only."""
        await self.authz.require(Action.CHANGE_APP_SETTINGS, org, app)
        api = await self._api(org, app)
        current = await read_four_eyes(api)
        if not current.supported:
            raise ValidationError(
                f"Superposition {current.server} has no setting for who may start a release "
                "(allow_experiment_self_approval came with v0.77).",
                hint="Upgrade Superposition to use four-eyes releases.",
            )
        await api.update_settings({"allow_experiment_self_approval": not required})
        return await read_four_eyes(api)

    # -- drafts -----------------------------------------------------------------------------------------
    async def review(self, org: str, app: str, draft: ReleaseDraft, *, editing: str = "") -> ReleaseReview:
        """The wizard's checks and the review page: per-field problems, the exact device config."""
        await self.authz.require(Action.VIEW_APP, org, app)
        api = await self._api(org, app)
        release = await self._get(api, editing) if editing else None
        return await self._review(api, org, app, draft, release)

    async def _review(
        self,
        api: WorkspaceApi,
        org: str,
        app: str,
        draft: ReleaseDraft,
        editing: Release | None,
        config_version: str = "",
    ) -> ReleaseReview:
        dims: list[Dimension] = await self.dimensions.all(org, app)
        version = config_version
        if editing is not None and editing.experimental is not None:
            version = str(editing.experimental.overrides.get("config.version") or "")
        return await build_review(
            api,
            self.packages,
            org,
            app,
            draft,
            dims,
            editing=editing,
            config_version=version or str(uuid.uuid4()),
        )

    async def find_by_config_version(self, org: str, app: str, config_version: str) -> Release | None:
        """The release (any status) whose new config carries `config_version`, if there is one: what
        makes importing a release archive twice create nothing new."""
        await self.authz.require(Action.VIEW_APP, org, app)
        api = await self._api(org, app)
        async for data in api.experiments(params={"prefix": "config.version"}):
            release = release_from_experiment(data)
            exp = release.experimental
            if exp is not None and exp.overrides.get("config.version") == config_version:
                return await self._get(api, release.id)  # the whole release, not the trimmed row
        return None

    async def clone(self, org: str, app: str, release_id: str) -> ReleaseDraft:
        return draft_from(await self.get(org, app, release_id))

    async def create(
        self,
        org: str,
        app: str,
        draft: ReleaseDraft,
        *,
        force: bool = False,
        runtime: SagaRuntime | None = None,
        created_only: bool = False,
        config_version: str = "",
    ) -> ReleaseCreated:
        """Create a release (saga). A target's first release is also started and concluded, unless
        four-eyes requires someone else to start it or `created_only` (an imported release: never live).
        Conflict when an unfinished release exists for the same target and `force` is not given;
        DraftInvalid with the review when the draft has errors. `config_version` gives the release's
        `config.version` (an import keeps the exported one; default a new UUID). Cancelled or failed,
        what it made is undone (`runtime.control` cancels it like a task cancel); each step reports
        `CreateProgress` through `runtime` as it starts."""
        await self.authz.require(Action.CREATE_RELEASE, org, app)
        api = await self._api(org, app)
        repeated = await self._repeated(org, app, draft)
        if repeated is not None:
            return repeated
        review = await self._review(api, org, app, draft, None, config_version)
        if review.conflict is not None and not force:
            raise Conflict(
                f"Release {review.conflict.id} ({review.conflict.status_text}) is unfinished for "
                f"{review.conflict.target.describe()}.",
                hint="Conclude or discard it first, or create anyway (--force).",
                gui_hint='Conclude or discard it first, or tick "Create anyway" in the wizard.',
            )
        if not review.ok:
            raise DraftInvalid(review)
        assert review.target is not None and review.package is not None
        four = await read_four_eyes(api)
        one_step = review.first_release and not four.required and not created_only
        params = {
            "org": org, "app": app, "workspace": api.name, "target": review.target.as_dict(),
            "body": experiment_body(review, api.dialect.legacy), "force": force, "first_release": one_step,
            "marker": str(review.experimental["config.version"]), "draft": draft.to_dict(),
        }  # fmt: skip
        title = f"Release package {review.package.version} of {org}/{app} to {review.target.describe()}"
        record = await self.runner.run(CREATE_KIND, params, title, runtime)
        release = await self._get(api, str(record.data["release_id"]))
        self.index(org, app).note(release)
        waiting = release.status is ReleaseStatus.CREATED and four.required
        return ReleaseCreated(release, record, review.first_release, waiting)

    async def _repeated(self, org: str, app: str, draft: ReleaseDraft) -> ReleaseCreated | None:
        """The creation of this very draft that a crash interrupted while concluding it (a first release:
        past its point of no return) and a reconciliation finished: its release, not a second one."""

        def same(record: SagaRecord) -> bool:
            p = record.params
            return (p.get("org"), p.get("app"), p.get("draft")) == (org, app, draft.to_dict())

        record = await finished_repeat(self.runner, CREATE_KIND, same, by="a repeated release creation")
        if record is None:
            return None
        release = await self.get(org, app, str(record.data["release_id"]))
        first = bool(record.params.get("first_release"))
        return ReleaseCreated(release, record, first, False, finished_interrupted=True)

    async def edit(self, org: str, app: str, release_id: str, draft: ReleaseDraft) -> Release:
        """Change a release that has not started (CREATED): package, files, config, notes."""
        await self.authz.require(needed(ReleaseAction.EDIT), org, app)
        api = await self._api(org, app)
        release = await self._get(api, release_id)
        impact_of(release, ReleaseAction.EDIT)
        review = await self._review(api, org, app, draft, release)
        if not review.ok:
            raise DraftInvalid(review)
        variants = [
            {"id": v.id, "overrides": dict(review.control if v.kind == "CONTROL" else review.experimental)}
            for v in release.variants
        ]
        body = experiment_body(review, api.dialect.legacy)
        data = await api.update_overrides(release.id, variants, body["description"], body["change_reason"])
        updated = release_from_experiment(data) if data.get("id") else await self._get(api, release.id)
        self.index(org, app).note(updated)
        return updated

    # -- lifecycle --------------------------------------------------------------------------------------
    async def impact(
        self, org: str, app: str, release_id: str, action: ReleaseAction, percent: int | None = None
    ) -> Impact:
        """Who `action` would affect (for the confirmation), without doing it."""
        await self.authz.require(Action.VIEW_APP, org, app)
        return impact_of(await self._get(await self._api(org, app), release_id), action, percent)

    async def ramp(self, org: str, app: str, release_id: str, percent: int, why: str = "") -> ActionResult:
        """Give the new package to `percent` % of the devices in the target (at most 100 / variants)."""
        return await self._act(org, app, release_id, ReleaseAction.RAMP, percent, why)

    async def pause(self, org: str, app: str, release_id: str, why: str = "") -> ActionResult:
        return await self._act(org, app, release_id, ReleaseAction.PAUSE, None, why)

    async def resume(self, org: str, app: str, release_id: str, why: str = "") -> ActionResult:
        return await self._act(org, app, release_id, ReleaseAction.RESUME, None, why)

    async def conclude(self, org: str, app: str, release_id: str, why: str = "") -> ActionResult:
        """Release to every device in the target, permanently."""
        return await self._act(org, app, release_id, ReleaseAction.CONCLUDE, None, why)

    async def revert(self, org: str, app: str, release_id: str, why: str = "") -> ActionResult:
        """End the release on control: every device in the target keeps (or gets back) the old package."""
        return await self._act(org, app, release_id, ReleaseAction.REVERT, None, why)

    async def discard(self, org: str, app: str, release_id: str, why: str = "") -> ActionResult:
        return await self._act(org, app, release_id, ReleaseAction.DISCARD, None, why)

    async def _act(
        self, org: str, app: str, release_id: str, action: ReleaseAction, percent: int | None, why: str
    ) -> ActionResult:
        await self.authz.require(needed(action), org, app)
        api = await self._api(org, app)
        release = await self._get(api, release_id)
        impact = impact_of(release, action, percent)
        rid = release.id
        if already_there(release, action, percent):  # a repeated request: nothing to send
            return ActionResult(release, impact)
        if action is ReleaseAction.RAMP:
            four = await read_four_eyes(api)
            if waiting(release, four) and release.created_by == await me(self.orgs):
                raise PermissionDenied(
                    f"Release {rid} is waiting for a second person: four-eyes is on for {org}/{app}, so "
                    f"someone other than its author ({release.created_by}) must start it.",
                )
            assert percent is not None
            data = await api.ramp(
                rid, percent, _reason(f"ramp to {percent}% of {release.target.short()}", why)
            )
        elif action is ReleaseAction.PAUSE:
            data = await api.pause(rid, _reason("pause", why))
        elif action is ReleaseAction.RESUME:
            data = await api.resume(rid, _reason("resume", why))
        elif action in (ReleaseAction.CONCLUDE, ReleaseAction.REVERT):
            variant = release.experimental if action is ReleaseAction.CONCLUDE else release.control
            if variant is None:
                raise ValidationError(f"Release {rid} has no {action.value} variant.")
            what = "release to every device" if action is ReleaseAction.CONCLUDE else "revert"
            data = await api.conclude(rid, variant.id, _reason(what, why))
        else:
            data = await api.discard(rid, _reason("discard", why))
        after = release_from_experiment(data) if data.get("id") else await self._get(api, rid)
        self.index(org, app).note(after)
        return ActionResult(after, impact)
