"""Errors of the emulated server and serde/actix-like request body decoding.

The real server (actix-web + serde) answers a body it cannot deserialize (malformed JSON, a missing
required field, a wrong type, a `change_reason` over 255 bytes, ...) with a 400 whose body is PLAIN
TEXT (`Json deserialize error: ...`), and every handler error with JSON `{"message": ...}`.
"""

from __future__ import annotations

import json
from typing import Any

CHANGE_REASON_LIMIT = 255
DESCRIPTION_LIMIT = 1024


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, plain: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.plain = plain


def bad_argument(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


NO_RECORDS = "No records found. Please refine or correct your search parameters"
SOMETHING_WENT_WRONG = "Something went wrong"


class ServerCrash(Exception):
    """The real server's process would die on this request (the client sees the connection drop)."""


def db_error() -> ApiError:
    """A database error the server hides (result.rs: `AppError::DbError(_)` other than NotFound and
    constraint violations → 500 "Something went wrong", the same text on v0.74.0, v0.87.0, v0.117.1)."""
    return ApiError(500, SOMETHING_WENT_WRONG)


def no_records() -> ApiError:
    """What diesel's NotFound becomes on the real server."""
    return ApiError(404, NO_RECORDS)


def deserialize_error(detail: str) -> ApiError:
    return ApiError(400, f"Json deserialize error: {detail}", plain=True)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f'string "{value}"'
    if isinstance(value, list):
        return "sequence"
    return "map"


def parse_json_body(raw: bytes, content_type: str | None) -> Any:
    """actix `web::Json`: content type must be JSON, then serde_json must parse it."""
    mimetype = (content_type or "").split(";")[0].strip().lower()
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ApiError(400, "Content type error", plain=True)
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        raise deserialize_error("EOF while parsing a value at line 1 column 0")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise deserialize_error(f"{exc.msg.lower()} at line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise deserialize_error(str(exc)) from None


class Body:
    """Typed access to a request object with serde's error texts."""

    _EXPECT = {
        "str": ("a string", lambda v: isinstance(v, str)),
        "bool": ("a boolean", lambda v: isinstance(v, bool)),
        "int": ("i32", lambda v: isinstance(v, int) and not isinstance(v, bool)),
        "number": ("f64", lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
        "object": ("a map", lambda v: isinstance(v, dict)),
        "array": ("a sequence", lambda v: isinstance(v, list)),
        "any": ("any value", lambda v: True),
    }

    def __init__(self, data: Any, raw_len: int, struct: str = "struct") -> None:
        if not isinstance(data, dict):
            raise deserialize_error(f"invalid type: {_kind(data)}, expected {struct} at line 1 column 1")
        self.data = data
        self.col = max(raw_len, 1)

    def _check(self, name: str, value: Any, kind: str) -> Any:
        expected, ok = self._EXPECT[kind]
        if not ok(value):
            raise deserialize_error(
                f"invalid type: {_kind(value)}, expected {expected} at line 1 column {self.col}"
            )
        return value

    def has(self, name: str) -> bool:
        return name in self.data

    def req(self, name: str, kind: str = "any") -> Any:
        if name not in self.data:
            raise deserialize_error(f"missing field `{name}` at line 1 column {self.col}")
        return self._check(name, self.data[name], kind)

    def opt(self, name: str, kind: str = "any", default: Any = None) -> Any:
        value = self.data.get(name)
        if value is None:
            return default
        return self._check(name, value, kind)

    def enum(
        self, name: str, variants: tuple[str, ...], *, required: bool = False, default: Any = None
    ) -> Any:
        value = self.req(name) if required else self.data.get(name)
        if value is None and not required:
            return default
        if not isinstance(value, str) or value not in variants:
            shown = value if isinstance(value, str) else _kind(value)
            allowed = ", ".join(f"`{v}`" for v in variants)
            raise deserialize_error(
                f"unknown variant `{shown}`, expected one of {allowed} at line 1 column {self.col}"
            )
        return value

    def change_reason(self, *, required: bool = True) -> str:
        if not required and "change_reason" not in self.data:
            return "Change Reason not provided"
        value = self.req("change_reason", "str")
        if not value:
            raise deserialize_error(f"Empty reason not allowed at line 1 column {self.col}")
        size = len(value.encode())
        if size > CHANGE_REASON_LIMIT:
            raise deserialize_error(
                f"Reason longer than {CHANGE_REASON_LIMIT} characters not allowed, "
                f"current length: {size} at line 1 column {self.col}"
            )
        return value

    def description(self, *, required: bool, default: str | None = None) -> str | None:
        if "description" not in self.data or self.data["description"] is None:
            if required:
                raise deserialize_error(f"missing field `description` at line 1 column {self.col}")
            return default
        value = self._check("description", self.data["description"], "str")
        if not value:
            raise deserialize_error(f"Empty description not allowed at line 1 column {self.col}")
        size = len(value.encode())
        if size > DESCRIPTION_LIMIT:
            raise deserialize_error(
                f"Description longer than {DESCRIPTION_LIMIT} characters not allowed, "
                f"current length: {size} at line 1 column {self.col}"
            )
        return value
