"""Which experiment variant a device gets, computed the way the Superposition *server* does it.

Servers from v0.82 bucket a device by its identifier (`experimentation_client::calculate_bucket_index`,
crates/experimentation_client/src/lib.rs, v0.87.0 and v0.117.1): Rust's `DefaultHasher` (SipHash-1-3,
keys 0, 0) over the tuple `(identifier: &str, group_id: &i64)`, i.e. the identifier's UTF-8 bytes, a 0xFF
terminator, then the experiment group id as 8 little-endian bytes; bucket = hash % 100. Superposition's
core library (and so `superposition-bindings`) hashes the group id as a *string* instead, which puts most
devices in another bucket: a preview must use this module, not the core library.

A group's buckets are then read as in `get_applicable_buckets_from_group` and
`get_applicable_variants_from_group_response` (same file). Servers before v0.82 (the Hyper OTA deployments
of May 2025 run v0.74) have no identifier: the device sends a `toss` (0-99, or -1 for "always
experimental") and `decide_variant` (crates/experimentation_platform/src/api/experiments/helpers.rs,
v0.74.0) picks the variant.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import siphash24

from hyperota_desktop.domain.errors import ValidationError

BUCKETS = 100
_ZERO_KEY = bytes(16)
_U64 = 1 << 64


def server_hash(identifier: str, group_id: int) -> int:
    """`DefaultHasher` of `(identifier, group_id)` as the server computes it (an unsigned 64-bit int)."""
    data = identifier.encode("utf-8") + b"\xff" + group_id.to_bytes(8, "little", signed=True)
    digest: bytes = siphash24.siphash13(data, key=_ZERO_KEY).digest()
    return int.from_bytes(digest, "little")


def server_bucket(identifier: str, group_id: int) -> int:
    """The bucket (0-99) of a device in an experiment group."""
    return server_hash(identifier, group_id) % BUCKETS


def group_id_number(group_id: str | int) -> int:
    """Group ids travel as strings (`i64_formatter`); the hash needs the number."""
    try:
        number = int(group_id)
    except (TypeError, ValueError):
        raise ValidationError(f"'{group_id}' is not an experiment group id (a 64-bit integer).") from None
    if not -(1 << 63) <= number < (1 << 63):
        raise ValidationError(f"Experiment group id {group_id} does not fit in 64 bits.")
    return number


def condition_applies(condition: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    """`superposition_types::apply` for flat conditions: every dimension present and equal."""
    for dimension, expected in condition.items():
        if dimension not in context or not _json_equal(context[dimension], expected):
            return False
    return True


def _json_equal(a: Any, b: Any) -> bool:
    """serde_json equality: `true` is not `1`, `1` is not `1.0`."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@dataclass(frozen=True)
class Bucket:
    experiment_id: str
    variant_id: str


@dataclass(frozen=True)
class Group:
    """An experiment group: a context, a traffic share and 100 buckets (each empty or a variant)."""

    id: int
    context: Mapping[str, Any]
    traffic_percentage: int
    buckets: tuple[Bucket | None, ...]
    system_generated: bool = True


@dataclass(frozen=True)
class RunningExperiment:
    id: str
    context: Mapping[str, Any]
    traffic_percentage: int  # per variant
    variant_ids: tuple[str, ...]


@dataclass(frozen=True)
class Assignment:
    """Why a device gets a variant: its bucket in a group, or its toss (servers before v0.82)."""

    experiment_id: str
    variant_id: str
    bucket: int
    group_id: int | None = None  # None: decided by toss


def assign(
    groups: Sequence[Group],
    experiments: Sequence[RunningExperiment],
    context: Mapping[str, Any],
    identifier: str,
) -> list[Assignment]:
    """The variants a device with `identifier` and `context` gets (servers v0.82 and later)."""
    if not identifier:
        return []
    running = {e.id: e for e in experiments}
    found: list[Assignment] = []
    for group in groups:
        toss = server_bucket(identifier, group.id)
        if not (condition_applies(group.context, context) and group.traffic_percentage >= toss):
            continue
        bucket = group.buckets[toss] if toss < len(group.buckets) else None
        if bucket is None:
            continue
        if not group.system_generated:
            if group.traffic_percentage <= 0:
                continue
            toss = toss * 100 // group.traffic_percentage
        experiment = running.get(bucket.experiment_id)
        if experiment is None or not condition_applies(experiment.context, context):
            continue
        if experiment.traffic_percentage * len(experiment.variant_ids) >= toss:
            found.append(Assignment(bucket.experiment_id, bucket.variant_id, toss, group.id))
    return found


def toss_variant(traffic_percentage: int, variants: Sequence[tuple[str, str]], toss: int) -> str | None:
    """`decide_variant` of servers before v0.82 over `(variant id, CONTROL|EXPERIMENTAL)` pairs in the
    experiment's order: variants take consecutive slices of `traffic` tosses; toss -1 always gets the
    first experimental variant."""
    check_toss(toss)
    if toss < 0:
        return next((vid for vid, kind in variants if kind == "EXPERIMENTAL"), None)
    for index in range(1, len(variants) + 1):
        if toss < traffic_percentage * index:
            return variants[index - 1][0]
    return None


def check_toss(toss: Any) -> int:
    if isinstance(toss, bool) or not isinstance(toss, int) or not -1 <= toss <= 100:
        raise ValidationError(f"A toss is a whole number from -1 to 100, not {toss!r}.")
    return toss
