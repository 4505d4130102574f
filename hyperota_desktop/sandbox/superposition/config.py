"""Config and resolution (`/config`, `/config/resolve`, `/resolve`), config versions and the audit log."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..http import json_response
from . import conditions
from .cac import version_header
from .contexts import merge_strategy
from .engine import EngineContext
from .errors import ApiError, bad_argument, deserialize_error, no_records
from .state import Workspace, content_hash, iso, now, paged

if TYPE_CHECKING:
    from .app import Call


# --- config and resolution -----------------------------------------------------------------------


def _version_config(call: Call, ws: Workspace) -> tuple[dict[str, Any], str | None]:
    wanted = call.args.get("version") or ws.config_version
    if wanted and wanted != "latest":
        for v in ws.versions:
            if v["id"] == wanted:
                return copy.deepcopy(v["config"]), v["id"]
        raise no_records()
    return ws.snapshot(), ws.latest_version()


def _query(call: Call) -> dict[str, Any]:
    if call.request.method == "GET":
        return conditions.query_dimensions(call.args, call.dialect, {"identifier", "toss"})
    body = call.optional_body()
    if body is None:
        if not call.current and call.request.path.endswith("/resolve"):
            raise bad_argument("When using POST, context needs to be provided in the body.")
        return {}
    context = body.data.get("context") or {}
    if not isinstance(context, dict):
        raise deserialize_error(f"invalid type: expected a map at line 1 column {body.col}")
    return dict(context)


def _prefixed(config: dict[str, Any], call: Call) -> dict[str, Any]:
    prefixes = tuple(p for v in call.args.getlist("prefix") for p in v.split(",") if p)
    excluded = tuple(p for v in call.args.getlist("exclude_prefix") for p in v.split(",") if p)
    if not prefixes and not excluded:
        return config

    def keep(key: str) -> bool:
        return (not prefixes or key.startswith(prefixes)) and not (excluded and key.startswith(excluded))

    config["default_configs"] = {k: v for k, v in config["default_configs"].items() if keep(k)}
    return config


def config_get(call: Call) -> Response:
    ws = call.workspace
    config, vid = _version_config(call, ws)
    config = _prefixed(config, call)
    query = _query(call)
    if query:
        config["contexts"] = [
            c
            for c in config["contexts"]
            if all(k not in query or query[k] == v for k, v in c["condition"].items())
        ]
    used = {c["override_with_keys"][0] for c in config["contexts"]}
    config["overrides"] = {k: v for k, v in config["overrides"].items() if k in used}
    for c in config["contexts"]:
        c["condition"] = conditions.render(c["condition"], call.dialect)
    headers = version_header(vid)
    headers["last-modified"] = _http_date(ws)
    return json_response(config, 200, headers)


def _http_date(ws: Workspace) -> str:
    stamps = [a["timestamp"] for a in ws.audit] or [ws.created_at]
    latest: datetime = max(stamps)
    return latest.strftime("%a, %d %b %Y %H:%M:%S GMT")


def resolve(call: Call, ws: Workspace, query: dict[str, Any], identifier: str | None = None) -> Response:
    config, vid = _version_config(call, ws)
    contexts = ws.engine_contexts() if vid == ws.latest_version() else _contexts_of(config)
    context_id = call.args.get("context_id")
    if context_id:
        index = next((i for i, c in enumerate(contexts) if c.id == context_id), None)
        if index is None:
            raise bad_argument(f"context with id {context_id} not found in CAC")
        contexts = contexts[:index]
    if identifier is not None:
        from .buckets import applicable_variant_ids

        query["variantIds"] = applicable_variant_ids(call.emu, ws, query, identifier)
    result = call.emu.engine.eval_config(
        config["default_configs"],
        contexts,
        config["overrides"],
        config["dimensions"],
        query,
        merge_strategy(call),
    )
    result = _prefixed({"default_configs": result}, call)["default_configs"]
    headers = version_header(vid)
    headers["last-modified"] = _http_date(ws)
    return json_response(result, 200, headers)


def _contexts_of(config: dict[str, Any]) -> list[Any]:
    return [
        EngineContext(
            id=c["id"],
            condition=c["condition"],
            override_key=c["override_with_keys"][0],
            priority=c["priority"],
            weight=c["weight"],
        )
        for c in config["contexts"]
    ]


def config_resolve(call: Call) -> Response:
    # No experiment bucketing here: `identifier` is not a parameter of /config/resolve on the server.
    return resolve(call, call.workspace, _query(call))


def resolve_with_identifier(call: Call) -> Response:
    identifier = call.args.get("identifier")
    if call.args.get("version"):
        identifier = None  # the server only buckets against the live experiments
    return resolve(call, call.workspace, _query(call), identifier)


def versions_list(call: Call) -> Response:
    ws = call.workspace
    items = [
        {
            "id": v["id"],
            "created_at": iso(v["created_at"]),
            "description": v["description"],
            "tags": v["tags"],
        }
        for v in reversed(ws.versions)
    ]
    return json_response(paged(items, call.args))


def version_get(call: Call, vid: str) -> Response:
    if not vid.lstrip("-").isdigit():
        raise bad_argument(f'can not parse "{vid}" to a i64')
    for v in call.workspace.versions:
        if v["id"] == vid:
            return json_response(
                {
                    "id": v["id"],
                    "config": v["config"],
                    "config_hash": content_hash(v["config"]),
                    "created_at": iso(v["created_at"]),
                    "description": v["description"],
                    "tags": v["tags"],
                }
            )
    raise no_records()


def _date_arg(call: Call, name: str) -> datetime | None:
    raw = call.args.get(name)
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"Query deserialize error: invalid {name}: {raw}") from None


def audit_list(call: Call) -> Response:
    ws = call.workspace
    tables = {t for v in call.args.getlist("table") for t in v.split(",") if t}
    actions = {a for v in call.args.getlist("action") for a in v.split(",") if a}
    bad = actions - {"INSERT", "UPDATE", "DELETE"}
    if bad:
        raise bad_argument(f"Query deserialize error: unknown variant `{sorted(bad)[0]}`")
    username = call.args.get("username")
    # context_aware_config/src/api/audit_log/handlers.rs: without dates the window is the last 7 days
    # (v0.117.1), the last 24 hours (v0.87.0, v0.74.0).
    window = timedelta(days=7) if call.current else timedelta(hours=24)
    start = _date_arg(call, "from_date") or now() - window
    end = _date_arg(call, "to_date") or now()
    items = [
        a
        for a in ws.audit
        if (not tables or a["table_name"] in tables)
        and (not actions or a["action"] in actions)
        and (not username or a["user_name"] == username)
        and (start is None or a["timestamp"] >= start)
        and (end is None or a["timestamp"] <= end)
    ]
    if call.args.get("sort_by", "desc") != "asc":
        items = list(reversed(items))
    return json_response(paged([{**a, "timestamp": iso(a["timestamp"])} for a in items], call.args))
