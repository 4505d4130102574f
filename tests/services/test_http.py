"""The shared REST client against a real loopback server with injected faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from werkzeug.wrappers import Request, Response

from hyperota_desktop.domain.errors import (
    AuthError,
    BackendUnavailable,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from hyperota_desktop.sandbox.http import RunningServer, json_response, serve
from hyperota_desktop.services.http import ApiClient


def echo_app(environ, start_response):
    request = Request(environ)
    auth = request.headers.get("Authorization", "")
    if request.path == "/secure" and auth != "Bearer fresh":
        return json_response({"error": "invalid_token"}, 401)(environ, start_response)
    if request.path.startswith("/status/"):
        code = int(request.path.rsplit("/", 1)[1])
        body = {"errorMessage": f"status {code}"} if code != 400 else "plain text problem"
        if isinstance(body, str):
            return Response(body, status=code, mimetype="text/plain")(environ, start_response)
        return json_response(body, code)(environ, start_response)
    return json_response({"path": request.path, "auth": auth})(environ, start_response)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = serve(echo_app, "echo")
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def clear_faults(server: RunningServer) -> None:
    server.faults.clear()


class Tokens:
    def __init__(self) -> None:
        self.token = "stale"
        self.refreshes = 0

    async def access_token(self) -> str:
        return self.token

    async def refresh_after_unauthorized(self, stale: str) -> str:
        self.refreshes += 1
        self.token = "fresh"
        return self.token


async def test_retries_5xx_then_succeeds(server: RunningServer) -> None:
    server.faults.add("/thing", status=503, times=2)
    async with ApiClient(server.url, service="Echo", backoff=0.01) as client:
        assert (await client.json("GET", "/thing"))["path"] == "/thing"
    assert len(server.faults.hits) >= 2


async def test_gives_up_after_retries_with_a_clear_error(server: RunningServer) -> None:
    server.faults.add("/down", status=502, times=10)
    async with ApiClient(server.url, service="Echo", backoff=0.01, retries=2) as client:
        with pytest.raises(BackendUnavailable, match="Echo answered 502"):
            await client.json("GET", "/down")


async def test_dropped_connection_is_retried_for_idempotent_requests(server: RunningServer) -> None:
    server.faults.add("/flaky", drop=True, times=1)
    async with ApiClient(server.url, service="Echo", backoff=0.01) as client:
        assert (await client.json("GET", "/flaky"))["path"] == "/flaky"


async def test_post_is_not_retried_unless_safe(server: RunningServer) -> None:
    server.faults.add("/create", status=503, times=1)
    async with ApiClient(server.url, service="Echo", backoff=0.01) as client:
        with pytest.raises(BackendUnavailable):
            await client.json("POST", "/create", json_body={})
        server.faults.add("/create", status=503, times=1)
        assert (await client.json("POST", "/create", json_body={}, retry_unsafe=True))["path"] == "/create"


async def test_401_refreshes_the_token_once(server: RunningServer) -> None:
    tokens = Tokens()
    async with ApiClient(server.url, service="Echo", tokens=tokens) as client:
        assert (await client.json("GET", "/secure"))["auth"] == "Bearer fresh"
    assert tokens.refreshes == 1


async def test_401_after_refresh_is_an_auth_error(server: RunningServer) -> None:
    tokens = Tokens()
    tokens.refresh_after_unauthorized = lambda stale: _noop()  # type: ignore[method-assign]
    async with ApiClient(server.url, service="Echo", tokens=tokens) as client:
        with pytest.raises(AuthError, match="refused the sign-in") as info:
            await client.json("GET", "/secure")
    assert info.value.hint == "Sign in again."


async def _noop() -> str:
    return "still-stale"


@pytest.mark.parametrize(
    ("code", "error", "text"),
    [
        (403, PermissionDenied, "status 403"),
        (404, NotFound, "status 404"),
        (409, Conflict, "status 409"),
        (400, ValidationError, "plain text problem"),
    ],
)
async def test_status_codes_map_to_typed_errors_with_the_servers_words(
    server: RunningServer, code: int, error: type[Exception], text: str
) -> None:
    async with ApiClient(server.url, service="Echo") as client:
        with pytest.raises(error, match=text):
            await client.json("GET", f"/status/{code}")


async def test_unreachable_server_is_backend_unavailable() -> None:
    async with ApiClient("http://127.0.0.1:9", service="Nowhere", backoff=0.01, retries=1) as client:
        with pytest.raises(BackendUnavailable, match="Nowhere could not be reached"):
            await client.json("GET", "/")


async def test_every_client_shares_one_verifying_tls_context() -> None:
    """Built once per process (reading the CA bundle costs 20-40 ms a client), and it verifies."""
    import ssl

    from hyperota_desktop.services.tls import tls_context

    context = tls_context()
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs() or context.cert_store_stats()["x509_ca"]  # a CA bundle is loaded
    first, second = ApiClient("https://a.example", service="A"), ApiClient("https://b.example", service="B")
    try:
        for api in (first, second):
            pool = api._client._transport._pool  # type: ignore[attr-defined]
            assert pool._ssl_context is context
    finally:
        await first.aclose()
        await second.aclose()
