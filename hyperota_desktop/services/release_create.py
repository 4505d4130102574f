"""Preparing a release: the review of a draft, and the saga that creates it.

The review is what the wizard's last page shows: the exact document devices in the release get (checked
against the published schema), what the target gets today, the difference, the download, and every problem
per field. Control overrides are what the target resolves to today, so workspaces with
`auto_populate_control` accept them and reverting changes nothing for anyone.

Saga `release.create` (compensated; a failure or a crash leaves no half-made release):
  1. check the target (refuse a second unfinished release for it unless forced: the server does not)
  2. create the experiment (undo: discard it; on the mid-2025 broken schema the server leaves the variant
     contexts behind without an experiment: they are found by the release's config version and deleted)
  3. check that the server stored exactly what was reviewed
  4. (first release of a target) start it for every device it may reach, then
  5. conclude it: there is nothing to compare a first package with.
Each step reports `CreateProgress` through the run's runtime as it starts (the wizard shows it).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.dimensions import Dimension
from hyperota_desktop.domain.errors import Conflict, HyperOtaError, IntegrityError, NotFound, ValidationError
from hyperota_desktop.domain.packages import Manifest, check_tag
from hyperota_desktop.domain.release_config import KEYS, nest, problems, release_values
from hyperota_desktop.domain.release_drafts import (
    DownloadDiff,
    FieldProblem,
    ReleaseDraft,
    ValueChange,
    check_draft,
    check_files,
    download_diff,
    effective_values,
    inherited_properties,
    parse_properties,
    value_changes,
)
from hyperota_desktop.domain.releases import (
    CONTROL,
    EXPERIMENTAL,
    Release,
    ReleaseStatus,
    ReleaseSummary,
    ramp_cap,
    release_from_experiment,
)
from hyperota_desktop.domain.targeting import VARIANT_DIMENSION, Target, flat_condition, wire_condition
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.saga import SagaContext, SagaDefinition, SagaRunner, Step
from hyperota_desktop.services.sp_workspace import WorkspaceApi
from hyperota_desktop.stores.untrusted import read_small_file

log = logging.getLogger("hyperota.services.releases")
CREATE_KIND = "release.create"
UNFINISHED = "CREATED,INPROGRESS,PAUSED"


@dataclass(frozen=True)
class CreateProgress:
    """Reported as each step of `release.create` starts: step `index` (0-based) of `total`."""

    index: int
    total: int
    step: str


@dataclass(frozen=True)
class ReleaseReview:
    """Everything the review page shows; `ok` when the release can be created as drafted."""

    org: str
    app: str
    draft: ReleaseDraft
    target: Target | None
    package: Manifest | None
    first_release: bool = False  # the target has no package yet: created, started and concluded at once
    control: Mapping[str, Any] = field(default_factory=dict)  # what the target resolves to today
    experimental: Mapping[str, Any] = field(default_factory=dict)  # the release's values
    device_config: Mapping[str, Any] | None = None  # the exact document devices in the release get
    current_config: Mapping[str, Any] | None = None  # what they get today (None: nothing yet)
    changes: tuple[ValueChange, ...] = ()
    download: DownloadDiff | None = None
    conflict: ReleaseSummary | None = None  # an unfinished release for the same target
    problems: tuple[FieldProblem, ...] = ()

    @property
    def errors(self) -> tuple[FieldProblem, ...]:
        return tuple(p for p in self.problems if not p.warning)

    @property
    def warnings(self) -> tuple[FieldProblem, ...]:
        return tuple(p for p in self.problems if p.warning)

    @property
    def ok(self) -> bool:
        return not self.errors

    def problems_for(self, field_name: str) -> list[FieldProblem]:
        return [p for p in self.problems if p.field == field_name or p.field.startswith(f"{field_name}.")]

    def to_dict(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "app": self.app,
            "draft": self.draft.to_dict(),
            "target": self.target.as_dict() if self.target else None,
            "package_version": self.package.version if self.package else None,
            "first_release": self.first_release,
            "device_config": self.device_config,
            "current_config": self.current_config,
            "changes": [c.to_dict() for c in self.changes],
            "download": self.download.to_dict() if self.download else None,
            "conflict": self.conflict.to_dict() if self.conflict else None,
            "problems": [p.to_dict() for p in self.problems],
            "ok": self.ok,
        }


async def resolve_package(packages: PackageService, org: str, app: str, text: str) -> Manifest:
    """The manifest named by a version number or a tag."""
    wanted = text.strip()
    if wanted.isdigit():
        try:
            return await packages.show(org, app, int(wanted))
        except (NotFound, ValidationError):
            raise NotFound(f"{org}/{app} has no package version or tag '{wanted}'.") from None
    check_tag(wanted)
    tags = await packages.tags(org, app)
    if wanted not in tags:
        raise NotFound(f"{org}/{app} has no package version or tag '{wanted}'.")
    return await packages.show(org, app, tags[wanted])


async def unfinished_for(api: WorkspaceApi, target: Target, *, besides: str = "") -> list[Release]:
    """Unfinished releases whose target is exactly `target` (the server lets a second one in)."""
    found = []
    async for data in api.experiments(params={"status": UNFINISHED, "prefix": "package.version"}):
        release = release_from_experiment(data)
        if release.target.key() == target.key() and release.id != besides and release.status.unfinished:
            found.append(release)
    return found


def conflict_problem(release: Release) -> FieldProblem:
    return FieldProblem(
        "target",
        f"Release {release.id} ({release.status_text}, package {release.package_version}) is unfinished "
        f"for {release.target.describe()}: conclude or discard it first (or create anyway).",
        warning=True,
    )


async def build_review(
    api: WorkspaceApi,
    packages: PackageService,
    org: str,
    app: str,
    draft: ReleaseDraft,
    dimensions: Sequence[Dimension],
    *,
    editing: Release | None = None,
    config_version: str = "",
) -> ReleaseReview:
    found = check_draft(draft, dimensions)
    target = None if any(p.field.startswith("target") for p in found) else Target.of(draft.target)
    manifest: Manifest | None = None
    if not any(p.field == "package" for p in found):
        try:
            manifest = await resolve_package(packages, org, app, draft.package)
        except (NotFound, ValidationError) as exc:
            found.append(FieldProblem("package", exc.message))
    if manifest is not None:
        found += check_files(draft, manifest)
    if editing is not None and target is not None and target.key() != editing.target.key():
        found.append(
            FieldProblem("target", "A created release keeps its target: discard it and create another.")
        )
    conflict = None
    if target is not None:
        others = await unfinished_for(api, target, besides=editing.id if editing else "")
        if others:
            conflict = ReleaseSummary.of(others[0])
            found.append(conflict_problem(others[0]))
    review = ReleaseReview(org, app, draft, target, manifest, conflict=conflict, problems=tuple(found))
    if manifest is None or target is None or any(not p.warning for p in found):
        return review
    today = {k: v for k, v in (await api.resolve(target.as_dict())).items() if k in KEYS}
    properties, _ = parse_properties(draft.properties)
    try:
        experimental = release_values(
            manifest,
            config_version=config_version or str(uuid.uuid4()),
            lazy=set(draft.lazy),
            resources=draft.resources,
            boot_timeout=draft.boot_timeout,
            release_config_timeout=draft.release_config_timeout,
            properties=properties,
        )
    except ValidationError as exc:
        return _with(review, FieldProblem("lazy", exc.message))
    missing = [k for k in KEYS if k not in today]
    if missing:
        return _with(
            review,
            FieldProblem(
                "review",
                f"The workspace lacks the release keys {', '.join(missing)}: it was not made by HyperOTA.",
            ),
        )
    effective = effective_values(today, experimental)
    device_config = nest(effective)
    more = [FieldProblem("review", p) for p in problems(device_config)]
    kept = inherited_properties(today, properties or {}, "config.properties")
    if kept:
        more.append(
            FieldProblem(
                "properties",
                f"Devices keep the properties {', '.join(kept)} from their current config (a release "
                "merges over it); set one to null to clear it.",
                warning=True,
            )
        )
    first = today.get("package.index") is None
    current = None if first else nest(today)
    return ReleaseReview(
        org, app, draft, target, manifest, first_release=first, control=today, experimental=experimental,
        device_config=device_config, current_config=current, changes=value_changes(today, effective),
        download=download_diff(None if first else today, effective), conflict=conflict,
        problems=(*review.problems, *more),
    )  # fmt: skip


def _with(review: ReleaseReview, problem: FieldProblem) -> ReleaseReview:
    return ReleaseReview(review.org, review.app, review.draft, review.target, review.package,
                         conflict=review.conflict, problems=(*review.problems, problem))  # fmt: skip


def experiment_body(review: ReleaseReview, json_logic: bool) -> dict[str, Any]:
    """The `POST /experiments` body of a reviewed release."""
    assert review.target is not None and review.package is not None
    version = review.package.version
    return {
        "name": f"{review.app} package {version}",
        "context": wire_condition(review.target.as_dict(), json_logic=json_logic),
        "variants": [
            {"id": "control", "variant_type": CONTROL, "overrides": dict(review.control)},
            {"id": "experimental", "variant_type": EXPERIMENTAL, "overrides": dict(review.experimental)},
        ],
        "description": review.draft.notes or f"Package {version} of {review.org}/{review.app}.",
        "change_reason": f"HyperOTA: release package {version} to {review.target.describe()}"[:255],
    }


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


# -- the saga ------------------------------------------------------------------------------------------
ApiFor = Callable[[dict[str, Any]], Awaitable[WorkspaceApi]]


async def find_by_marker(api: WorkspaceApi, marker: str) -> Release | None:
    """The unfinished release this saga created, by its unique config version (after a lost answer or
    a crash). Rows are trimmed to that key (`prefix`, v0.102+): cheap however many releases exist."""
    async for data in api.experiments(params={"status": UNFINISHED, "prefix": "config.version"}):
        release = release_from_experiment(data)
        exp = release.experimental
        if exp is not None and exp.overrides.get("config.version") == marker:
            return release
    return None


async def remove_orphans(api: WorkspaceApi, marker: str) -> int:
    """Delete the variant contexts of an experiment that does not exist (broken-schema debris), found by
    the experimental variant carrying `marker`; the control variant shares its experiment id."""
    known = {str(e.get("id")) async for e in api.experiments(params={"prefix": "config.version"})}
    variants: list[tuple[str, str, bool]] = []  # (context id, experiment id, carries the marker)
    for ctx in await api.contexts():
        try:
            condition = flat_condition(ctx.get("value") or {})
        except ValidationError:
            continue
        variant = condition.get(VARIANT_DIMENSION)
        if isinstance(variant, str) and variant.rsplit("-", 1)[0] not in known:
            ours = (ctx.get("override") or {}).get("config.version") == marker
            variants.append((str(ctx["id"]), variant.rsplit("-", 1)[0], ours))
    doomed = {exp for _, exp, ours in variants if ours}
    for context_id, exp, _ in variants:
        if exp in doomed:
            await api.delete_context(context_id)
    return sum(1 for _, exp, _ in variants if exp in doomed)


def _order(release: Release) -> tuple[str, int, str]:
    """Creation order: time, then the id (Superposition's ids are increasing numbers)."""
    created = release.created_at.isoformat() if release.created_at else "9999"
    return created, int(release.id) if release.id.isdigit() else 0, release.id


async def _first_of_its_target(api: WorkspaceApi, ours: Release) -> None:
    """Two releases for one target created at the same time both pass `check the target` (the server
    lets a second one in): each run sees the other here, the one created second withdraws (its step
    fails, the creation is undone), so one unfinished release per target remains."""
    earlier = [r for r in await unfinished_for(api, ours.target, besides=ours.id) if _order(r) < _order(ours)]
    if earlier:
        raise Conflict(
            f"Release {earlier[0].id} (package {earlier[0].package_version}) was created for "
            f"{ours.target.describe()} at the same time, first: it is unfinished, this one was withdrawn.",
            hint="Conclude or discard it first, or create anyway (--force).",
            gui_hint='Conclude or discard it first, or tick "Create anyway" in the wizard.',
        )


def create_steps(api_for: ApiFor, params: dict[str, Any]) -> list[Step]:
    body, marker = params["body"], params["marker"]

    async def check_target(ctx: SagaContext) -> None:
        if params.get("force"):
            return
        api = await api_for(params)
        others = await unfinished_for(api, Target.of(params["target"]))
        if others:
            raise ValidationError(conflict_problem(others[0]).message)

    async def create(ctx: SagaContext) -> None:
        api = await api_for(params)
        if ctx.data.get("release_id"):
            return
        found = await find_by_marker(api, marker) if ctx.data.get("sent") else None  # a re-run
        if found is None:
            ctx.data["sent"] = True
            await ctx.save()
            found = release_from_experiment(await api.create_experiment(body))
        ctx.data["release_id"] = found.id
        await ctx.save()

    async def undo_create(ctx: SagaContext) -> None:
        api = await api_for(params)
        release_id = ctx.data.get("release_id")
        release = await find_by_marker(api, marker) if not release_id else None
        if release_id:
            release = release_from_experiment(await api.experiment(release_id))
        if release is not None:
            if release.status is ReleaseStatus.CONCLUDED:
                raise IntegrityError(
                    f"Release {release.id} was concluded before the failure; it cannot be undone.",
                    hint="Create a release of the previous package to go back.",
                )
            if release.status.unfinished:
                await api.discard(release.id, "HyperOTA: undo an unfinished release creation")
        await remove_orphans(api, marker)

    async def verify(ctx: SagaContext) -> None:
        api = await api_for(params)
        stored = release_from_experiment(await api.experiment(ctx.data["release_id"]))
        sent = {v["variant_type"]: v["overrides"] for v in body["variants"]}
        got = {v.kind: dict(v.overrides) for v in stored.variants}
        if not _same(sent, got) or stored.target.key() != Target.of(params["target"]).key():
            raise IntegrityError(
                f"Superposition stored release {stored.id} differently from what was reviewed.",
                hint="It was discarded; review and create it again.",
            )
        if not params.get("force"):
            await _first_of_its_target(api, stored)

    async def start(ctx: SagaContext) -> None:
        api = await api_for(params)
        release_id = ctx.data["release_id"]
        cap = ramp_cap(len(body["variants"]))
        await _reaching(
            api, release_id, lambda r: r.status is not ReleaseStatus.CREATED,
            lambda: api.ramp(release_id, cap, "HyperOTA: first release, started for every device"),
        )  # fmt: skip

    async def conclude(ctx: SagaContext) -> None:
        api = await api_for(params)
        release_id = ctx.data["release_id"]
        await _reaching(
            api, release_id, lambda r: r.status is ReleaseStatus.CONCLUDED,
            lambda: api.conclude(release_id, f"{release_id}-experimental",
                                 "HyperOTA: first release, concluded for every device"),
        )  # fmt: skip

    steps = [
        Step("check the target", check_target),
        Step("create the release", create, undo_create),
        Step("check what Superposition stored", verify),
    ]
    if params.get("first_release"):
        # concluding cannot be undone: a crash once it has started is finished at the next start
        steps += [Step("start it for every device", start), Step("conclude it", conclude, pivot=True)]
    return [_reporting(step, i, len(steps)) for i, step in enumerate(steps)]


def _reporting(step: Step, index: int, total: int) -> Step:
    """`step`, reporting `CreateProgress` through the run's runtime when it starts."""
    run = step.run

    async def reported(ctx: SagaContext) -> None:
        runtime = getattr(ctx, "runtime", None)  # a step may be run bare (a check before the saga)
        if runtime is not None:
            runtime.report(CreateProgress(index, total, step.name))
        await run(ctx)

    return replace(step, run=reported)


async def _reaching(
    api: WorkspaceApi,
    release_id: str,
    reached: Callable[[Release], bool],
    action: Callable[[], Awaitable[Any]],
) -> None:
    """Run `action` unless the release already is where it leads (a re-run); if it fails, look: an
    answer lost on the way back still counts."""
    if reached(release_from_experiment(await api.experiment(release_id))):
        return
    try:
        await action()
    except HyperOtaError:
        if reached(release_from_experiment(await api.experiment(release_id))):
            return
        raise


def register_release_sagas(runner: SagaRunner, api_for: ApiFor) -> None:
    if CREATE_KIND not in runner.definitions:
        runner.register(SagaDefinition(CREATE_KIND, lambda params: create_steps(api_for, params)))


def read_draft_text(path: Path) -> str:
    """A file a draft names (release notes, a resources list): from outside, so read bounded and never
    waiting on a FIFO (stores/untrusted.py)."""
    data = read_small_file(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(f"{path} is not UTF-8 text.") from None
