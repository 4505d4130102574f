"""Keycloak emulator, OIDC side: discovery, device flow, refresh rotation, revocation, JWKS, logout.

Driven over real HTTP on 127.0.0.1 with a standard OAuth client (authlib) where one applies.
"""

from __future__ import annotations

import base64
import json
import time
import warnings
from collections.abc import Iterator

import httpx
import pytest
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.integrations.base_client.errors import OAuthError

with warnings.catch_warnings():
    # authlib 1.9 warns at import that it would prefer the `httpx2` package; we use httpx on purpose.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet

from hyperota_desktop.sandbox.http import RunningServer, serve
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CLIENT = "hyperota-desktop"


class FakeClock:
    """Time that only moves when the test says so (no sleeping, no timing assertions)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def kc() -> KeycloakEmulator:
    return KeycloakEmulator(device_code_lifespan=60, poll_interval=5)


@pytest.fixture(scope="module")
def server(kc: KeycloakEmulator) -> Iterator[RunningServer]:
    running = serve(kc.wsgi, "keycloak-test")
    yield running
    running.stop()


@pytest.fixture
def clock(kc: KeycloakEmulator) -> Iterator[FakeClock]:
    fake = FakeClock()
    kc.clock = fake
    yield fake
    kc.clock = time.time


@pytest.fixture(scope="module")
def config(server: RunningServer) -> dict:
    issuer = f"{server.url}/realms/hyperota"
    return httpx.get(f"{issuer}/.well-known/openid-configuration").json()


@pytest.fixture
def oauth() -> Iterator[OAuth2Client]:
    with OAuth2Client(client_id=CLIENT, token_endpoint_auth_method="none") as client:
        yield client


def start(config: dict, scope: str = "openid profile email offline_access", client: str = CLIENT) -> dict:
    resp = httpx.post(config["device_authorization_endpoint"], data={"client_id": client, "scope": scope})
    assert resp.status_code == 200, resp.text
    return resp.json()


def poll(oauth: OAuth2Client, config: dict, device_code: str) -> dict:
    return dict(oauth.fetch_token(config["token_endpoint"], grant_type=DEVICE_GRANT, device_code=device_code))


def poll_error(oauth: OAuth2Client, config: dict, device_code: str) -> str:
    with pytest.raises(OAuthError) as err:
        poll(oauth, config, device_code)
    return str(err.value.error)


def login(kc: KeycloakEmulator, oauth: OAuth2Client, config: dict, user: str = "alice", **kw: str) -> dict:
    grant = start(config, **kw)
    kc.approve(grant["user_code"], user)
    return poll(oauth, config, grant["device_code"])


# discovery -----------------------------------------------------------------------------------------------
def test_discovery_document(server: RunningServer, config: dict) -> None:
    issuer = f"{server.url}/realms/hyperota"
    oidc = f"{issuer}/protocol/openid-connect"
    assert config["issuer"] == issuer
    assert config["device_authorization_endpoint"] == f"{oidc}/auth/device"
    assert config["token_endpoint"] == f"{oidc}/token"
    assert config["jwks_uri"] == f"{oidc}/certs"
    assert config["userinfo_endpoint"] == f"{oidc}/userinfo"
    assert config["revocation_endpoint"] == f"{oidc}/revoke"
    assert config["end_session_endpoint"] == f"{oidc}/logout"
    assert {DEVICE_GRANT, "refresh_token"} <= set(config["grant_types_supported"])


def test_issuer_follows_the_request_host(kc: KeycloakEmulator, server: RunningServer) -> None:
    url = f"http://localhost:{server.port}/realms/hyperota/.well-known/openid-configuration"
    assert httpx.get(url).json()["issuer"] == f"http://localhost:{server.port}/realms/hyperota"
    assert kc.issuer(server.url) == f"{server.url}/realms/hyperota"


def test_unknown_realm_is_404(server: RunningServer) -> None:
    resp = httpx.get(f"{server.url}/realms/nope/.well-known/openid-configuration")
    assert resp.status_code == 404
    assert resp.json() == {"error": "Realm does not exist"}


# device authorization ------------------------------------------------------------------------------------
def test_device_authorization_response(config: dict, server: RunningServer) -> None:
    grant = start(config)
    assert set(grant) >= {"device_code", "user_code", "verification_uri", "expires_in", "interval"}
    code = grant["user_code"]
    assert len(code) == 9 and code[4] == "-" and code.replace("-", "").isalpha() and code.isupper()
    assert grant["verification_uri"] == f"{server.url}/realms/hyperota/device"
    assert grant["verification_uri_complete"] == f"{grant['verification_uri']}?user_code={code}"
    assert grant["expires_in"] == 60
    assert grant["interval"] == 5


def test_device_authorization_client_errors(config: dict) -> None:
    url = config["device_authorization_endpoint"]
    unknown = httpx.post(url, data={"client_id": "who"})
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
    missing = httpx.post(url, data={})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_client"
    disabled = httpx.post(url, data={"client_id": "no-device-client"})
    assert disabled.status_code == 400
    assert disabled.json()["error"] == "unauthorized_client"
    assert "error_description" in disabled.json()
    wrong_method = httpx.get(url)
    assert wrong_method.status_code == 405
    bad_scope = httpx.post(url, data={"client_id": CLIENT, "scope": "openid admin:everything"})
    assert bad_scope.status_code == 400 and bad_scope.json()["error"] == "invalid_scope"


# token endpoint: every device-flow path ---------------------------------------------------------------------
def test_slow_down_keeps_a_fixed_window(
    kc: KeycloakEmulator, config: dict, oauth: OAuth2Client, clock: FakeClock
) -> None:
    """Keycloak's isPollingAllowed is a putIfAbsent with a TTL of the interval: an early poll is refused
    without moving the window, and the interval never grows (the client adds 5 s on its own side)."""
    grant = start(config)
    assert poll_error(oauth, config, grant["device_code"]) == "authorization_pending"
    assert poll_error(oauth, config, grant["device_code"]) == "slow_down"  # polled at once: too fast
    clock.advance(3)
    assert poll_error(oauth, config, grant["device_code"]) == "slow_down"  # still in the same window
    clock.advance(2.5)  # 5.5 s after the accepted poll: the 5 s window is over, not 10 s
    assert poll_error(oauth, config, grant["device_code"]) == "authorization_pending"
    clock.advance(5)
    kc.approve(grant["user_code"], "bob")
    token = poll(oauth, config, grant["device_code"])
    assert token["token_type"] == "Bearer"


def test_expired_device_code(config: dict, oauth: OAuth2Client, clock: FakeClock) -> None:
    grant = start(config)
    clock.advance(61)
    assert poll_error(oauth, config, grant["device_code"]) == "expired_token"
    clock.advance(13)  # 74 s: still stored for expires_in (60) + interval (5) + 10 s
    assert poll_error(oauth, config, grant["device_code"]) == "expired_token"
    clock.advance(1)  # 75 s: gone from the store, Keycloak no longer knows the code
    assert poll_error(oauth, config, grant["device_code"]) == "invalid_grant"


def test_denied(kc: KeycloakEmulator, config: dict, oauth: OAuth2Client) -> None:
    grant = start(config)
    kc.deny(grant["user_code"])
    assert poll_error(oauth, config, grant["device_code"]) == "access_denied"
    with pytest.raises(ValueError):
        kc.approve(grant["user_code"], "alice")  # a decided code cannot be decided again


def test_success_and_device_code_replay(kc: KeycloakEmulator, config: dict, oauth: OAuth2Client) -> None:
    grant = start(config)
    kc.approve(grant["user_code"].lower().replace("-", ""), "alice")  # codes are typed loosely
    token = poll(oauth, config, grant["device_code"])
    assert set(token) >= {"access_token", "refresh_token", "id_token", "expires_in", "refresh_expires_in"}
    assert token["scope"].split() == ["openid", "offline_access", "profile", "email"]
    assert poll_error(oauth, config, grant["device_code"]) == "invalid_grant"


def test_unknown_device_code_and_client_mismatch(config: dict, oauth: OAuth2Client) -> None:
    assert poll_error(oauth, config, "nope") == "invalid_grant"
    grant = start(config)
    resp = httpx.post(
        config["token_endpoint"],
        data={
            "grant_type": DEVICE_GRANT,
            "device_code": grant["device_code"],
            "client_id": "no-device-client",
        },
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"  # what Keycloak answers


def test_auto_approve(kc: KeycloakEmulator, config: dict, oauth: OAuth2Client) -> None:
    kc.set_auto_approve("dave")
    try:
        grant = start(config)
        token = poll(oauth, config, grant["device_code"])
    finally:
        kc.set_auto_approve(None)
    assert kc.verify_access_token(token["access_token"])["preferred_username"] == "dave"
    with pytest.raises(ValueError):
        kc.set_auto_approve("nobody")


# tokens ------------------------------------------------------------------------------------------------
def test_access_token_signature_and_claims(
    kc: KeycloakEmulator, server: RunningServer, config: dict, oauth: OAuth2Client
) -> None:
    token = login(kc, oauth, config, "alice")
    jwks = KeySet.import_key_set(httpx.get(config["jwks_uri"]).json())
    decoded = jwt.decode(token["access_token"], jwks, algorithms=["RS256"])
    assert decoded.header["alg"] == "RS256" and decoded.header["kid"] == jwks.keys[0].kid
    claims = decoded.claims
    assert claims["iss"] == f"{server.url}/realms/hyperota"
    assert claims["azp"] == CLIENT and CLIENT in claims["aud"] and "account" in claims["aud"]
    assert claims["typ"] == "Bearer" and claims["preferred_username"] == "alice"
    assert claims["email"] == "alice@example.com"
    assert claims["groups"] == ["/demo/owner"]
    assert claims["exp"] - claims["iat"] == 300
    assert {"sub", "sid", "scope"} <= set(claims)
    assert claims["realm_access"]["roles"] == [
        "default-roles-hyperota",
        "offline_access",
        "uma_authorization",
    ]
    management = set(claims["resource_access"]["realm-management"]["roles"])  # composites expanded
    assert {"realm-admin", "manage-users", "view-users", "query-groups", "manage-authorization"} <= management
    id_token = jwt.decode(token["id_token"], jwks, algorithms=["RS256"]).claims
    assert id_token["aud"] == CLIENT and id_token["typ"] == "ID"
    assert kc.verify_access_token(token["access_token"])["sub"] == claims["sub"]


def test_non_admin_token_has_no_admin_roles(kc: KeycloakEmulator, config: dict, oauth: OAuth2Client) -> None:
    claims = kc.verify_access_token(login(kc, oauth, config, "carol")["access_token"])
    assert claims["groups"] == []
    assert "realm-management" not in claims["resource_access"]
    assert "realm-admin" not in claims["realm_access"]["roles"]


def test_verify_access_token_rejects_bad_tokens(
    kc: KeycloakEmulator, config: dict, oauth: OAuth2Client, clock: FakeClock
) -> None:
    token = login(kc, oauth, config, "bob")
    for bad in ("garbage", token["refresh_token"], token["id_token"], token["access_token"][:-4] + "AAAA"):
        with pytest.raises(ValueError):
            kc.verify_access_token(bad)
    clock.advance(301)
    with pytest.raises(ValueError):
        kc.verify_access_token(token["access_token"])


def test_refresh_token_types(kc: KeycloakEmulator, config: dict, oauth: OAuth2Client) -> None:
    offline = login(kc, oauth, config, scope="openid offline_access")
    online = login(kc, oauth, config, scope="openid")

    def typ(refresh: str) -> str:
        payload = refresh.split(".")[1]
        # refresh tokens are HS512 JWTs like Keycloak's: read the payload without the server's key
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["typ"]

    assert typ(offline["refresh_token"]) == "Offline"
    assert typ(online["refresh_token"]) == "Refresh"
    assert "offline_access" not in online["scope"].split()


def test_refresh_tokens_are_reusable_by_default(
    kc: KeycloakEmulator, config: dict, oauth: OAuth2Client
) -> None:
    """A new realm has "Revoke Refresh Token" off: every refresh answers a new refresh token, and the
    old one keeps working (TokenManager checks reuse only when realm.isRevokeRefreshToken())."""
    assert kc.revoke_refresh_token is False
    first = login(kc, oauth, config)
    second = dict(oauth.refresh_token(config["token_endpoint"], refresh_token=first["refresh_token"]))
    assert second["refresh_token"] != first["refresh_token"]
    again = dict(oauth.refresh_token(config["token_endpoint"], refresh_token=first["refresh_token"]))
    assert kc.verify_access_token(again["access_token"])["preferred_username"] == "alice"
    oauth.refresh_token(config["token_endpoint"], refresh_token=second["refresh_token"])


def test_refresh_rotation_and_reuse_revokes_family(
    kc: KeycloakEmulator, config: dict, oauth: OAuth2Client
) -> None:
    kc.revoke_refresh_token = True
    try:
        first = login(kc, oauth, config)
        second = dict(oauth.refresh_token(config["token_endpoint"], refresh_token=first["refresh_token"]))
        assert second["refresh_token"] != first["refresh_token"]
        assert second["access_token"] != first["access_token"]
        with pytest.raises(OAuthError) as err:  # the rotated-out token is rejected...
            oauth.refresh_token(config["token_endpoint"], refresh_token=first["refresh_token"])
        assert err.value.error == "invalid_grant"
        with pytest.raises(OAuthError) as err:  # ...and the replay revoked the whole session
            oauth.refresh_token(config["token_endpoint"], refresh_token=second["refresh_token"])
        assert err.value.error == "invalid_grant"
    finally:
        kc.revoke_refresh_token = False


def test_refresh_chain_keeps_working(kc: KeycloakEmulator, config: dict, oauth: OAuth2Client) -> None:
    token = login(kc, oauth, config)
    for _ in range(3):
        token = dict(oauth.refresh_token(config["token_endpoint"], refresh_token=token["refresh_token"]))
    assert kc.verify_access_token(token["access_token"])["preferred_username"] == "alice"


def test_refresh_errors(kc: KeycloakEmulator, config: dict, oauth: OAuth2Client) -> None:
    url = config["token_endpoint"]
    for refresh in ("garbage", login(kc, oauth, config)["access_token"]):
        with pytest.raises(OAuthError) as err:
            oauth.refresh_token(url, refresh_token=refresh)
        assert err.value.error == "invalid_grant"
    missing = httpx.post(url, data={"grant_type": "refresh_token", "client_id": CLIENT})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    token = login(kc, oauth, config)
    other = httpx.post(
        url,
        data={
            "grant_type": "refresh_token",
            "client_id": "no-device-client",
            "refresh_token": token["refresh_token"],
        },
    )
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"


def test_expired_refresh_token(
    kc: KeycloakEmulator, config: dict, oauth: OAuth2Client, clock: FakeClock
) -> None:
    token = login(kc, oauth, config, scope="openid")
    clock.advance(1801)
    with pytest.raises(OAuthError) as err:
        oauth.refresh_token(config["token_endpoint"], refresh_token=token["refresh_token"])
    assert err.value.error == "invalid_grant"


# userinfo, revocation, logout ---------------------------------------------------------------------------
def test_userinfo(kc: KeycloakEmulator, config: dict, oauth: OAuth2Client) -> None:
    token = login(kc, oauth, config, "dave")
    ok = httpx.get(config["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"})
    assert ok.status_code == 200
    assert ok.json()["preferred_username"] == "dave" and ok.json()["groups"] == ["/demo/write"]
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic xyz"}):
        bad = httpx.get(config["userinfo_endpoint"], headers=headers)
        assert bad.status_code == 401
        assert bad.json()["error"] == "invalid_token"
        assert bad.headers["WWW-Authenticate"].startswith('Bearer realm="hyperota"')


def test_revocation(kc: KeycloakEmulator, config: dict, oauth: OAuth2Client) -> None:
    url = config["revocation_endpoint"]
    token = login(kc, oauth, config)
    resp = oauth.revoke_token(url, token=token["refresh_token"], token_type_hint="refresh_token")
    assert resp.status_code == 200
    with pytest.raises(OAuthError) as err:
        oauth.refresh_token(config["token_endpoint"], refresh_token=token["refresh_token"])
    assert err.value.error == "invalid_grant"
    userinfo = httpx.get(
        config["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert userinfo.status_code == 401  # the session is gone
    assert oauth.revoke_token(url, token="unknown-token").status_code == 200  # RFC 7009 section 2.2
    missing = httpx.post(url, data={"client_id": CLIENT})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def test_revoke_access_token(kc: KeycloakEmulator, config: dict, oauth: OAuth2Client) -> None:
    token = login(kc, oauth, config)
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    assert httpx.get(config["userinfo_endpoint"], headers=auth).status_code == 200
    resp = oauth.revoke_token(config["revocation_endpoint"], token=token["access_token"])
    assert resp.status_code == 200
    assert httpx.get(config["userinfo_endpoint"], headers=auth).status_code == 401
    refreshed = oauth.refresh_token(config["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["access_token"]  # revoking an access token leaves the session alone


def test_end_session(kc: KeycloakEmulator, config: dict, oauth: OAuth2Client, server: RunningServer) -> None:
    url = config["end_session_endpoint"]
    token = login(kc, oauth, config)
    resp = httpx.post(url, data={"client_id": CLIENT, "refresh_token": token["refresh_token"]})
    assert resp.status_code == 204
    with pytest.raises(OAuthError):
        oauth.refresh_token(config["token_endpoint"], refresh_token=token["refresh_token"])
    no_token = httpx.post(url, data={"client_id": CLIENT})
    assert no_token.status_code == 400 and no_token.json()["error"] == "invalid_request"
    bad = httpx.post(url, data={"client_id": CLIENT, "refresh_token": "garbage"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    page = httpx.get(url)
    assert page.status_code == 200 and "logged out" in page.text
    other = login(kc, oauth, config)
    back = f"{server.url}/done"
    redirect = httpx.get(
        url, params={"id_token_hint": other["id_token"], "post_logout_redirect_uri": back, "state": "s1"}
    )
    assert redirect.status_code == 302 and redirect.headers["Location"] == f"{back}?state=s1"
    with pytest.raises(OAuthError):
        oauth.refresh_token(config["token_endpoint"], refresh_token=other["refresh_token"])


# keys -------------------------------------------------------------------------------------------------------
def test_key_rotation(kc: KeycloakEmulator, config: dict, oauth: OAuth2Client) -> None:
    old_token = login(kc, oauth, config)
    old_kid = httpx.get(config["jwks_uri"]).json()["keys"][0]["kid"]
    kc.rotate_signing_key()
    jwks = httpx.get(config["jwks_uri"]).json()
    assert [k["kid"] for k in jwks["keys"]] != [old_kid] and len(jwks["keys"]) == 1
    with pytest.raises(ValueError):
        kc.verify_access_token(old_token["access_token"])
    new_token = login(kc, oauth, config)
    decoded = jwt.decode(new_token["access_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    assert decoded.header["kid"] == jwks["keys"][0]["kid"]
    # the refresh token survives a signing-key rotation (it is HMAC-signed, as in Keycloak)
    assert oauth.refresh_token(config["token_endpoint"], refresh_token=old_token["refresh_token"])


# malformed requests ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"data": {}}, "invalid_request"),
        ({"json": {"grant_type": "refresh_token", "client_id": CLIENT}}, "invalid_request"),
        ({"content": b"\xff\xfe%%%", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, None),
        ({"data": {"grant_type": "magic", "client_id": CLIENT}}, "unsupported_grant_type"),
        ({"data": {"grant_type": "password", "client_id": CLIENT}}, "unauthorized_client"),
        ({"data": {"grant_type": DEVICE_GRANT}}, "invalid_client"),
        ({"data": {"grant_type": DEVICE_GRANT, "client_id": CLIENT}}, "invalid_request"),
        (
            {
                "content": b"grant_type=a&grant_type=b",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
            "invalid_request",
        ),
    ],
)
def test_malformed_token_requests(config: dict, kwargs: dict, error: str | None) -> None:
    resp = httpx.post(config["token_endpoint"], **kwargs)
    assert resp.status_code == 400
    body = resp.json()
    assert set(body) == {"error", "error_description"}
    if error:
        assert body["error"] == error
    assert resp.headers["Cache-Control"] == "no-store"


def test_unknown_route_is_json_404(server: RunningServer) -> None:
    resp = httpx.get(f"{server.url}/realms/hyperota/protocol/openid-connect/nothing")
    assert resp.status_code == 404 and resp.json() == {"error": "HTTP 404 Not Found"}
