"""One HTTP client for every REST backend: bearer tokens, retries with backoff, typed errors.

- 401 → ask the token source for a fresh token once (single-flight lives in the token source), retry.
- 429, 5xx, timeouts, dropped connections → retry with exponential backoff (idempotent requests only,
  unless the caller says a POST/PATCH is safe to repeat), honouring `Retry-After`. Any request is
  retried when the server cannot have acted on it: 429 (refused before any work) and a connection
  that could not be opened (nothing was sent). A POST whose answer is lost (5xx, timeout or a
  connection dropped after sending) is never repeated: it may have been done.
- Everything else maps to the typed errors of `domain.errors`, carrying the server's own message.
TLS verification is always on (httpx's own default context, built once per process by
`services.tls`, and shared by every client); there is no switch to turn it off.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Mapping
from typing import Any, Protocol

import httpx

from hyperota_desktop.domain.errors import (
    AuthError,
    BackendUnavailable,
    Conflict,
    HyperOtaError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from hyperota_desktop.domain.jsontext import parse_json
from hyperota_desktop.services.tls import tls_context

log = logging.getLogger("hyperota.services.http")
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
NOT_DONE_STATUSES = frozenset({429})  # refused before the server did anything: any method may retry
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)  # never reached the server


class TokenSource(Protocol):
    async def access_token(self) -> str:
        """A currently valid access token (refreshed ahead of expiry)."""
        ...

    async def refresh_after_unauthorized(self, stale: str) -> str:
        """A new token after the server refused `stale`; raises AuthError if sign-in is needed."""
        ...


def server_message(response: httpx.Response) -> str:
    """The server's own words from any of the error shapes our backends use."""
    try:
        body = parse_json(response.content, "the answer")
        if isinstance(body, dict):
            for key in ("message", "errorMessage", "error_description", "error"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    return value
        return json.dumps(body)[:500]
    except (ValidationError, RecursionError):
        return response.text.strip()[:500]


def error_for(service: str, response: httpx.Response) -> HyperOtaError:
    status, message = response.status_code, server_message(response)
    what = f"{service} answered {status}"
    detail = f"{what}: {message}" if message else what
    if status == 401:
        return AuthError(
            f"{service} refused the sign-in ({message or 'unauthorized'}).", hint="Sign in again."
        )
    if status == 403:
        return PermissionDenied(f"{service} denied the request: {message or 'forbidden'}.")
    if status == 404:
        return NotFound(detail)
    if status in (409, 412):
        return Conflict(detail)
    if 400 <= status < 500:
        return ValidationError(detail)
    return BackendUnavailable(detail, hint="Try again later or check the service status.")


class ApiClient:
    def __init__(
        self,
        base_url: str,
        *,
        service: str,
        tokens: TokenSource | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.service = service
        self._tokens = tokens
        self._retries = retries
        self._backoff = backoff
        self._options: dict[str, Any] = {
            "base_url": base_url.rstrip("/"), "headers": dict(headers or {}), "timeout": timeout,
            "transport": transport, "follow_redirects": False,
        }  # fmt: skip
        self._http: httpx.AsyncClient | None = None  # made on the first request (its TLS setup reads files)

    @property
    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(**self._options, verify=tls_context())
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None and (after := response.headers.get("Retry-After", "")).isdigit():
            return min(float(after), 30.0)
        return float(min(self._backoff * (2**attempt), 5.0) * (0.5 + random.random() / 2))

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json_body: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 204),
        retry_unsafe: bool = False,
    ) -> httpx.Response:
        """Send a request; return the response if its status is in `ok`, else raise a typed error."""
        method = method.upper()
        may_retry = method in IDEMPOTENT or retry_unsafe
        refreshed = False
        attempt = 0
        while True:
            request_headers = dict(headers or {})
            token = await self._tokens.access_token() if self._tokens else None
            if token:
                request_headers["Authorization"] = f"Bearer {token}"
            try:
                response = await self._client.request(
                    method, path, params=params, json=json_body, content=content, headers=request_headers
                )
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                if (may_retry or isinstance(exc, NOT_SENT)) and attempt < self._retries:
                    log.info("%s %s %s failed (%s); retrying", self.service, method, path, type(exc).__name__)
                    await asyncio.sleep(self._delay(attempt, None))
                    attempt += 1
                    continue
                raise BackendUnavailable(
                    f"{self.service} could not be reached ({type(exc).__name__}).",
                    hint="Check the network and the URL in the profile.",
                ) from exc
            if response.status_code in ok:
                return response
            if response.status_code == 401 and token and self._tokens and not refreshed:
                refreshed = True
                await self._tokens.refresh_after_unauthorized(token)
                continue
            retry = may_retry or response.status_code in NOT_DONE_STATUSES
            if response.status_code in RETRY_STATUSES and retry and attempt < self._retries:
                log.info("%s %s %s answered %s; retrying", self.service, method, path, response.status_code)
                await asyncio.sleep(self._delay(attempt, response))
                attempt += 1
                continue
            raise error_for(self.service, response)

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.request(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return parse_json(response.content, "the answer")
        except ValidationError as exc:
            raise BackendUnavailable(f"{self.service} sent a response that is not JSON.") from exc
