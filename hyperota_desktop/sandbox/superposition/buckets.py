"""Experiment bucketing: system-generated groups of 100 buckets, and variant selection for a device."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..http import json_response
from . import conditions
from .engine import EngineExperiment, EngineVariant
from .errors import bad_argument
from .state import Workspace

if TYPE_CHECKING:
    from .app import Call


# --- buckets (experiment_groups/helpers.rs) -------------------------------------------------------


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
                    buckets[taken[-1]] = None


# --- bucketing -----------------------------------------------------------------------------------


def applicable_variant_ids(emu: Any, ws: Workspace, query: dict[str, Any], identifier: str) -> list[str]:
    running = [e for e in ws.experiments.values() if e["status"] == "INPROGRESS"]
    exps = [
        EngineExperiment(
            id=e["id"],
            traffic_percentage=e["traffic_percentage"],
            context=e["context"],
            status=e["status"],
            variants=[
                EngineVariant(
                    id=v["id"],
                    variant_type=v["variant_type"],
                    overrides=v["overrides"],
                    context_id=v["context_id"],
                    override_id=v["override_id"],
                )
                for v in e["variants"]
            ],
        )
        for e in running
    ]
    return list(
        emu.engine.applicable_variants(exps, list(ws.groups.values()), ws.dimension_info(), query, identifier)
    )


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
    picked = set(applicable_variant_ids(call.emu, ws, query, identifier))
    variants = [copy.deepcopy(v) for e in ws.experiments.values() for v in e["variants"] if v["id"] in picked]
    if call.request.method == "POST":
        return json_response({"data": variants})
    return json_response(variants)
