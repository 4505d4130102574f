"""Config and resolution (`/config`, `/config/resolve`, `/resolve`), config versions and the audit log."""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..http import json_response
from . import conditions, modified
from .cac import version_header
from .contexts import merge_strategy
from .engine import EngineContext
from .errors import ApiError, bad_argument, db_error, deserialize_error, no_records
from .state import Workspace, content_hash, iso, now, paged

if TYPE_CHECKING:
    from .app import Call


# --- config and resolution -----------------------------------------------------------------------

_I64 = re.compile(r"[+-]?[0-9]+")


def _wanted_version(call: Call, ws: Workspace) -> str | None:
    """Which config version a read asks for (None = the newest).

    `get_config_version` of each build: v0.74.0 (`validate_version_in_params`) takes only an integer, so
    `latest` is 400; v0.87.0 reads `latest` as the newest version and otherwise the workspace's pinned
    version; v0.117.1 (config/helpers.rs) reads `latest` like no version at all: the pinned one when set.
    A version that is not an integer is 400 "version is not of type integer" on every build."""
    build = call.build
    raw = call.args.get("version")
    if raw is None:
        return ws.config_version if build.workspace_pinning else None
    if raw == "latest" and build.latest_version != "invalid":
        return ws.config_version if build.latest_version == "pinned" else None
    # v0.117 `str::parse::<i64>`; v0.74/v0.87 QueryMap values are JSON, and `as_i64` needs an integer.
    if build.current:
        number: Any = int(raw) if _I64.fullmatch(raw) else None
    else:
        number = conditions.query_value(raw)
    if not isinstance(number, int) or isinstance(number, bool) or not -(2**63) <= number < 2**63:
        raise bad_argument("version is not of type integer")
    return str(number)


def _version_config(call: Call, ws: Workspace) -> tuple[dict[str, Any], str | None]:
    wanted = _wanted_version(call, ws)
    if wanted is not None:
        for v in ws.versions:
            if v["id"] == wanted:
                return copy.deepcopy(v["config"]), v["id"]
        if call.build.unknown_version_status == 500:
            raise db_error()  # v0.117.1: read_through_cache's error becomes `unexpected_error!`
        raise no_records()
    return ws.snapshot(), ws.latest_version()


def _query(call: Call) -> dict[str, Any]:
    if call.request.method == "GET":
        return conditions.query_dimensions(call.args, call.dialect, {"identifier", "toss"})
    body = call.optional_body()
    if body is None:
        on_resolve = call.request.path.endswith("/resolve")
        if not call.current and (on_resolve or call.build.post_config_needs_body):
            raise bad_argument("When using POST, context needs to be provided in the body.")
        return {}
    context = body.data.get("context") or {}
    if not isinstance(context, dict):
        raise deserialize_error(f"invalid type: expected a map at line 1 column {body.col}")
    return dict(context)


def _prefixes(call: Call, name: str) -> tuple[str, ...]:
    return tuple(p for v in call.args.getlist(name) for p in v.split(",") if p)


def _prefixed(config: dict[str, Any], call: Call) -> dict[str, Any]:
    """`Config::filter_by_prefix` (superposition_types/src/config.rs; v0.74.0 and v0.117.1 alike): keep
    the default configs whose key matches, strip every other key from each override, drop an override
    left empty (`Cac::<Overrides>::try_from` refuses it) and every context pointing at a dropped one.
    `exclude_prefix` is a filter on v0.117 only."""
    prefixes = _prefixes(call, "prefix")
    excluded = _prefixes(call, "exclude_prefix") if call.build.exclude_prefix else ()
    if not prefixes and not excluded:
        return config

    def keep(key: str) -> bool:
        return (not prefixes or key.startswith(prefixes)) and not (excluded and key.startswith(excluded))

    config["default_configs"] = {k: v for k, v in config["default_configs"].items() if keep(k)}
    overrides = {}
    for override_id, override in (config.get("overrides") or {}).items():
        kept = {k: v for k, v in override.items() if keep(k)}
        if kept:
            overrides[override_id] = kept
    if "overrides" in config:
        config["overrides"] = overrides
    if "contexts" in config:
        config["contexts"] = [c for c in config["contexts"] if c["override_with_keys"][0] in overrides]
    return config


def _modified_headers(call: Call, ws: Workspace, vid: str | None) -> dict[str, str]:
    headers = version_header(vid)
    latest = modified.last_change(ws, call.build)
    if latest is not None:
        headers["last-modified"] = modified.header_value(latest, smithy=modified.is_smithy(call.request))
    return headers


def _not_modified(call: Call, ws: Workspace) -> bool:
    return modified.not_modified(modified.last_change(ws, call.build), call.request, call.build)


def config_get(call: Call) -> Response:
    ws = call.workspace
    if _not_modified(call, ws):
        return Response(status=304)
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
    if not call.build.config_dimensions:
        config.pop("dimensions", None)  # v0.74/v0.87 `Config` has no dimensions
    return json_response(config, 200, _modified_headers(call, ws, vid))


def resolve(
    call: Call,
    ws: Workspace,
    query: dict[str, Any],
    identifier: str | None = None,
    *,
    conditional: bool = True,
) -> Response:
    if conditional and _not_modified(call, ws):
        return Response(status=304)
    config, vid = _version_config(call, ws)
    config = _prefixed(config, call)
    contexts = _contexts_of(config)
    context_id = call.args.get("context_id")
    if context_id:
        index = next((i for i, c in enumerate(contexts) if c.id == context_id), None)
        if index is None:
            raise bad_argument(f"context with id {context_id} not found in CAC")
        contexts = contexts[:index]
    if identifier is not None:
        from .buckets import applicable_variant_ids

        query["variantIds"] = applicable_variant_ids(ws, query, identifier)
    result = call.emu.engine.eval_config(
        config["default_configs"],
        contexts,
        config["overrides"],
        config["dimensions"],
        query,
        merge_strategy(call),
    )
    return json_response(result, 200, _modified_headers(call, ws, vid))


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
    asked = call.args.get("identifier")
    # resolve/handlers.rs: 304 only without an identifier; bucketing only without a version (the server
    # buckets against the live experiments).
    identifier = None if call.args.get("version") else asked
    return resolve(call, call.workspace, _query(call), identifier, conditional=asked is None)


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
    window = timedelta(hours=call.build.audit_default_hours)  # without dates (builds.py)
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
