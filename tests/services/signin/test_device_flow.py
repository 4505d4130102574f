"""Every path of the device authorization grant, over HTTP against the Keycloak emulator."""

from __future__ import annotations

import pytest

from hyperota_desktop.domain.errors import BackendUnavailable
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.sandbox.http import RunningServer
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator
from hyperota_desktop.services.auth import (
    AuthService,
    LoginStatus,
    SignInConfigError,
    SignInDenied,
    SignInExpired,
)
from hyperota_desktop.services.auth.device import poll_wait

from .conftest import FakeTime

TOKEN_PATH = r"/protocol/openid-connect/token$"


async def test_pending_then_approved(make_auth, kc: KeycloakEmulator, fake_time: FakeTime) -> None:
    auth: AuthService = make_auth()
    flow = await auth.begin_login()
    assert flow.interval == 5 and "user_code=" in flow.qr_target
    statuses = []
    async for state in auth.poll_login(flow):
        statuses.append(state.status)
        if state.status is LoginStatus.WAITING and statuses.count(LoginStatus.WAITING) == 3:
            kc.approve(flow.user_code, "alice")
        assert state.tokens is None  # tokens never leave the service
    assert statuses[:3] == [LoginStatus.WAITING] * 3
    assert statuses[-1] is LoginStatus.SIGNED_IN
    assert fake_time.sleeps == [poll_wait(5)] * 3
    assert all(s > 5 for s in fake_time.sleeps)  # never before the server's interval
    assert (await auth.identity()).username == "alice"
    assert await auth.is_signed_in()


async def test_slow_down_raises_the_interval(
    make_auth, kc: KeycloakEmulator, kc_server: RunningServer, fake_time: FakeTime
) -> None:
    auth: AuthService = make_auth()
    flow = await auth.begin_login()
    kc_server.faults.add(TOKEN_PATH, status=400, body={"error": "slow_down"}, times=1)
    seen = []
    async for state in auth.poll_login(flow):
        seen.append((state.status, state.interval))
        if state.status is LoginStatus.SLOWED_DOWN:
            kc.approve(flow.user_code, "bob")
    assert (LoginStatus.SLOWED_DOWN, 10) in seen
    assert seen[-1][0] is LoginStatus.SIGNED_IN
    assert fake_time.sleeps == [poll_wait(5), poll_wait(10)]  # after slow_down: 5 s longer


async def test_polling_too_fast_gets_real_slow_down_from_server(
    make_auth, kc: KeycloakEmulator, fake_time: FakeTime
) -> None:
    """The emulator itself answers slow_down when polled faster than the interval."""
    auth: AuthService = make_auth()
    flow = await auth.begin_login()
    fake_time.on_sleep = lambda s: setattr(fake_time, "now", fake_time.now - s + 1)  # time moves 1 s only
    seen = []
    async for state in auth.poll_login(flow):
        seen.append(state.status)
        if state.status is LoginStatus.SLOWED_DOWN:
            fake_time.on_sleep = None
            kc.approve(flow.user_code, "bob")
    assert LoginStatus.SLOWED_DOWN in seen and seen[-1] is LoginStatus.SIGNED_IN


async def test_expired(make_auth, kc: KeycloakEmulator, fake_time: FakeTime) -> None:
    auth: AuthService = make_auth()
    flow = await auth.begin_login()
    states = [s async for s in auth.poll_login(flow)]
    assert states[-1].status is LoginStatus.EXPIRED
    assert "new code" in states[-1].message
    assert not await auth.is_signed_in()


async def test_a_code_the_server_has_forgotten_is_an_expiry(
    make_auth, kc: KeycloakEmulator, fake_time: FakeTime
) -> None:
    """The computer slept through the expiry: Keycloak keeps a code only for expires_in + interval +
    10 s, then answers invalid_grant "Device code not valid". That is an expiry, not a refusal."""
    auth: AuthService = make_auth()
    flow = await auth.begin_login()

    def suspend(seconds: float) -> None:  # the first sleep lasts until just before the local deadline
        fake_time.on_sleep = None
        kc.clock = lambda: fake_time.now + 200  # ...but the server's clock is far past its grace

    fake_time.on_sleep = suspend
    fake_time.now = flow.expires_at - 5 - poll_wait(5)
    states = [s async for s in auth.poll_login(flow)]
    kc.clock = fake_time
    assert states[-1].status is LoginStatus.EXPIRED
    assert "new code" in states[-1].message


async def test_expired_token_from_server(make_auth, kc_server: RunningServer, fake_time: FakeTime) -> None:
    auth: AuthService = make_auth()
    kc_server.faults.add(TOKEN_PATH, status=400, body={"error": "expired_token"}, times=1)
    with pytest.raises(SignInExpired):
        await auth.login()


async def test_denied(make_auth, kc: KeycloakEmulator, fake_time: FakeTime) -> None:
    auth: AuthService = make_auth()
    seen = []

    def on_state(state) -> None:
        seen.append(state.status)
        if state.status is LoginStatus.WAITING and len(seen) == 2:
            newest = list(kc.realm.device_grants.values())[-1]  # the grant login() just asked for
            kc.deny(newest.user_code)

    with pytest.raises(SignInDenied):
        await auth.login(on_state)
    assert seen[-1] is LoginStatus.DENIED


async def test_network_lost_mid_poll_keeps_retrying(
    make_auth, kc: KeycloakEmulator, kc_server: RunningServer, fake_time: FakeTime
) -> None:
    auth: AuthService = make_auth()
    flow = await auth.begin_login()
    kc_server.faults.add(TOKEN_PATH, drop=True, times=3)
    kc_server.faults.add(TOKEN_PATH, status=503, times=1)
    seen = []
    async for state in auth.poll_login(flow):
        seen.append(state)
        if state.status is LoginStatus.WAITING and len(seen) > 1:
            kc.approve(flow.user_code, "dave")
    lost = [s for s in seen if s.status is LoginStatus.NETWORK_LOST]
    assert [s.attempt for s in lost] == [1, 2, 3, 4]
    assert lost[-1].retry_in > lost[0].retry_in  # backoff grows
    assert "retrying" in lost[0].message
    assert "Connection restored" in seen[len(lost) + 1].message
    assert seen[-1].status is LoginStatus.SIGNED_IN


async def test_cancel_stops_polling(make_auth, kc: KeycloakEmulator, fake_time: FakeTime) -> None:
    import asyncio

    auth: AuthService = make_auth()
    flow = await auth.begin_login()
    started = asyncio.Event()

    async def run() -> None:
        async for _state in auth.poll_login(flow):
            started.set()

    task = asyncio.create_task(run())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not await auth.is_signed_in()


async def test_wrong_issuer(make_auth, kc_server: RunningServer) -> None:
    auth = make_auth(profile=Profile(name="x", issuer=f"{kc_server.url}/realms/nope"))
    with pytest.raises(SignInConfigError, match="no realm") as info:
        await auth.begin_login()
    assert "issuer" in info.value.hint


async def test_issuer_mismatch(make_auth, kc: KeycloakEmulator, kc_server: RunningServer) -> None:
    issuer = kc.issuer(kc_server.url)
    body = {"issuer": issuer.replace("hyperota", "other"), "token_endpoint": "x", "jwks_uri": "y"}
    kc_server.faults.add(r"openid-configuration$", status=200, body=body, times=1)
    try:
        with pytest.raises(SignInConfigError, match="calls itself") as info:
            await make_auth().begin_login()
    finally:
        kc_server.faults.clear()
    assert "realms/other" in info.value.hint


async def test_client_without_device_grant(make_auth, kc: KeycloakEmulator, kc_server: RunningServer) -> None:
    auth = make_auth(profile=Profile(name="x", issuer=kc.issuer(kc_server.url), client_id="no-device-client"))
    with pytest.raises(SignInConfigError, match="not allowed to use device sign-in") as info:
        await auth.begin_login()
    assert "Device Authorization Grant" in info.value.hint


async def test_unknown_client(make_auth, kc: KeycloakEmulator, kc_server: RunningServer) -> None:
    auth = make_auth(profile=Profile(name="x", issuer=kc.issuer(kc_server.url), client_id="who-am-i"))
    with pytest.raises(SignInConfigError, match="does not know the client"):
        await auth.begin_login()


async def test_no_device_endpoint(make_auth, kc: KeycloakEmulator, kc_server: RunningServer) -> None:
    issuer = kc.issuer(kc_server.url)
    body = {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/protocol/openid-connect/token",
        "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
        "grant_types_supported": ["authorization_code", "refresh_token"],
    }
    kc_server.faults.add(r"openid-configuration$", status=200, body=body, times=1)
    try:
        with pytest.raises(SignInConfigError, match="does not offer device sign-in"):
            await make_auth().begin_login()
    finally:
        kc_server.faults.clear()


async def test_unreachable_server(make_auth) -> None:
    auth = make_auth(profile=Profile(name="x", issuer="http://127.0.0.1:9/realms/r"))
    with pytest.raises(BackendUnavailable, match="Could not reach"):
        await auth.begin_login()
