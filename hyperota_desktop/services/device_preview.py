"""Device preview: dimension values + a device identifier → the release config that device receives,
which release and variant it comes from, the files it downloads, and its bucket (why it is, or is not,
in a release). Support staff answer "why did this device (not) get it" with it.

Online the server decides (`POST /resolve?identifier=`, or on servers before v0.96
`POST /experiments/applicable-variants` then `/config/resolve` with those variants; before v0.82 the
device's `toss` replaces its identifier). Offline a saved snapshot is resolved on this machine
(`services.offline_resolve`). Both explain the bucket with the server's hash (`domain.bucketing`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.access import Action
from hyperota_desktop.domain.bucketing import Group, check_toss, group_id_number, server_bucket
from hyperota_desktop.domain.bucketing import condition_applies as applies
from hyperota_desktop.domain.dimensions import Dimension, parse_value
from hyperota_desktop.domain.errors import HyperOtaError, ValidationError
from hyperota_desktop.domain.release_config import KEYS, nest, problems
from hyperota_desktop.domain.release_drafts import DeviceFile, device_files
from hyperota_desktop.domain.releases import Release, ReleaseSummary, release_from_experiment
from hyperota_desktop.domain.units import human_size
from hyperota_desktop.services.authz import Authorizer
from hyperota_desktop.services.dimensions import DimensionService
from hyperota_desktop.services.offline_resolve import OfflineResolver, Snapshot, group_from, make_snapshot
from hyperota_desktop.services.orgs import OrgService
from hyperota_desktop.services.release_access import WorkspaceLocator
from hyperota_desktop.services.sp_workspace import WorkspaceApi
from hyperota_desktop.services.superposition import SuperpositionClient


@dataclass(frozen=True)
class DevicePreview:
    org: str
    app: str
    dimensions: dict[str, Any]
    identifier: str
    toss: int | None
    source: str  # "server" or "snapshot of <time>"
    server_version: str
    values: dict[str, Any]  # the resolved release-config keys
    config: dict[str, Any] | None  # the device's release config (None: no package for it yet)
    problems: tuple[str, ...]  # what is wrong with that config, if anything
    release: ReleaseSummary | None  # the release whose variant the device is in (None: none)
    variant: str  # "CONTROL", "EXPERIMENTAL" or "" (in no release)
    variant_id: str
    bucket: int | None  # the device's bucket (0-99) in that release's group, or its toss
    group_id: str
    files: tuple[DeviceFile, ...]
    explanation: tuple[str, ...]

    @property
    def package_version(self) -> int | None:
        """The package the device runs (None: none released to it yet)."""
        if self.config is None:
            return None
        value = self.values.get("package.version")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def headline(self) -> list[str]:
        """Who the device is, where the answer comes from, its release and package: the first lines of
        `text()` (the GUI shows them as its summary, the CLI prints them)."""
        where = f"identifier {self.identifier}" if self.toss is None else f"toss {self.toss}"
        dims = ", ".join(f"{k}={v}" for k, v in self.dimensions.items()) or "no dimensions"
        lines = [f"Device ({where}; {dims}) — from the {self.source} (Superposition {self.server_version})"]
        if self.release is not None:
            lines.append(
                f"  release     {self.release.id} ({self.release.status_text}), {self.variant.lower()} "
                f"variant, bucket {self.bucket}"
            )
        else:
            lines.append("  release     none: the device gets what its target resolves to")
        lines.append(f"  package     {self.package_version or 'none'}")
        return lines

    def text(self) -> str:
        """The whole answer in words: what `hyperota release preview` prints and the GUI shows."""
        lines = self.headline()
        lines += [f"  why         {line}" for line in self.explanation]
        lines += [f"  {f.when:11} {human_size(f.size):>10}  {f.file_path}" for f in self.files]
        lines += [f"  problem     {x}" for x in self.problems]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "org": self.org, "app": self.app, "dimensions": self.dimensions, "identifier": self.identifier,
            "toss": self.toss, "source": self.source, "server_version": self.server_version,
            "release": self.release.to_dict() if self.release else None, "variant": self.variant,
            "variant_id": self.variant_id, "bucket": self.bucket, "group_id": self.group_id,
            "package_version": self.package_version, "config": self.config, "problems": list(self.problems),
            "files": [f.to_dict() for f in self.files], "explanation": list(self.explanation),
        }  # fmt: skip


def _explain(
    groups: Sequence[Group],
    running: Mapping[str, Release],
    dimensions: Mapping[str, Any],
    identifier: str,
    toss: int | None,
    picked: Iterable[str],
) -> list[str]:
    """One line per running release that targets this device: its bucket and what that bucket holds."""
    chosen = set(picked)
    lines: list[str] = []
    if toss is not None:
        for release in running.values():
            if applies(release.target.as_dict(), dimensions):
                got = next((v for v in release.variants if v.id in chosen), None)
                where = f"the {got.kind.lower()} variant" if got else "no variant"
                lines.append(
                    f"Release {release.id} (package {release.package_version}, {release.traffic}% of "
                    f"{release.target.short()}): toss {toss} falls in {where} "
                    f"(tosses 0-{2 * release.traffic - 1} take part)."
                )
        return lines or ["No running release targets this device."]
    for group in groups:
        if not applies(group.context, dimensions):
            continue
        bucket = server_bucket(identifier, group.id)
        held = group.buckets[bucket] if bucket < len(group.buckets) else None
        member = next(
            (running[b.experiment_id] for b in group.buckets if b and b.experiment_id in running), None
        )
        if member is None:
            continue
        taking = sum(1 for b in group.buckets if b is not None)
        if held is None or held.variant_id not in chosen:
            outcome = "which is in no variant: the device keeps what the target gets without the release"
        else:
            kind = member.variant_kind(held.variant_id).lower() or "a"
            outcome = f"which holds the {kind} variant"
        lines.append(
            f"Release {member.id} (package {member.package_version}, {member.traffic}% of "
            f"{member.target.short()}): the device's bucket is {bucket} of 100 in group {group.id} "
            f"({taking} buckets take part), {outcome}."
        )
    return lines or ["No running release targets this device."]


class DevicePreviewService:
    def __init__(
        self,
        superposition: SuperpositionClient,
        orgs: OrgService,
        locator: WorkspaceLocator,
        dimensions: DimensionService,
        authz: Authorizer,
    ) -> None:
        self.superposition = superposition
        self.orgs = orgs
        self.locator = locator
        self.dimensions = dimensions
        self.authz = authz

    async def _api(self, org: str, app: str) -> WorkspaceApi:
        await self.orgs.ensure_superposition_org()
        return WorkspaceApi(self.superposition, await self.locator.workspace(org, app))

    async def parse_dimensions(self, org: str, app: str, pairs: Sequence[str]) -> dict[str, Any]:
        """`["city=Pune", "beta=true"]` → typed values checked against the dimensions' schemas."""
        known = {d.name: d for d in await self.dimensions.all(org, app)}
        return parse_pairs(known, pairs)

    async def preview(
        self,
        org: str,
        app: str,
        dimensions: Mapping[str, Any],
        *,
        identifier: str = "",
        toss: int | None = None,
    ) -> DevicePreview:
        """Ask the server what this device gets."""
        await self.authz.require(Action.VIEW_APP, org, app)
        api = await self._api(org, app)
        dialect = await api.learn_dialect()
        dims = dict(dimensions)
        if dialect.assigns_by_toss:
            if toss is None:
                raise ValidationError(
                    f"Superposition {dialect.label} assigns variants by the device's toss (0-99), "
                    "not by its identifier.",
                    hint="Give the device's toss (--toss N).",
                    gui_hint="Give the device's toss (the Toss field).",
                )
            check_toss(toss)
            variants = await api.applicable_variants(dims, toss=toss)
            values = await api.resolve_with_variants(dims, [str(v["id"]) for v in variants])
        else:
            if not identifier.strip():
                raise ValidationError("Give the device's identifier: the server buckets devices by it.")
            toss = None
            variants = await api.applicable_variants(dims, identifier=identifier)
            if dialect.has_resolve:
                values = await api.resolve_device(dims, identifier)
            else:
                values = await api.resolve_with_variants(dims, [str(v["id"]) for v in variants])
        running = {}
        async for data in api.experiments(params={"status": "INPROGRESS"}):
            release = release_from_experiment(data)
            running[release.id] = release
        groups: list[Group] = []
        if toss is None:
            try:
                groups = [group_from(g) for g in await api.experiment_groups()]
            except (HyperOtaError, KeyError, ValueError):
                groups = []  # only the explanation needs them
        picked = [str(v["id"]) for v in variants]
        return _preview(
            org, app, dims, identifier, toss, "server", dialect.label, values, running, groups, picked
        )

    async def snapshot(self, org: str, app: str) -> Snapshot:
        """Everything an offline preview needs, read now (save it with `Snapshot.to_json`)."""
        await self.authz.require(Action.VIEW_APP, org, app)
        api = await self._api(org, app)
        config, dims = await asyncio.gather(api.config(), api.dimensions())
        running = [e async for e in api.experiments(params={"status": "INPROGRESS"})]
        groups = await api.experiment_groups()
        return make_snapshot(org, app, api.name, api.dialect.label, config, dims, running, groups)

    @staticmethod
    def preview_offline(
        snapshot: Snapshot | OfflineResolver,
        dimensions: Mapping[str, Any],
        *,
        identifier: str = "",
        toss: int | None = None,
    ) -> DevicePreview:
        """What the snapshot says this device gets (no network; pass a resolver to preview many)."""
        resolver = snapshot if isinstance(snapshot, OfflineResolver) else OfflineResolver(snapshot)
        snap = resolver.snapshot
        dims = dict(dimensions)
        if not snap.by_toss:
            toss = None
            if not identifier.strip():
                raise ValidationError("Give the device's identifier: devices are bucketed by it.")
        found = resolver.assignments(dims, identifier=identifier, toss=toss)
        picked = [a.variant_id for a in found]
        values = resolver.resolve(dims, picked)
        running = {}
        for data in snap.experiments:
            if data.get("status") == "INPROGRESS":
                release = release_from_experiment(data)
                running[release.id] = release
        return _preview(
            snap.org, snap.app, dims, identifier, toss, f"snapshot of {snap.saved_at}",
            snap.server_version, values, running, resolver.groups, picked,
        )  # fmt: skip


def parse_pairs(known: Mapping[str, Dimension], pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValidationError(f"'{pair}' is not dimension=value.")
        if name not in known:
            names = ", ".join(sorted(known)) or "none"
            raise ValidationError(f"There is no dimension '{name}' (the application has: {names}).")
        out[name] = parse_value(known[name], text)
    return out


def _preview(
    org: str, app: str, dims: dict[str, Any], identifier: str, toss: int | None, source: str,
    server_version: str, values: Mapping[str, Any], running: Mapping[str, Release], groups: Sequence[Group],
    picked: Sequence[str],
) -> DevicePreview:  # fmt: skip
    mine = {k: v for k, v in values.items() if k in KEYS}
    config: dict[str, Any] | None = None
    found: list[str] = []
    if mine.get("package.index") is not None:
        try:
            config = nest(mine)
            found = problems(config)
        except ValidationError as exc:
            found = [exc.message]
    release = variant = None
    for vid in picked:
        rid = vid.rsplit("-", 1)[0]
        if rid in running:
            release, variant = running[rid], vid
            break
    bucket: int | None = toss
    group_id = ""
    if release is not None and toss is None and release.group_id:
        group_id = release.group_id
        bucket = server_bucket(identifier, group_id_number(group_id))
    elif toss is None:  # in no variant: its bucket in the first release group that targets it says why
        group = next((g for g in groups if applies(g.context, dims)), None)
        if group is not None:
            group_id, bucket = str(group.id), server_bucket(identifier, group.id)
    lines = _explain(groups, running, dims, identifier, toss, picked)
    if config is None:
        lines.append("No package has been released to this device yet.")
    return DevicePreview(
        org, app, dims, identifier, toss, source, server_version, dict(values), config, tuple(found),
        ReleaseSummary.of(release) if release else None,
        release.variant_kind(variant) if release and variant else "", variant or "", bucket, group_id,
        device_files(mine), tuple(lines),
    )  # fmt: skip
