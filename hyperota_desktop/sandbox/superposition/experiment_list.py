"""Experiment listing (`GET /experiments`, `POST /experiments/list`) with the server's filters."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..http import json_response
from . import conditions
from .errors import bad_argument
from .experiments import STATUSES, exp_json
from .state import paged

if TYPE_CHECKING:
    from .app import Call


def _date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise bad_argument(f"Query deserialize error: invalid date {raw}") from None


def list_(call: Call) -> Response:
    ws, args = call.workspace, call.args
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
    return json_response(paged([exp_json(call, e) for e in items], args))
