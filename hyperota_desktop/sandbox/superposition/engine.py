"""Pure-Python port of Superposition's resolution core (superposition_core v0.117/0.118).

It mirrors `eval_config` (contexts applied in the given order, later ones winning, JSON merge or
replace) and the experiment bucketing of `get_applicable_variants` (SipHash-1-3 of the identifier and
the experiment group id, like Rust's `DefaultHasher`, into 100 buckets). Conditions are the flat
`{dimension: value}` maps of current servers; `variantIds` is matched by containment.

`BindingsEngine` does the same through Superposition's own library (`superposition-bindings`); the
emulator prefers it and falls back to `PythonEngine` when the native library cannot be loaded.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("hyperota.sandbox.superposition")

BUCKETS = 100


@dataclass
class EngineContext:
    id: str
    condition: dict[str, Any]
    override_key: str
    priority: int = 0
    weight: int = 0


@dataclass
class EngineVariant:
    id: str
    variant_type: str  # CONTROL | EXPERIMENTAL
    overrides: dict[str, Any]
    context_id: str | None = None
    override_id: str | None = None


@dataclass
class EngineExperiment:
    id: str
    traffic_percentage: int
    variants: list[EngineVariant]
    context: dict[str, Any]
    status: str


@dataclass
class EngineGroup:
    """A system-generated experiment group: 100 buckets, each empty or (experiment_id, variant_id)."""

    id: str
    context: dict[str, Any]
    traffic_percentage: int
    member_experiment_ids: list[str]
    buckets: list[tuple[str, str] | None] = field(default_factory=lambda: [None] * BUCKETS)
    group_type: str = "SYSTEM_GENERATED"
    meta: dict[str, Any] = field(default_factory=dict)  # what the API shows beside (buckets.group_json)


class Engine(Protocol):
    name: str

    def eval_config(
        self,
        default_configs: dict[str, Any],
        contexts: list[EngineContext],
        overrides: dict[str, dict[str, Any]],
        dimensions: dict[str, dict[str, Any]],
        query: dict[str, Any],
        merge_strategy: str,
    ) -> dict[str, Any]: ...

    def applicable_variants(
        self,
        experiments: list[EngineExperiment],
        groups: list[EngineGroup],
        dimensions: dict[str, dict[str, Any]],
        query: dict[str, Any],
        identifier: str,
    ) -> list[str]: ...


# --- SipHash-1-3 with zero keys (Rust's DefaultHasher) -------------------------------------------

_MASK = 0xFFFFFFFFFFFFFFFF


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _MASK


def _round(v0: int, v1: int, v2: int, v3: int) -> tuple[int, int, int, int]:
    v0 = (v0 + v1) & _MASK
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & _MASK
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & _MASK
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & _MASK
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash13(data: bytes, k0: int = 0, k1: int = 0) -> int:
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573
    length = len(data)
    end = length - (length % 8)
    for i in range(0, end, 8):
        m = int.from_bytes(data[i : i + 8], "little")
        v3 ^= m
        v0, v1, v2, v3 = _round(v0, v1, v2, v3)
        v0 ^= m
    tail = data[end:] + bytes(7 - (length % 8)) + bytes([length & 0xFF])
    b = int.from_bytes(tail, "little")
    v3 ^= b
    v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    v0 ^= b
    v2 ^= 0xFF
    for _ in range(3):
        v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    return (v0 ^ v1 ^ v2 ^ v3) & _MASK


def bucket_index(identifier: str, group_id: str) -> int:
    """`calculate_bucket_index`: hash of the tuple (identifier, group_id) modulo 100."""
    data = identifier.encode() + b"\xff" + group_id.encode() + b"\xff"
    return siphash13(data) % BUCKETS


# --- the pure-Python engine ------------------------------------------------------------------------


def condition_applies(condition: dict[str, Any], query: dict[str, Any]) -> bool:
    """superposition_types::apply: every condition dimension present and equal (variantIds: contained)."""
    for dim, expected in condition.items():
        if dim not in query:
            return False
        actual = query[dim]
        if dim == "variantIds":
            if not isinstance(actual, list) or not _contains(actual, expected):
                return False
        elif not json_equal(actual, expected):
            return False
    return True


def json_equal(a: Any, b: Any) -> bool:
    # serde_json equality: 1 == 1.0 is false there, and True is not 1.
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _contains(values: list[Any], item: Any) -> bool:
    return any(json_equal(v, item) for v in values)


def json_merge(doc: Any, patch: Any) -> Any:
    """superposition_core::config::merge: objects merge key by key, anything else replaces."""
    if isinstance(doc, dict) and isinstance(patch, dict):
        for key, value in patch.items():
            doc[key] = json_merge(doc.get(key), value)
        return doc
    return copy.deepcopy(patch)


def _known_dimensions(dimensions: dict[str, dict[str, Any]], query: dict[str, Any]) -> dict[str, Any]:
    # evaluate_local_cohorts keeps only the query values of known (regular) dimensions.
    if not dimensions:
        return dict(query)
    return {k: v for k, v in query.items() if k in dimensions}


class PythonEngine:
    name = "python"

    def eval_config(
        self,
        default_configs: dict[str, Any],
        contexts: list[EngineContext],
        overrides: dict[str, dict[str, Any]],
        dimensions: dict[str, dict[str, Any]],
        query: dict[str, Any],
        merge_strategy: str,
    ) -> dict[str, Any]:
        query = _known_dimensions(dimensions, query)
        merged: dict[str, Any] = {}
        for ctx in contexts:
            if not condition_applies(ctx.condition, query):
                continue
            override = overrides.get(ctx.override_key)
            if override is None:
                continue
            if merge_strategy == "REPLACE":
                for key, value in override.items():
                    merged[key] = copy.deepcopy(value)
            else:
                json_merge(merged, copy.deepcopy(override))
        result = copy.deepcopy(default_configs)
        for key, value in merged.items():
            if key not in result:
                continue
            if merge_strategy == "REPLACE":
                result[key] = value
            else:
                result[key] = json_merge(result[key], value)
        return result

    def applicable_variants(
        self,
        experiments: list[EngineExperiment],
        groups: list[EngineGroup],
        dimensions: dict[str, dict[str, Any]],
        query: dict[str, Any],
        identifier: str,
    ) -> list[str]:
        if not identifier:
            return []
        query = _known_dimensions(dimensions, query)
        by_id = {e.id: e for e in experiments}
        picked: list[str] = []
        for group in groups:
            toss = bucket_index(identifier, group.id)
            if not (condition_applies(group.context, query) and group.traffic_percentage >= toss):
                continue
            bucket = group.buckets[toss] if toss < len(group.buckets) else None
            if bucket is None:
                continue
            if group.group_type != "SYSTEM_GENERATED":
                if group.traffic_percentage <= 0:
                    continue
                toss = toss * 100 // group.traffic_percentage
            experiment = by_id.get(bucket[0])
            if experiment is None or not condition_applies(experiment.context, query):
                continue
            if experiment.traffic_percentage * len(experiment.variants) >= toss:
                picked.append(bucket[1])
        return picked


# --- the engine backed by Superposition's own core ------------------------------------------------


class BindingsEngine:
    name = "superposition-bindings"

    def __init__(self) -> None:
        from superposition_bindings import superposition_client as client
        from superposition_bindings import superposition_types as types

        self._c = client
        self._t = types
        # Touch the library once so a missing/incompatible native library fails here, not mid-request.
        self.eval_config({"k": 1}, [], {}, {}, {}, "MERGE")

    @staticmethod
    def _enc(values: dict[str, Any]) -> dict[str, str]:
        return {k: json.dumps(v) for k, v in values.items()}

    def _dims(self, dimensions: dict[str, dict[str, Any]]) -> dict[str, Any]:
        t = self._t
        return {
            name: t.DimensionInfo(
                schema=self._enc(info.get("schema") or {}),
                position=int(info.get("position", 0)),
                dimension_type=t.DimensionType.REGULAR(),
                dependency_graph={},
                value_compute_function_name=None,
                description="",
            )
            for name, info in dimensions.items()
        }

    def eval_config(
        self,
        default_configs: dict[str, Any],
        contexts: list[EngineContext],
        overrides: dict[str, dict[str, Any]],
        dimensions: dict[str, dict[str, Any]],
        query: dict[str, Any],
        merge_strategy: str,
    ) -> dict[str, Any]:
        t = self._t
        ctxs = [
            t.Context(
                id=c.id,
                condition=self._enc(c.condition),
                priority=c.priority,
                weight=c.weight,
                override_with_keys=[c.override_key],
            )
            for c in contexts
        ]
        strategy = t.MergeStrategy.REPLACE if merge_strategy == "REPLACE" else t.MergeStrategy.MERGE
        out = self._c.ffi_eval_config(
            self._enc(default_configs),
            ctxs,
            {k: self._enc(v) for k, v in overrides.items()},
            self._dims(dimensions),
            self._enc(query),
            strategy,
            None,
            None,
            None,
        )
        return {k: json.loads(v) for k, v in out.items()}

    def applicable_variants(
        self,
        experiments: list[EngineExperiment],
        groups: list[EngineGroup],
        dimensions: dict[str, dict[str, Any]],
        query: dict[str, Any],
        identifier: str,
    ) -> list[str]:
        c, t = self._c, self._t
        exps = [
            c.FfiExperiment(
                id=e.id,
                traffic_percentage=e.traffic_percentage,
                variants=[
                    t.Variant(
                        id=v.id,
                        variant_type=t.VariantType[v.variant_type],
                        context_id=v.context_id,
                        override_id=v.override_id,
                        overrides=self._enc(v.overrides),
                    )
                    for v in e.variants
                ],
                context=self._enc(e.context),
                status=t.ExperimentStatusType[e.status],
            )
            for e in experiments
        ]
        grps = [
            c.FfiExperimentGroup(
                id=g.id,
                context=self._enc(g.context),
                traffic_percentage=g.traffic_percentage,
                member_experiment_ids=list(g.member_experiment_ids),
                group_type=t.GroupType[g.group_type],
                buckets=[
                    None if b is None else t.Bucket(experiment_id=b[0], variant_id=b[1]) for b in g.buckets
                ],
            )
            for g in groups
        ]
        args = c.ExperimentationArgs(experiments=exps, experiment_groups=grps, targeting_key=identifier)
        return list(c.ffi_get_applicable_variants(args, self._dims(dimensions), self._enc(query), None, None))


def make_engine(prefer: str | None = None) -> Engine:
    """The bindings engine when available (or asked for), else the pure-Python one."""
    if prefer == "python":
        return PythonEngine()
    try:
        return BindingsEngine()
    except Exception as exc:  # native library missing for this platform, ABI mismatch, ...
        if prefer == "superposition-bindings":
            raise
        log.info("superposition-bindings unavailable (%s); using the Python resolution engine", exc)
        return PythonEngine()
