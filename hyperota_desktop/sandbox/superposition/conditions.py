"""Targeting conditions and query dimensions in the two server dialects.

Internally every condition is the flat `{dimension: value}` map of current servers (v0.88+).
The mid-2025 dialect (v0.87) speaks JSON Logic on the wire: `{"and": [{"==": [{"var": "city"}, "x"]}]}`,
with experiment variants as `{"in": ["<variant id>", {"var": "variantIds"}]}`.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.datastructures import MultiDict

from .errors import bad_argument

CURRENT = "current"
LEGACY = "2025"

# Query parameters of /config and /config/resolve that are not dimensions (v0.87 takes all others).
RESERVED_QUERY = {"version", "prefix", "exclude_prefix", "show_reasoning", "context_id", "resolve_remote"}


def _clause(dimension: str, value: Any) -> dict[str, Any]:
    if dimension == "variantIds":
        return {"in": [value, {"var": "variantIds"}]}
    return {"==": [{"var": dimension}, value]}


def render(condition: dict[str, Any], dialect: str) -> dict[str, Any]:
    if dialect == CURRENT:
        return dict(condition)
    if not condition:
        return {}
    return {"and": [_clause(d, v) for d, v in condition.items()]}


def _parse_clause(clause: Any, into: dict[str, Any]) -> None:
    if not isinstance(clause, dict) or len(clause) != 1:
        raise bad_argument("Invalid condition: expected a JSON Logic object with one operator")
    op, args = next(iter(clause.items()))
    if op == "and" and isinstance(args, list):
        for sub in args:
            _parse_clause(sub, into)
        return
    if op == "==" and isinstance(args, list) and len(args) == 2:
        var, value = args
        if isinstance(value, dict) and "var" in value:
            var, value = value, var
        if isinstance(var, dict) and isinstance(var.get("var"), str) and not isinstance(value, dict | list):
            into[var["var"]] = value
            return
    if op == "in" and isinstance(args, list) and len(args) == 2:
        value, var = args
        if isinstance(var, dict) and var.get("var") == "variantIds" and isinstance(value, str):
            into["variantIds"] = value
            return
    raise bad_argument(f"Invalid condition: operator `{op}` is not supported here")


def parse(condition: Any, dialect: str) -> dict[str, Any]:
    """Wire condition → flat map (the body has already been checked to be an object)."""
    if not isinstance(condition, dict):
        raise bad_argument("Invalid condition: expected an object")
    if dialect == CURRENT:
        return dict(condition)
    if not condition:
        return {}
    flat: dict[str, Any] = {}
    _parse_clause(condition, flat)
    return flat


def query_value(raw: str) -> Any:
    """QueryMap: a query value is parsed as JSON when it is JSON, else kept as a string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def query_dimensions(
    args: MultiDict[str, str], dialect: str, extra_reserved: set[str] | None = None
) -> dict[str, Any]:
    reserved = RESERVED_QUERY | (extra_reserved or set())
    dims: dict[str, Any] = {}
    for key, value in args.items(multi=False):
        if dialect == CURRENT:
            if key.startswith("dimension[") and key.endswith("]") and len(key) > len("dimension[]"):
                dims[key[len("dimension[") : -1]] = query_value(value)
        elif key not in reserved:
            dims[key] = query_value(value)
    return dims
