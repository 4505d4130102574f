"""HTTP helpers shared by the Keycloak emulator's endpoints: errors, bodies, query parameters."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from ..http import json_response

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class HttpError(Exception):
    """Raised by handlers; turned into the JSON error body Keycloak sends for that kind of endpoint."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(body)
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> Response:
        return json_response(self.body, self.status, self.headers)


def oauth_error(error: str, description: str, status: int = 400, **headers: str) -> HttpError:
    """OAuth/OIDC endpoint error: `{"error": ..., "error_description": ...}` (RFC 6749 section 5.2)."""
    return HttpError(status, {"error": error, "error_description": description}, {**NO_STORE, **headers})


def admin_error(status: int, message: str) -> HttpError:
    """Admin REST error from a thrown JAX-RS exception: Keycloak puts the message in `error`."""
    return HttpError(status, {"error": message})


def error_message(status: int, message: str) -> HttpError:
    """Admin REST `ErrorResponse.error/exists`: Keycloak puts the message in `errorMessage`."""
    return HttpError(status, {"errorMessage": message})


STATUS_TEXT = {
    401: "HTTP 401 Unauthorized",
    403: "HTTP 403 Forbidden",
    404: "HTTP 404 Not Found",
    405: "HTTP 405 Method Not Allowed",
    415: "HTTP 415 Unsupported Media Type",
}


def status_error(status: int) -> HttpError:
    return admin_error(status, STATUS_TEXT[status])


def form(request: Request) -> dict[str, str]:
    """Form parameters of a POST; empty when the body is not form-encoded (Keycloak reads only forms).

    Repeated parameters are rejected like Keycloak does (`duplicated parameter`).
    """
    if request.mimetype != "application/x-www-form-urlencoded":
        return {}
    try:
        parsed = request.form
    except Exception as exc:  # a malformed body must never crash the emulator
        raise oauth_error("invalid_request", "Malformed form body") from exc
    result: dict[str, str] = {}
    for key in parsed:
        values = parsed.getlist(key)
        if len(values) > 1:
            raise oauth_error("invalid_request", "duplicated parameter")
        result[key] = values[0]
    return result


def json_body(request: Request) -> dict[str, Any]:
    """A JSON object body for the admin API; 415 for another content type, 400 if unparseable."""
    if request.mimetype != "application/json":
        raise status_error(415)
    try:
        data = json.loads(request.get_data(as_text=True) or "null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_json() from exc
    if not isinstance(data, dict):
        raise bad_json()
    return data


def bad_json() -> HttpError:
    return HttpError(400, {"error": "unknown_error", "error_description": "Cannot parse the JSON"})


def query_int(request: Request, name: str) -> int | None:
    """An Integer query parameter; JAX-RS answers 404 when it does not convert."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise status_error(404) from exc


def query_bool(request: Request, name: str, default: bool) -> bool:
    """A Boolean query parameter the JAX-RS way: only a case-insensitive `true` is true."""
    raw = request.args.get(name)
    if raw is None:
        return default
    return raw.strip().lower() == "true"


def page(items: list[Any], first: int | None, maximum: int | None) -> list[Any]:
    """Keycloak's `paginatedStream`: skip `first` when > 0, limit to `max` when >= 0."""
    if first is not None and first > 0:
        items = items[first:]
    if maximum is not None and maximum >= 0:
        items = items[:maximum]
    return items


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
