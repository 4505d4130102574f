"""Experiment groups and variant selection, as the Superposition server does them.

Read from the server's source (github.com/juspay/superposition):
- groups, v0.117.1 `crates/experimentation_platform/src/api/experiment_groups/helpers.rs`: the first ramp
  of an experiment creates a SYSTEM_GENERATED group (`create_system_generated_experiment_group`: traffic =
  variants x per-variant traffic, name = the experiment's, context hash = blake3 of the sorted context);
  later ramps re-allocate its buckets (`update_experiment_group_buckets`, `update_bucket_allocation`: free
  buckets are taken from the front, `traffic` per variant in variant order; excess ones are freed from the
  back); conclude and discard detach the experiment and delete its system group
  (`detach_experiment_from_group`). Listed by `GET /experiment-groups` (`experiment_groups/handlers.rs`).
- bucketing, v0.117.1 and v0.87.0 `crates/experimentation_client/src/lib.rs`: `calculate_bucket_index`
  hashes the tuple `(identifier: &str, group_id: &i64)` with Rust's DefaultHasher (SipHash-1-3, keys 0, 0),
  i.e. the identifier bytes, 0xFF, the group id as 8 little-endian bytes; bucket = hash % 100.
  `get_applicable_buckets_from_group` + `get_applicable_variants_from_group_response` pick the variant
  (the server's, NOT superposition_core's, which hashes the group id as a string).
- v0.74.0 has neither groups nor identifiers: the client's `toss` decides (toss.py, `builds.py`
  `experiment_groups`).
"""

from __future__ import annotations

import copy
import hashlib
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..http import json_response
from . import conditions
from .engine import BUCKETS, EngineGroup, _known_dimensions, condition_applies, siphash13
from .errors import bad_argument, no_records
from .state import Workspace, canonical, iso, now, paged, snowflake

if TYPE_CHECKING:
    from .app import Call


def server_bucket(identifier: str, group_id: str) -> int:
    """`experimentation_client::calculate_bucket_index(identifier, &group_id_as_i64)`."""
    data = identifier.encode("utf-8") + b"\xff" + int(group_id).to_bytes(8, "little", signed=True)
    return siphash13(data) % BUCKETS


# --- bucket allocation (update_bucket_allocation) -------------------------------------------------


def allocate(e: dict[str, Any], buckets: list[tuple[str, str] | None], traffic: int) -> None:
    ids = [v["id"] for v in e["variants"]]
    mine = [i for i, b in enumerate(buckets) if b is not None and b[1] in ids]
    free = [i for i, b in enumerate(buckets) if b is None]
    required = traffic * len(ids)
    diff = abs(required - len(mine))
    if required > len(mine):
        if diff > len(free):
            raise bad_argument(
                "Not enough empty buckets to accommodate the updated traffic percentage. "
                f"Required additional: {diff}, Available: {len(free)}"
            )
        free.reverse()
        for vid in ids:
            for _ in range(diff // len(ids)):
                if free:
                    buckets[free.pop()] = (e["id"], vid)
    elif required < len(mine):
        for vid in ids:
            for _ in range(diff // len(ids)):
                taken = [i for i in mine if buckets[i] is not None and buckets[i][1] == vid]  # type: ignore[index]
                if taken:
                    index = taken[-1]
                    buckets[index] = None
                    mine.remove(index)


# --- groups: created, updated and deleted by the experiment lifecycle ------------------------------


def _record(ws: Workspace, action: str, user: str, old: Any, new: Any) -> None:
    ws.record("experiment_groups", action, user, old, new)


def group_json(call: Call, g: EngineGroup) -> dict[str, Any]:
    meta = g.meta
    return {
        "id": g.id,
        "context_hash": meta.get("context_hash", ""),
        "name": meta.get("name", ""),
        "description": meta.get("description", ""),
        "change_reason": meta.get("change_reason", ""),
        "context": conditions.render(g.context, call.dialect),
        "traffic_percentage": g.traffic_percentage,
        "member_experiment_ids": list(g.member_experiment_ids),
        "created_at": iso(meta.get("created_at")),
        "created_by": meta.get("created_by", ""),
        "last_modified_at": iso(meta.get("last_modified_at")),
        "last_modified_by": meta.get("last_modified_by", ""),
        "buckets": [None if b is None else {"variant_id": b[1], "experiment_id": b[0]} for b in g.buckets],
        "group_type": g.group_type,
    }


def create_group(call: Call, ws: Workspace, e: dict[str, Any], traffic: int) -> str:
    """`create_system_generated_experiment_group`: the experiment's first ramp out of CREATED."""
    buckets: list[tuple[str, str] | None] = [None] * BUCKETS
    allocate(e, buckets, traffic)
    gid = str(snowflake())
    ts = now()
    group = EngineGroup(
        id=gid,
        context=dict(e["context"]),
        traffic_percentage=len(e["variants"]) * traffic,
        member_experiment_ids=[e["id"]],
        buckets=buckets,
    )
    group.meta = {
        # `hash()` of experiments/helpers.rs is blake3 of the sorted JSON; the emulator has no blake3,
        # so the same input is hashed with blake2b: same role (equal contexts, equal hashes).
        "context_hash": hashlib.blake2b(canonical(e["context"]).encode(), digest_size=32).hexdigest(),
        "name": e["name"],
        "description": f"Experiment group for experiment {e['name']}",
        "change_reason": f"System generated experiment group for experiment {e['id']}",
        "created_at": ts,
        "created_by": call.user,
        "last_modified_at": ts,
        "last_modified_by": call.user,
    }
    ws.groups[gid] = group
    _record(ws, "INSERT", call.user, None, group_json(call, group))
    return gid


def update_group(call: Call, ws: Workspace, e: dict[str, Any], gid: str, traffic: int) -> None:
    """`update_experiment_group_buckets`: a later ramp moves the experiment's buckets."""
    group = ws.groups.get(gid)
    if group is None:
        return
    old = group_json(call, group)
    allocate(e, group.buckets, traffic)
    if group.group_type == "SYSTEM_GENERATED":
        group.traffic_percentage = len(e["variants"]) * traffic
    group.meta.update(
        change_reason=f"Updated traffic percentage for experiment group {gid}",
        last_modified_at=now(),
        last_modified_by=call.user,
    )
    _record(ws, "UPDATE", call.user, old, group_json(call, group))


def detach(call: Call, ws: Workspace, e: dict[str, Any]) -> None:
    """`detach_experiment_from_group`: conclude/discard free the buckets; a system group goes away."""
    gid = e["experiment_group_id"]
    group = ws.groups.get(gid) if gid is not None else None
    if group is None:
        return
    old = group_json(call, group)
    allocate(e, group.buckets, 0)
    group.member_experiment_ids = [m for m in group.member_experiment_ids if m != e["id"]]
    if group.group_type == "SYSTEM_GENERATED":
        del ws.groups[gid]
        _record(ws, "DELETE", call.user, old, None)
    else:
        _record(ws, "UPDATE", call.user, old, group_json(call, group))


def group_list(call: Call) -> Response:
    from .experiment_list import not_modified

    ws = call.workspace
    headers: dict[str, str] = {}
    if call.build.list_if_modified_since == "shared":  # v0.87's group list has no 304 handshake
        early, headers = not_modified(call, "experiment_groups")
        if early is not None:
            return early
    items = sorted(ws.groups.values(), key=lambda g: g.meta.get("last_modified_at") or now(), reverse=True)
    return json_response(paged([group_json(call, g) for g in items], call.args), 200, headers)


def group_get(call: Call, group_id: str) -> Response:
    if not group_id.lstrip("-").isdigit():
        raise bad_argument(f'can not parse "{group_id}" to a i64')
    group = call.workspace.groups.get(group_id)
    if group is None:
        raise no_records()
    return json_response(group_json(call, group))


# --- which variants a device gets ------------------------------------------------------------------


def _by_identifier(ws: Workspace, query: dict[str, Any], identifier: str) -> list[str]:
    """get_applicable_buckets_from_group + get_applicable_variants_from_group_response."""
    if not identifier:
        return []
    context = _known_dimensions(ws.dimension_info(), query)  # evaluate_local_cohorts
    picked: list[str] = []
    for group in ws.groups.values():
        toss = server_bucket(identifier, group.id)
        if not (condition_applies(group.context, context) and group.traffic_percentage >= toss):
            continue
        bucket = group.buckets[toss] if toss < len(group.buckets) else None
        if bucket is None:
            continue
        if group.group_type != "SYSTEM_GENERATED":
            if group.traffic_percentage <= 0:
                continue
            toss = toss * 100 // group.traffic_percentage
        e = ws.experiments.get(bucket[0])
        if e is None or e["status"] != "INPROGRESS" or not condition_applies(e["context"], context):
            continue
        if e["traffic_percentage"] * len(e["variants"]) >= toss:
            picked.append(bucket[1])
    return picked


def applicable_variant_ids(ws: Workspace, query: dict[str, Any], identifier: str) -> list[str]:
    """Builds with experiment groups (v0.87, v0.117); v0.74 assigns by the client's toss (toss.py)."""
    return _by_identifier(ws, query, identifier)


def applicable(call: Call) -> Response:
    # experiments/handlers.rs `get_applicable_variants(_handler)`. v0.117.1: GET needs `identifier` (or
    # `toss`); POST reads an `Option<Json<{context, identifier|toss}>>`, so a missing or unreadable body
    # (no identifier included) counts as context {} with identifier "". v0.87.0: a query or body
    # without an identifier is no input at all: 400 "Invalid input for the method".
    ws = call.workspace
    if call.request.method == "GET":
        identifier = call.args.get("identifier") or call.args.get("toss")
        if identifier is None:
            if not call.current:
                raise bad_argument("Invalid input for the method")
            raise bad_argument("Missing query param `identifier` that is required to allocate variants")
        query = conditions.query_dimensions(call.args, call.dialect, {"identifier", "toss"})
    else:
        body = call.optional_body()
        query, identifier = {}, ""
        raw = None if body is None else body.data.get("identifier", body.data.get("toss"))
        context = None if body is None else body.data.get("context")
        valid = isinstance(context, dict) and (
            isinstance(raw, str) or (isinstance(raw, int | float) and not isinstance(raw, bool))
        )
        if valid:
            assert isinstance(context, dict)
            query, identifier = context, str(raw)
        elif not call.current:
            raise bad_argument("Invalid input for the method")
    picked = set(applicable_variant_ids(ws, query, identifier))
    variants = [copy.deepcopy(v) for e in ws.experiments.values() for v in e["variants"] if v["id"] in picked]
    if call.request.method == "POST":
        return json_response({"data": variants})
    return json_response(variants)
