"""What a device gets, computed on this machine from a saved snapshot of a workspace.

The snapshot holds the workspace's configuration (default values, contexts, overrides, dimensions), its
running experiments and its experiment groups. The variant a device falls into is computed with the
*server's* bucketing (`domain.bucketing`); the configuration is then evaluated with Superposition's own
core library (`superposition-bindings`, `ffi_eval_config`), so the answer is the server's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.bucketing import (
    Assignment,
    Bucket,
    Group,
    RunningExperiment,
    assign,
    condition_applies,
    group_id_number,
    toss_variant,
)
from hyperota_desktop.domain.dimensions import Dimension
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.targeting import VARIANT_DIMENSION, flat_condition
from hyperota_desktop.services.superposition_builds import Dialect, parse_version
from hyperota_desktop.stores.untrusted import read_small_file

SNAPSHOT_KIND = "hyperota.superposition-snapshot"
SNAPSHOT_FORMAT = 1
SNAPSHOT_LIMIT = 256 * 1024 * 1024  # a config with thousands of running releases is tens of MiB


@dataclass(frozen=True)
class Snapshot:
    org: str
    app: str
    workspace: str
    server_version: str  # e.g. "v0.117.1"; decides identifier bucketing (v0.82+) or toss
    saved_at: str
    default_configs: dict[str, Any]
    contexts: list[dict[str, Any]]  # {id, condition (flat), weight, override_key}
    overrides: dict[str, dict[str, Any]]
    dimensions: dict[str, dict[str, Any]]  # name -> {schema, position}
    experiments: list[dict[str, Any]]  # running ones, as the server sent them
    groups: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        data = {"kind": SNAPSHOT_KIND, "format": SNAPSHOT_FORMAT, **self.__dict__}
        return json.dumps(data, indent=1, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValidationError(f"The snapshot is not valid JSON: {exc}.") from None
        if not isinstance(data, dict) or data.get("kind") != SNAPSHOT_KIND:
            raise ValidationError("This file is not a HyperOTA workspace snapshot.")
        if data.get("format") != SNAPSHOT_FORMAT:
            raise ValidationError(f"Unsupported snapshot format {data.get('format')!r}.")
        try:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except TypeError as exc:
            raise ValidationError(f"The snapshot is incomplete ({exc}).") from None

    @classmethod
    def load(cls, path: Path) -> Snapshot:
        """A saved snapshot: a file from outside, read bounded (stores/untrusted.py)."""
        data = read_small_file(path, limit=SNAPSHOT_LIMIT)
        try:
            return cls.from_json(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise ValidationError(f"The snapshot {path} is not UTF-8 text.") from None

    def dimension_list(self) -> dict[str, Dimension]:
        """The application's dimensions as saved (to read `--dim name=value` offline)."""
        return {
            name: Dimension(name, int(info.get("position", 0)), dict(info.get("schema") or {}))
            for name, info in self.dimensions.items()
            if name != VARIANT_DIMENSION
        }

    @property
    def by_toss(self) -> bool:
        return Dialect(parse_version(self.server_version)).assigns_by_toss


def make_snapshot(
    org: str,
    app: str,
    workspace: str,
    server_version: str,
    config: Mapping[str, Any],
    dimensions: list[dict[str, Any]],
    experiments: list[dict[str, Any]],
    groups: list[dict[str, Any]],
) -> Snapshot:
    """A snapshot from the server's `/config`, `/dimension`, running experiments and groups."""
    contexts = []
    for ctx in config.get("contexts") or []:
        keys = ctx.get("override_with_keys") or []
        contexts.append(
            {
                "id": str(ctx.get("id")),
                "condition": flat_condition(ctx.get("condition") or {}),
                "weight": int(str(ctx.get("weight") or 0)),
                "override_key": str(keys[0]) if keys else "",
            }
        )
    return Snapshot(
        org=org, app=app, workspace=workspace, server_version=server_version,
        saved_at=datetime.now(UTC).isoformat(timespec="seconds"),
        default_configs=dict(config.get("default_configs") or {}), contexts=contexts,
        overrides={str(k): dict(v) for k, v in (config.get("overrides") or {}).items()},
        dimensions={
            str(d["dimension"]): {"schema": d.get("schema") or {}, "position": int(d.get("position") or 0)}
            for d in dimensions if "dimension" in d
        },
        experiments=[{**e, "context": flat_condition(e.get("context") or {})} for e in experiments],
        groups=[{**g, "context": flat_condition(g.get("context") or {})} for g in groups],
    )  # fmt: skip


def group_from(data: Mapping[str, Any]) -> Group:
    """An experiment group as the server lists it (either dialect)."""
    buckets: list[Bucket | None] = []
    for b in data.get("buckets") or []:
        buckets.append(Bucket(str(b["experiment_id"]), str(b["variant_id"])) if isinstance(b, dict) else None)
    return Group(
        id=group_id_number(data.get("id", "")),
        context=flat_condition(data.get("context") or {}),
        traffic_percentage=int(data.get("traffic_percentage") or 0),
        buckets=tuple(buckets),
        system_generated=data.get("group_type", "SYSTEM_GENERATED") == "SYSTEM_GENERATED",
    )


class OfflineResolver:
    """Resolves many devices against one snapshot (the native objects are built once)."""

    def __init__(self, snapshot: Snapshot) -> None:
        try:
            from superposition_bindings import superposition_client as client
            from superposition_bindings import superposition_types as types
        except Exception as exc:  # native library missing for this platform
            raise ValidationError(
                f"Offline preview needs Superposition's core library (superposition-bindings): {exc}.",
                hint="Preview online instead (without --snapshot).",
                gui_hint="Preview online instead (Answer from: Ask the server).",
            ) from None
        self.snapshot = snapshot
        self._client, self._types = client, types
        self._running = [e for e in snapshot.experiments if e.get("status") == "INPROGRESS"]
        self._experiments = [
            RunningExperiment(
                str(e["id"]),
                dict(e.get("context") or {}),
                int(e.get("traffic_percentage") or 0),
                tuple(str(v["id"]) for v in e.get("variants") or []),
            )
            for e in self._running
        ]
        self._groups = [group_from(g) for g in snapshot.groups]
        ordered = sorted(snapshot.contexts, key=lambda c: c["weight"])
        self._contexts = [
            types.Context(
                id=c["id"],
                condition=_enc(c["condition"]),
                priority=c["weight"],
                weight=c["weight"],
                override_with_keys=[c["override_key"]],
            )
            for c in ordered
        ]
        self._overrides = {k: _enc(v) for k, v in snapshot.overrides.items()}
        self._defaults = _enc(snapshot.default_configs)
        self._dimensions = {
            name: types.DimensionInfo(
                schema=_enc(info.get("schema") or {}),
                position=int(info.get("position", 0)),
                dimension_type=types.DimensionType.REGULAR(),
                dependency_graph={},
                value_compute_function_name=None,
                description="",
            )
            for name, info in snapshot.dimensions.items()
        }

    def assignments(
        self, dimensions: Mapping[str, Any], *, identifier: str = "", toss: int | None = None
    ) -> list[Assignment]:
        if self.snapshot.by_toss:
            if toss is None:
                raise ValidationError(
                    f"Superposition {self.snapshot.server_version} assigns variants by the device's toss "
                    "(0-99), not by its identifier.",
                    hint="Give the device's toss.",
                )
            found = []
            for e in self._running:
                if condition_applies(e.get("context") or {}, dimensions):
                    pairs = [(str(v["id"]), str(v.get("variant_type"))) for v in e.get("variants") or []]
                    picked = toss_variant(int(e.get("traffic_percentage") or 0), pairs, toss)
                    if picked is not None:
                        found.append(Assignment(str(e["id"]), picked, toss))
            return found
        return assign(self._groups, self._experiments, dimensions, identifier)

    def resolve(self, dimensions: Mapping[str, Any], variant_ids: list[str]) -> dict[str, Any]:
        query = {**dimensions, VARIANT_DIMENSION: variant_ids}
        out = self._client.ffi_eval_config(
            self._defaults, self._contexts, self._overrides, self._dimensions, _enc(query),
            self._types.MergeStrategy.MERGE, None, None, None,
        )  # fmt: skip
        return {k: json.loads(v) for k, v in out.items()}

    @property
    def groups(self) -> list[Group]:
        return list(self._groups)


def _enc(values: Mapping[str, Any]) -> dict[str, str]:
    return {k: json.dumps(v) for k, v in values.items()}
