"""Dimensions (`/dimension`) and default configs (`/default-config`)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import jsonschema
from werkzeug.wrappers import Response

from ..http import json_response
from .errors import ApiError, bad_argument, not_found
from .state import Workspace, iso, now, paged

if TYPE_CHECKING:
    from .app import Call

CONFLICT = "The data you are trying to create already exists"
PRIMITIVES = {"string", "number", "integer", "boolean", "null"}


def schema_errors(schema: Any) -> list[str]:
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        return [exc.message]
    except Exception as exc:  # pathological schemas (recursion, bad regex, ...)
        return [str(exc)]
    return []


def value_errors(schema: dict[str, Any], value: Any) -> list[str]:
    try:
        validator = jsonschema.Draft7Validator(schema)
        return [e.message for e in validator.iter_errors(value)]
    except Exception as exc:
        return [str(exc)]


def version_header(vid: str | None) -> dict[str, str]:
    return {"x-config-version": vid} if vid else {}


def contexts_using(ws: Workspace, *, dimension: str | None = None, key: str | None = None) -> list[str]:
    ids = []
    for ctx in ws.contexts.values():
        if (dimension and dimension in ctx["condition"]) or (key and key in ctx["override"]):
            ids.append(ctx["id"])
    return ids


# --- dimensions ----------------------------------------------------------------------------------


def dim_json(ws: Workspace, d: dict[str, Any]) -> dict[str, Any]:
    return {
        "dimension": d["dimension"],
        "position": d["position"],
        "schema": d["schema"],
        "value_validation_function_name": d.get("value_validation_function_name"),
        "description": d["description"],
        "change_reason": d["change_reason"],
        "last_modified_at": iso(d["last_modified_at"]),
        "last_modified_by": d["last_modified_by"],
        "created_at": iso(d["created_at"]),
        "created_by": d["created_by"],
        "dependency_graph": {},
        "dimension_type": {"REGULAR": {}},
        "value_compute_function_name": d.get("value_compute_function_name"),
        "mandatory": d["dimension"] in (ws.mandatory_dimensions or []),
    }


def _check_dimension_schema(schema: dict[str, Any]) -> None:
    kind = schema.get("type")
    ok = (isinstance(kind, str) and kind not in ("array", "object")) or (
        isinstance(kind, list) and all(isinstance(k, str) and k not in ("array", "object") for k in kind)
    )
    if not ok:
        shown = "None" if kind is None else f"Some({kind!r})".replace("'", '"')
        raise bad_argument(
            f"Invalid schema: expected a primitive type or an array of primitive types, found: {shown}"
        )
    errors = schema_errors(schema)
    if errors:
        raise bad_argument(f"JSON Schema's schema is broken - this is unexpected {''.join(errors)}")


def _check_position(name: str, position: int, count: int) -> None:
    if name == "variantIds" and position != 0:
        raise bad_argument("variantIds' position should be equal to 0")
    if name != "variantIds" and position == 0:
        raise bad_argument("Oth position is reserved for variantIds")
    if position > count:
        raise bad_argument("position value exceeds total number of dimensions")


def _functions_unsupported(body: Any) -> None:
    for key in ("value_validation_function_name", "value_compute_function_name"):
        name = body.opt(key, "str")
        if name is not None and name != "null":
            raise bad_argument(f"Function {name} doesn't exists")


def _position(body: Any, required: bool) -> int | None:
    position = body.req("position", "int") if required else body.opt("position", "int")
    if position is not None and position < 0:
        raise ApiError(
            400,
            f"Json deserialize error: Invalid position: {position} at line 1 column {body.col}",
            plain=True,
        )
    return position


def dim_create(call: Call) -> Response:
    body = call.body()
    name = body.req("dimension", "str")
    position = _position(body, True)
    schema = body.req("schema", "object")
    description = body.description(required=True)
    reason = body.change_reason()
    dim_type = body.opt("dimension_type", "object", {"REGULAR": {}})
    ws = call.workspace
    assert position is not None
    _check_position(name, position, len(ws.dimensions))
    if list(dim_type) != ["REGULAR"]:
        raise bad_argument("Cohort dimensions are not supported by this emulator")
    _check_dimension_schema(schema)
    _functions_unsupported(body)
    if name in ws.dimensions:
        raise ApiError(409, CONFLICT)
    for d in ws.dimensions.values():
        if d["position"] >= position:
            d["position"] += 1
    ts = now()
    record = {
        "dimension": name,
        "position": position,
        "schema": schema,
        "description": description,
        "change_reason": reason,
        "created_at": ts,
        "created_by": call.user,
        "last_modified_at": ts,
        "last_modified_by": call.user,
    }
    ws.dimensions[name] = record
    out = dim_json(ws, record)
    ws.record("dimensions", "INSERT", call.user, None, out)
    vid = ws.bump_version(description or reason, call.user)
    return json_response(out, 201, version_header(vid))


def _dimension(ws: Workspace, name: str) -> dict[str, Any]:
    d = ws.dimensions.get(name)
    if d is None:
        raise not_found(f"Dimension `{name}` doesn't exists")
    return d


def dim_get(call: Call, name: str) -> Response:
    ws = call.workspace
    if name not in ws.dimensions:
        raise ApiError(404, "No records found. Please refine or correct your search parameters")
    return json_response(dim_json(ws, ws.dimensions[name]))


def dim_list(call: Call) -> Response:
    ws = call.workspace
    items = sorted(ws.dimensions.values(), key=lambda d: d["position"])
    return json_response(paged([dim_json(ws, d) for d in items], call.args))


def dim_update(call: Call, name: str) -> Response:
    body = call.body()
    reason = body.change_reason()
    schema = body.opt("schema", "object")
    position = _position(body, False)
    description = body.description(required=False)
    ws = call.workspace
    d = _dimension(ws, name)
    old = dim_json(ws, d)
    if schema is not None:
        _check_dimension_schema(schema)
        for ctx_id in contexts_using(ws, dimension=name):
            value = ws.contexts[ctx_id]["condition"][name]
            if value_errors(schema, value):
                raise bad_argument(f"failed to validate dimension value {value}: the new schema rejects it")
        d["schema"] = schema
    _functions_unsupported(body)
    if position is not None and position != d["position"]:
        _check_position(name, position, len(ws.dimensions) - 1)
        old_pos = d["position"]
        for other in ws.dimensions.values():
            if other is d:
                continue
            if old_pos < other["position"] <= position:
                other["position"] -= 1
            elif position <= other["position"] < old_pos:
                other["position"] += 1
        d["position"] = position
    if description is not None:
        d["description"] = description
    d["change_reason"] = reason
    d["last_modified_at"], d["last_modified_by"] = now(), call.user
    out = dim_json(ws, d)
    ws.record("dimensions", "UPDATE", call.user, old, out)
    vid = ws.bump_version(reason, call.user)
    return json_response(out, 200, version_header(vid))


def dim_delete(call: Call, name: str) -> Response:
    ws = call.workspace
    d = _dimension(ws, name)
    if name in (ws.mandatory_dimensions or []):
        raise bad_argument(f"Dimension `{name}` is mandatory and cannot be deleted")
    users = contexts_using(ws, dimension=name)
    if users:
        raise bad_argument(f"Given key already in use in contexts: {','.join(users)}")
    old = dim_json(ws, d)
    del ws.dimensions[name]
    for other in ws.dimensions.values():
        if other["position"] > d["position"]:
            other["position"] -= 1
    ws.record("dimensions", "DELETE", call.user, old, None)
    vid = ws.bump_version(f"Dimension {name} deleted", call.user)
    return Response(b"", status=200, headers=version_header(vid))


# --- default configs -----------------------------------------------------------------------------


def dc_json(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": d["key"],
        "value": d["value"],
        "schema": d["schema"],
        "description": d["description"],
        "change_reason": d["change_reason"],
        "value_validation_function_name": None,
        "value_compute_function_name": None,
        "created_at": iso(d["created_at"]),
        "created_by": d["created_by"],
        "last_modified_at": iso(d["last_modified_at"]),
        "last_modified_by": d["last_modified_by"],
    }


def _validate_value(schema: dict[str, Any], value: Any) -> None:
    if schema_errors(schema):
        raise bad_argument("Invalid JSON schema (failed to compile)")
    errors = value_errors(schema, value)
    if errors:
        raise bad_argument(f"Schema validation failed: {errors[0]}")


def dc_create(call: Call) -> Response:
    body = call.body()
    key = body.req("key", "str")
    value = body.req("value")
    schema = body.req("schema", "object")
    description = body.description(required=True)
    reason = body.change_reason()
    ws = call.workspace
    if not schema:
        raise bad_argument("Schema cannot be empty.")
    _validate_value(schema, value)
    _functions_unsupported(body)
    if key in ws.default_configs:
        raise ApiError(409, CONFLICT)
    ts = now()
    record = {
        "key": key,
        "value": copy.deepcopy(value),
        "schema": schema,
        "description": description,
        "change_reason": reason,
        "created_at": ts,
        "created_by": call.user,
        "last_modified_at": ts,
        "last_modified_by": call.user,
    }
    ws.default_configs[key] = record
    out = dc_json(record)
    ws.record("default_configs", "INSERT", call.user, None, out)
    vid = ws.bump_version(description or reason, call.user)
    return json_response(out, 200, version_header(vid))


def dc_get(call: Call, key: str) -> Response:
    d = call.workspace.default_configs.get(key)
    if d is None:
        raise ApiError(404, "No records found. Please refine or correct your search parameters")
    return json_response(dc_json(d))


def dc_list(call: Call) -> Response:
    ws = call.workspace
    items = sorted(ws.default_configs.values(), key=lambda d: d["created_at"], reverse=True)
    name = call.args.get("name")
    if name:
        items = [d for d in items if name in d["key"]]
    return json_response(paged([dc_json(d) for d in items], call.args))


def dc_update(call: Call, key: str) -> Response:
    body = call.body()
    reason = body.change_reason()
    value = body.data.get("value") if body.has("value") else None
    schema = body.opt("schema", "object")
    description = body.description(required=False)
    ws = call.workspace
    d = ws.default_configs.get(key)
    if d is None:
        raise bad_argument(f"No record found for {key}. Use create endpoint instead.")
    new_schema = schema if schema is not None else d["schema"]
    new_value = value if body.has("value") else d["value"]
    if schema is not None and not schema:
        raise bad_argument("Schema cannot be empty.")
    if schema_errors(new_schema):
        raise bad_argument("Invalid JSON schema.")
    errors = value_errors(new_schema, new_value)
    if errors:
        raise bad_argument(f"Schema validation failed: {errors[0]}")
    if schema is not None:
        for ctx_id in contexts_using(ws, key=key):
            if value_errors(new_schema, ws.contexts[ctx_id]["override"][key]):
                raise bad_argument(
                    f"schema validation failed for {key}: an override in context {ctx_id} violates it"
                )
    _functions_unsupported(body)
    old = dc_json(d)
    d["schema"], d["value"] = new_schema, copy.deepcopy(new_value)
    if description is not None:
        d["description"] = description
    d["change_reason"] = reason
    d["last_modified_at"], d["last_modified_by"] = now(), call.user
    out = dc_json(d)
    ws.record("default_configs", "UPDATE", call.user, old, out)
    vid = ws.bump_version(reason, call.user)
    return json_response(out, 200, version_header(vid))


def dc_delete(call: Call, key: str) -> Response:
    ws = call.workspace
    d = ws.default_configs.get(key)
    if d is None:
        raise not_found(f"default config key `{key}` doesn't exists")
    users = contexts_using(ws, key=key)
    if users:
        raise bad_argument(f"Given key already in use in contexts: {','.join(users)}")
    old = dc_json(d)
    del ws.default_configs[key]
    ws.record("default_configs", "DELETE", call.user, old, None)
    vid = ws.bump_version(f"Default config {key} deleted", call.user)
    return Response(b"", status=200, headers=version_header(vid))
