"""Issue 17.5: a sign-in server that answers 200 with something that is not a token answer (a proxy's
HTML page, a truncated body, JSON nested a million deep) gets a typed error, never a traceback.

Each answer comes from the Keycloak emulator's fault API, over real HTTP."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperota_desktop.domain.errors import AuthError, BackendUnavailable, HyperOtaError
from hyperota_desktop.sandbox.http import RunningServer
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator
from hyperota_desktop.services.auth import SignInConfigError
from hyperota_desktop.services.auth.errors import TokenInvalid
from hyperota_desktop.services.auth.tokens import parse_token_response

from .conftest import FakeTime, sign_in

TOKEN_PATH = r"/protocol/openid-connect/token$"
DEVICE_PATH = r"/protocol/openid-connect/auth/device$"
DISCOVERY_PATH = r"openid-configuration$"
HTML = "<html><body>502 Bad Gateway</body></html>"
DEEP = "[" * 200_000 + "]" * 200_000


@pytest.mark.parametrize(("body", "content_type"), [(HTML, "text/html"), (DEEP, "application/json"),
                                                    ('{"access_token": ', "application/json")])  # fmt: skip
async def test_a_non_json_200_while_polling_is_a_typed_error(
    make_auth,
    kc: KeycloakEmulator,
    kc_server: RunningServer,
    fake_time: FakeTime,
    body: str,
    content_type: str,
) -> None:
    auth = make_auth()
    kc.set_auto_approve("alice")
    kc_server.faults.add(TOKEN_PATH, method="POST", status=200, body=body, content_type=content_type, times=1)
    with pytest.raises(BackendUnavailable, match="not a JSON object"):
        await auth.login()
    assert not await auth.is_signed_in()


async def test_a_non_json_200_while_refreshing_keeps_the_sign_in(
    make_auth, kc: KeycloakEmulator, kc_server: RunningServer, fake_time: FakeTime
) -> None:
    auth = make_auth()
    await sign_in(auth, kc, "alice")
    first = await auth.access_token()
    kc_server.faults.add(TOKEN_PATH, method="POST", status=200, body=HTML, content_type="text/html", times=1)
    with pytest.raises(BackendUnavailable, match="renewal"):
        await auth.refresh_after_unauthorized(first)
    # the garbage answer did not sign the person out: the next renewal works
    assert await auth.refresh_after_unauthorized(first) != first


@pytest.mark.parametrize(
    "body",
    [
        {"device_code": "d" * 20, "user_code": "ABCD-EFGH", "verification_uri": "https://x/device",
         "expires_in": "soon", "interval": [5]},
        {"device_code": "d" * 20, "user_code": "ABCD-EFGH", "verification_uri": "https://x/device",
         "expires_in": 1e400, "interval": -3},
    ],
)  # fmt: skip
async def test_odd_numbers_in_the_device_answer_fall_back_to_defaults(
    make_auth, kc_server: RunningServer, fake_time: FakeTime, body: dict[str, object]
) -> None:
    kc_server.faults.add(DEVICE_PATH, method="POST", status=200, body=body, times=1)
    flow = await make_auth().begin_login()
    assert flow.interval == 5  # the default
    assert flow.expires_at - fake_time.now == 600  # the default


@pytest.mark.parametrize("body", [HTML, DEEP, '{"device_code": 1}', "[]"])
async def test_a_broken_device_answer_is_a_typed_error(
    make_auth, kc_server: RunningServer, fake_time: FakeTime, body: str
) -> None:
    kc_server.faults.add(DEVICE_PATH, method="POST", status=200, body=body, times=1)
    with pytest.raises((BackendUnavailable, AuthError)):
        await make_auth().begin_login()


async def test_a_deeply_nested_discovery_document_is_a_typed_error(
    make_auth, kc_server: RunningServer, fake_time: FakeTime
) -> None:
    kc_server.faults.add(DISCOVERY_PATH, status=200, body=DEEP, times=1)
    with pytest.raises(SignInConfigError):
        await make_auth().begin_login()


async def test_optional_endpoints_that_are_not_text_are_ignored(
    make_auth, kc: KeycloakEmulator, kc_server: RunningServer, fake_time: FakeTime
) -> None:
    auth = make_auth()
    document = (await auth.http.get(f"{auth.profile.issuer}/.well-known/openid-configuration")).json()
    kc_server.faults.add(
        DISCOVERY_PATH, status=200, body={**document, "revocation_endpoint": {"x": 1}}, times=1
    )
    config = await auth.config()
    assert config.revocation_endpoint == ""


# -- fuzz: whatever the server answers, the result is tokens, config or a typed error ----------------
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=16),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=16), inner, max_size=5),
    max_leaves=16,
)
_token_like = st.dictionaries(
    st.sampled_from(["access_token", "refresh_token", "id_token", "expires_in", "scope", "error", "interval",
                     "device_code", "user_code", "verification_uri", "expires_in", "issuer", "token_endpoint",
                     "jwks_uri", "device_authorization_endpoint", "grant_types_supported"]),
    _json, max_size=8,
)  # fmt: skip
_bodies = st.one_of(
    _json.map(json.dumps), _token_like.map(json.dumps), st.text(max_size=60),
    st.integers(1, 3000).map(lambda n: "{\"a\":" * n + "1" + "}" * n),
)  # fmt: skip
_fuzz = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@_fuzz
@given(body=_token_like | _json)
def test_fuzz_token_answers_parse_or_refuse(body: object) -> None:
    try:
        tokens = parse_token_response(body)
    except TokenInvalid:
        return
    assert isinstance(tokens.access_token, str) and tokens.expires_in >= 0


@_fuzz
@given(body=_bodies, path=st.sampled_from([DISCOVERY_PATH, DEVICE_PATH, TOKEN_PATH]))
async def test_fuzz_sign_in_against_any_answer(
    make_auth, kc: KeycloakEmulator, kc_server: RunningServer, fake_time: FakeTime, body: str, path: str
) -> None:
    kc_server.faults.clear()
    kc.set_auto_approve("alice")
    kc_server.faults.add(path, status=200, body=body, times=1)
    auth = make_auth()
    try:
        await auth.login()
    except HyperOtaError as exc:
        assert exc.message
    finally:
        kc.set_auto_approve(None)
        kc_server.faults.clear()
        await auth.aclose()
