"""Contexts (`/context`): create, update, list, get, delete, validate, weights."""

from __future__ import annotations

import copy
import itertools
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..http import json_response
from . import conditions
from .cac import value_errors, version_header
from .engine import json_merge
from .errors import Body, bad_argument, deserialize_error, no_records
from .state import Workspace, canonical, content_hash, iso, now, paged

if TYPE_CHECKING:
    from .app import Call

_seq = itertools.count()


def merge_strategy(call: Call) -> str:
    # Resolution only (`x-merge-strategy` on /config/resolve and /resolve): the server parses lowercase
    # `merge`/`replace` and silently treats anything else as merge.
    return "REPLACE" if call.request.headers.get("x-merge-strategy") == "replace" else "MERGE"


def ctx_json(call: Call, ws: Workspace, c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": c["id"],
        "value": conditions.render(c["condition"], call.dialect),
        "override": c["override"],
        "override_id": c["override_id"],
        "weight": str(c["weight"]),
        "description": c["description"],
        "change_reason": c["change_reason"],
        "created_at": iso(c["created_at"]),
        "created_by": c["created_by"],
        "last_modified_at": iso(c["last_modified_at"]),
        "last_modified_by": c["last_modified_by"],
    }


def validate_condition(ws: Workspace, condition: dict[str, Any]) -> None:
    for dim, value in condition.items():
        if dim not in ws.dimensions:
            raise bad_argument(f"No matching dimension ({dim}) found")
        errors = value_errors(ws.dimensions[dim]["schema"], value)
        if errors:
            raise bad_argument(f"failed to validate dimension value {canonical(value)}: {errors[0]}")
    mandatory = ws.mandatory_dimensions or []
    if mandatory and not all(d in condition for d in mandatory):
        raise bad_argument(
            f"The context should contain all the mandatory dimensions : {mandatory!r}.".replace("'", '"')
        )


def validate_override(ws: Workspace, override: dict[str, Any]) -> None:
    for key, value in override.items():
        dc = ws.default_configs.get(key)
        if dc is None:
            raise bad_argument(f"failed to get schema for config key {key}")
        errors = value_errors(dc["schema"], value)
        if errors:
            raise bad_argument(f"schema validation failed for {key}: {errors[0]}")


def upsert_context(
    ws: Workspace,
    condition: dict[str, Any],
    override: dict[str, Any],
    description: str | None,
    reason: str,
    user: str,
) -> dict[str, Any]:
    """Create the context of `condition`, or deep-merge `override` into the existing one.

    The server's `operations::upsert(…, replace = false, …)` (context_aware_config/src/api/context/
    operations.rs): an INSERT, and on a unique violation `update_override_of_existing_ctx`, which merges
    with `merge` (superposition_core/src/config.rs on v0.117.1, cac_client on v0.74.0/v0.87.0): nested
    objects merge key by key, anything else replaces. `PUT /context`, the bulk PUT and the experiment
    actions (create, conclude) all upsert this way; `x-merge-strategy` plays no part. The caller bumps
    the config version."""
    validate_condition(ws, condition)
    validate_override(ws, override)
    ctx_id = content_hash(condition)
    existing = ws.contexts.get(ctx_id)
    if existing is None:
        return _insert_context(ws, ctx_id, condition, override, description, reason, user)
    merged = json_merge(copy.deepcopy(existing["override"]), copy.deepcopy(override))
    return _set_override(ws, existing, merged, description, reason, user)


def replace_context_override(
    ws: Workspace,
    ctx_id: str,
    override: dict[str, Any],
    description: str | None,
    reason: str,
    user: str,
) -> dict[str, Any]:
    """Replace a context's override (`operations::update`: `PUT /context/overrides`, and the variant
    contexts when an experiment's overrides change). The caller bumps the config version."""
    validate_override(ws, override)
    return _set_override(ws, ws.contexts[ctx_id], copy.deepcopy(override), description, reason, user)


def put_context(
    ws: Workspace,
    condition: dict[str, Any],
    override: dict[str, Any],
    description: str | None,
    reason: str,
    user: str,
    strategy: str = "MERGE",
) -> dict[str, Any]:
    """Upsert (`strategy` "MERGE") or, for an existing context, replace its override ("REPLACE")."""
    ctx_id = content_hash(condition)
    if strategy == "REPLACE" and ctx_id in ws.contexts:
        validate_condition(ws, condition)
        return replace_context_override(ws, ctx_id, override, description, reason, user)
    return upsert_context(ws, condition, override, description, reason, user)


def _insert_context(
    ws: Workspace,
    ctx_id: str,
    condition: dict[str, Any],
    override: dict[str, Any],
    description: str | None,
    reason: str,
    user: str,
) -> dict[str, Any]:
    if description is None:
        raise bad_argument("Description is required when context does not exist")
    ts = now()
    ctx = {
        "id": ctx_id,
        "condition": dict(condition),
        "override": copy.deepcopy(override),
        "override_id": content_hash(override),
        "weight": ws.weight_of(condition),
        "description": description,
        "change_reason": reason,
        "created_at": ts,
        "created_by": user,
        "last_modified_at": ts,
        "last_modified_by": user,
        "seq": next(_seq),
    }
    ws.contexts[ctx_id] = ctx
    ws.record("contexts", "INSERT", user, None, {"id": ctx_id, "value": condition, "override": override})
    return ctx


def _set_override(
    ws: Workspace,
    ctx: dict[str, Any],
    override: dict[str, Any],
    description: str | None,
    reason: str,
    user: str,
) -> dict[str, Any]:
    old_override = copy.deepcopy(ctx["override"])
    ctx["override"] = override
    ctx["override_id"] = content_hash(override)
    if description is not None:
        ctx["description"] = description  # absent: the server keeps the stored description
    ctx["change_reason"] = reason
    ctx["last_modified_at"], ctx["last_modified_by"] = now(), user
    ws.record(
        "contexts",
        "UPDATE",
        user,
        {"id": ctx["id"], "override": old_override},
        {"id": ctx["id"], "override": ctx["override"]},
    )
    return ctx


def delete_context(ws: Workspace, ctx_id: str, user: str) -> None:
    ctx = ws.contexts.pop(ctx_id)
    ws.record(
        "contexts",
        "DELETE",
        user,
        {"id": ctx_id, "value": ctx["condition"], "override": ctx["override"]},
        None,
    )


def _context_body(call: Call, body: Body) -> tuple[dict[str, Any], dict[str, Any]]:
    raw_condition = body.req("context", "object")
    override = body.req("override", "object")
    if not raw_condition:
        raise deserialize_error(f"Context should not be empty at line 1 column {body.col}")
    if not override:
        raise deserialize_error(f"Override should not be empty at line 1 column {body.col}")
    return conditions.parse(raw_condition, call.dialect), override


def ctx_create(call: Call) -> Response:
    body = call.body()
    condition, override = _context_body(call, body)
    description = body.description(required=False)
    reason = body.change_reason()
    ws = call.workspace
    ctx = upsert_context(ws, condition, override, description, reason, call.user)
    vid = ws.bump_version(description or reason, call.user)
    return json_response(ctx_json(call, ws, ctx), 200, version_header(vid))


def ctx_update_override(call: Call) -> Response:
    body = call.body()
    ident = body.req("context", "object")
    override = body.req("override", "object")
    description = body.description(required=False)
    reason = body.change_reason()
    ws = call.workspace
    if isinstance(ident.get("id"), str):
        ctx_id = ident["id"]
    elif isinstance(ident.get("context"), dict):
        ctx_id = content_hash(conditions.parse(ident["context"], call.dialect))
    else:
        raise deserialize_error(
            f"data did not match any variant of untagged enum Identifier at line 1 column {body.col}"
        )
    if ctx_id not in ws.contexts:
        raise no_records()
    ctx = replace_context_override(ws, ctx_id, override, description, reason, call.user)
    vid = ws.bump_version(reason, call.user)
    return json_response(ctx_json(call, ws, ctx), 200, version_header(vid))


def ctx_get(call: Call, ctx_id: str) -> Response:
    ws = call.workspace
    if ctx_id not in ws.contexts:
        raise no_records()
    return json_response(ctx_json(call, ws, ws.contexts[ctx_id]))


def ctx_from_condition(call: Call) -> Response:
    ws = call.workspace
    condition = conditions.parse(call.body().data, call.dialect)
    ctx = ws.contexts.get(content_hash(condition))
    if ctx is None:
        raise no_records()
    return json_response(ctx_json(call, ws, ctx))


def ctx_delete(call: Call, ctx_id: str) -> Response:
    ws = call.workspace
    if ctx_id not in ws.contexts:
        raise no_records()
    delete_context(ws, ctx_id, call.user)
    vid = ws.bump_version(f"Context {ctx_id} deleted", call.user)
    return Response(b"", status=204, headers=version_header(vid))


def ctx_list(call: Call) -> Response:
    ws = call.workspace
    dims = conditions.query_dimensions(call.args, (call.current and conditions.CURRENT) or conditions.CURRENT)
    items = [c for c in ws.contexts.values() if all(c["condition"].get(k) == v for k, v in dims.items())]
    prefixes = [p for v in call.args.getlist("prefix") for p in v.split(",") if p]
    if prefixes:
        items = [c for c in items if any(k.startswith(tuple(prefixes)) for k in c["override"])]
    reverse = call.args.get("sort_by", "desc") != "asc"
    sort_on = call.args.get("sort_on", "weight" if call.current else "created_at")
    keyfn = {"weight": lambda c: c["weight"], "created_at": lambda c: c["created_at"]}.get(
        sort_on, lambda c: c["last_modified_at"]
    )
    items.sort(key=lambda c: (keyfn(c), c["seq"]), reverse=reverse)
    return json_response(paged([ctx_json(call, ws, c) for c in items], call.args))


def ctx_validate(call: Call) -> Response:
    body = call.body()
    condition = conditions.parse(body.req("context", "object"), call.dialect)
    validate_condition(call.workspace, condition)
    return Response(b"", status=200)


def ctx_recompute(call: Call) -> Response:
    ws = call.workspace
    out = []
    for ctx in ws.contexts.values():
        new = ws.weight_of(ctx["condition"])
        out.append(
            {
                "id": ctx["id"],
                "condition": conditions.render(ctx["condition"], call.dialect),
                "old_weight": str(ctx["weight"]),
                "new_weight": str(new),
            }
        )
        ctx["weight"] = new
    vid = ws.bump_version("Recomputed context weights", call.user)
    return json_response(out, 200, version_header(vid))
