"""Variant assignment on v0.74.0: the client draws a `toss` (0 to 99) and the server picks by it.

v0.74.0 has no experiment groups and no server-side bucketing (those arrive with identifiers later):
`GET /experiments/applicable-variants?toss=N&dim=value…` walks every experiment that is neither
concluded, discarded nor paused, whose JSON Logic context matches, and lets `decide_variant`
(experimentation_platform/src/api/experiments/helpers.rs) choose with the toss. A device keeps its toss,
so it keeps its variant while the traffic does not shrink. Devices then ask `/config/resolve` with the
variant ids as the `variantIds` dimension.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..http import json_response
from . import conditions
from .engine import condition_applies
from .errors import ApiError, ServerCrash, bad_argument, parse_json_body
from .state import Workspace

if TYPE_CHECKING:
    from .app import Call

TOSS_MIN, TOSS_MAX = -1, 100
INVALID_INPUT = "Invalid input for the method"


def decide_variant(traffic: int, variants: list[dict[str, Any]], toss: int) -> dict[str, Any] | None:
    """helpers.rs v0.74.0 `decide_variant`: a negative toss picks the first experimental variant;
    otherwise variant i gets the tosses [traffic·i, traffic·(i+1)) and tosses beyond traffic·n get none.
    (`traffic` is the per-variant percentage.)"""
    if toss < 0:
        for variant in variants:
            if variant["variant_type"] == "EXPERIMENTAL":
                return variant
    if toss >= traffic * len(variants):
        return None
    for index in range(len(variants)):
        if toss < traffic * (index + 1):
            return variants[index]
    return None


def variants_for_toss(ws: Workspace, context: dict[str, Any], toss: int) -> list[dict[str, Any]]:
    """The variants a device with `toss` and dimensions `context` gets (one per matching experiment)."""
    picked = []
    for e in ws.experiments.values():  # a broken workspace fails here (500), as the server's load does
        if e["status"] in ("CONCLUDED", "DISCARDED", "PAUSED"):
            continue
        if e["context"] and not condition_applies(e["context"], context):
            continue
        variant = decide_variant(e["traffic_percentage"], e["variants"], toss)
        if variant is not None:
            picked.append(copy.deepcopy(variant))
    return picked


def _toss(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if TOSS_MIN <= value <= TOSS_MAX else None


def _from_query(call: Call) -> tuple[dict[str, Any], int] | None:
    """`ApplicableVariantsQuery::try_from`: every value parsed as JSON; `toss` an integer in -1..=100."""
    values = {k: conditions.query_value(v) for k, v in call.args.items(multi=False)}
    toss = _toss(values.pop("toss", None))
    return None if toss is None else (values, toss)


def _from_body(call: Call) -> tuple[dict[str, Any], int] | None:
    """`ApplicableVariantsRequest {context, toss: i8 (-1..=100)}`; anything else reads as no body."""
    try:
        data = parse_json_body(call.request.get_data(cache=True), call.request.content_type)
    except ApiError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("context"), dict):
        return None
    toss = _toss(data.get("toss"))
    return None if toss is None else (data["context"], toss)


def applicable(call: Call) -> Response:
    """v0.74.0 `get_applicable_variants`: GET reads the query, POST the body, anything else is 400."""
    query, body = _from_query(call), _from_body(call)
    if call.request.method == "POST" and body is not None and query is None:
        # `impl From<ApplicableVariantsRequest> for ApplicableVariantsQuery { value.into() }` calls
        # itself: the stack overflows and the server process aborts. Clients must use GET on v0.74.
        raise ServerCrash("POST /experiments/applicable-variants recurses without end on v0.74.0")
    if call.request.method != "GET" or query is None or body is not None:
        raise bad_argument(INVALID_INPUT)
    context, toss = query
    return json_response(variants_for_toss(call.workspace, context, toss))
