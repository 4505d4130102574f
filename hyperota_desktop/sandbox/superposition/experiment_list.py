"""Experiment listing (`GET /experiments`, `POST /experiments/list`) with the server's filters, and the
`Last-Modified` / `If-Modified-Since` handshake that makes polling cheap.

v0.117.1 (`experiments/handlers.rs` `list_handler`, `service_utils/src/helpers.rs` `is_not_modified`,
`service/types.rs` `AppHeader::add_last_modified`): the newest event-log timestamp of the table is sent as
`Last-Modified` (RFC 2822 for GET, RFC 3339 for the smithy POST form); a request whose
`If-Modified-Since` (parsed the same way) is not older than that timestamp, both *truncated to the
second*, gets 304 with no body (modified.py, shared with the config endpoints). v0.87.0 and v0.74.0
(`list_experiments`): no `Last-Modified` at all; 304 when the newest timestamp is strictly older than
`If-Modified-Since` (RFC 2822). Which one a build does: `builds.py` `list_if_modified_since`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..http import json_response
from . import conditions, modified
from .errors import bad_argument
from .experiments import STATUSES, exp_json
from .state import paginate

if TYPE_CHECKING:
    from .app import Call


def _date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise bad_argument(f"Query deserialize error: invalid date {raw}") from None


def not_modified(call: Call, table: str) -> tuple[Response | None, dict[str, str]]:
    """(a 304 to send, or None; the headers of a full answer) for a listing of `table`."""
    stamps = [a["timestamp"] for a in call.workspace.audit if a["table_name"] == table]
    latest = max(stamps) if stamps else None
    if call.build.list_if_modified_since == "shared":  # v0.117: as the config endpoints (modified.py)
        if modified.not_modified(latest, call.request, call.build):
            return Response(status=304), {}
        if latest is None:
            return None, {}
        return None, {"Last-Modified": modified.header_value(latest, smithy=modified.is_smithy(call.request))}
    asked = modified.since(call.request, rfc3339_form=False)  # v0.74/v0.87 `list_experiments`
    fresh = latest is not None and asked is not None and latest < asked
    return (Response(status=304) if fresh else None), {}


def list_(call: Call) -> Response:
    ws, args = call.workspace, call.args
    early, headers = not_modified(call, "experiments")
    if early is not None:
        return early
    statuses = {s for v in args.getlist("status") for s in v.split(",") if s}
    unknown = statuses - set(STATUSES)
    if unknown:
        raise bad_argument(f"Query deserialize error: unknown variant `{sorted(unknown)[0]}`")
    ids = {i for v in args.getlist("experiment_ids") for i in v.split(",") if i}
    creators = {c for v in args.getlist("created_by") for c in v.split(",") if c}
    name = args.get("experiment_name")
    start, end = _date(args.get("from_date")), _date(args.get("to_date"))
    wanted: dict[str, Any] = conditions.query_dimensions(args, conditions.CURRENT)
    if call.request.method == "POST":
        body = call.optional_body()
        if body is not None and isinstance(body.data.get("context"), dict):
            wanted.update(body.data["context"])
    items = [
        e
        for e in ws.experiments.values()
        if (not statuses or e["status"] in statuses)
        and (not ids or e["id"] in ids)
        and (not creators or e["created_by"] in creators)
        and (not name or name in e["name"])
        and (start is None or e["last_modified"] >= start)
        and (end is None or e["last_modified"] <= end)
        and all(e["context"].get(k) == v for k, v in wanted.items())
    ]
    sort_on = args.get("sort_on", "last_modified_at")
    key = "created_at" if sort_on == "created_at" else "last_modified"
    items.sort(key=lambda e: (e[key], int(e["id"])), reverse=args.get("sort_by", "desc") != "asc")
    if call.build.experiment_list_prefix:  # `prefix` / `exclude_prefix` trim the override keys
        items = [
            t for e in items if (t := _trimmed(e, _listed(args, "prefix"), _listed(args, "exclude_prefix")))
        ]
    data, pages, total = paginate(items, args)  # render only the page asked for
    body = {"total_pages": pages, "total_items": total, "data": [exp_json(call, e) for e in data]}
    return json_response(body, 200, headers)


def _listed(args: Any, name: str) -> tuple[str, ...]:
    return tuple(p for v in args.getlist(name) for p in v.split(",") if p)


def _trimmed(
    e: dict[str, Any], prefixes: tuple[str, ...], excluded: tuple[str, ...], *, check_only: bool = False
) -> dict[str, Any] | None:
    """`Variant::filter_keys_by_prefix` (v0.117.1 experiments/handlers.rs `list_experiments_db`): keys
    kept by the prefixes and not excluded; a variant left empty goes, and an experiment with none left."""

    def kept_key(k: str) -> bool:
        return (not prefixes or k.startswith(prefixes)) and not (excluded and k.startswith(excluded))

    if check_only:
        return e if any(kept_key(k) for v in e["variants"] for k in v["overrides"]) else None
    variants = []
    for v in e["variants"]:
        kept = {k: val for k, val in v["overrides"].items() if kept_key(k)}
        if kept:
            variants.append({**v, "overrides": kept})
    return {**e, "variants": variants} if variants else None
