"""Tokens after sign-in: refresh (ahead of expiry, after 401, single flight, rotation), failure,
JWKS rotation, keyring storage and its absence, the environment token, logout and identity."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import keyring
import keyring.backends.fail
import pytest

from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.errors import AuthError
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator
from hyperota_desktop.services.auth import ENV_REFRESH_TOKEN, AuthEvent, NotSignedIn, SessionExpired
from hyperota_desktop.services.auth.store import ACCESS_KEY, REFRESH_KEY
from hyperota_desktop.services.http import ApiClient
from hyperota_desktop.stores.secrets import SERVICE, SecretStore
from tests.support.memkeyring import MemoryKeyring
from tests.support.request_counter import HitCounter

from .conftest import FakeTime, sign_in

USERINFO = "/protocol/openid-connect/userinfo"


def stored(memory_keyring: MemoryKeyring, key: str, profile: str = "kc") -> str | None:
    return memory_keyring.store.get((SERVICE, f"{profile}/{key}"))


async def test_tokens_saved_in_keyring_and_reloaded(make_auth, kc, memory_keyring, fake_time) -> None:
    auth = make_auth()
    await sign_in(auth, kc, "alice")
    refresh = stored(memory_keyring, REFRESH_KEY)
    assert refresh and stored(memory_keyring, ACCESS_KEY)
    assert auth.persistence_notice() == ""
    again = make_auth()  # a new run of the app
    assert await again.is_signed_in()
    assert (await again.identity()).username == "alice"
    assert again.refresh_count == 0  # the stored access token was still valid


@pytest.fixture(params=[False, True], ids=["rotation-off", "rotation-on"])
def rotation(request: pytest.FixtureRequest, kc: KeycloakEmulator) -> Iterator[bool]:
    """Keycloak's "Revoke Refresh Token": off in a new realm, on in hardened ones; the client must work
    with both (it always keeps the newest refresh token, which is right either way)."""
    kc.revoke_refresh_token = request.param
    yield request.param
    kc.revoke_refresh_token = False


async def test_refresh_ahead_of_expiry_rotates_and_saves(
    make_auth, kc, memory_keyring, fake_time: FakeTime, counter: HitCounter, rotation: bool
) -> None:
    auth = make_auth()
    await sign_in(auth, kc, "dave")
    first_access = await auth.access_token()
    first_refresh = stored(memory_keyring, REFRESH_KEY)
    fake_time.now += 290  # 10 s before expiry: inside the refresh margin
    second_access = await auth.access_token()
    assert second_access != first_access
    second_refresh = stored(memory_keyring, REFRESH_KEY)
    assert second_refresh and second_refresh != first_refresh  # rotated and saved
    assert stored(memory_keyring, ACCESS_KEY) == second_access
    fake_time.now += 290
    assert await auth.access_token() not in (first_access, second_access)  # the rotated one works
    assert auth.refresh_count == 2
    again = make_auth()  # a new run of the app, after the access token expired: refreshes once more
    fake_time.now += 400
    assert (await again.identity()).username == "dave"
    assert again.refresh_count == 1


async def test_twenty_concurrent_requests_share_one_refresh_after_401(
    make_auth, kc: KeycloakEmulator, kc_server, fake_time, counter: HitCounter
) -> None:
    auth = make_auth()
    await sign_in(auth, kc, "alice")
    stale = await auth.access_token()
    async with ApiClient(kc.issuer(kc_server.url), service="Keycloak", tokens=auth) as api:
        await api.request("GET", USERINFO)
        # The server revokes the access token (RFC 7009): every request now gets a 401.
        await auth.http.post(
            f"{kc.issuer(kc_server.url)}/protocol/openid-connect/revoke",
            data={"token": stale, "client_id": "hyperota-desktop"},
        )
        before = counter.count("/token", "grant_type=refresh_token")
        results = await asyncio.gather(*(api.json("GET", USERINFO) for _ in range(20)))
    assert all(r["preferred_username"] == "alice" for r in results)
    assert counter.count("/token", "grant_type=refresh_token") - before == 1
    assert auth.refresh_count == 1
    assert await auth.access_token() != stale


async def test_twenty_concurrent_callers_near_expiry_share_one_refresh(
    make_auth, kc, fake_time: FakeTime, counter: HitCounter
) -> None:
    auth = make_auth()
    await sign_in(auth, kc, "bob")
    fake_time.now += 400  # access token expired
    before = counter.count("/token", "grant_type=refresh_token")
    tokens = await asyncio.gather(*(auth.access_token() for _ in range(20)))
    assert len(set(tokens)) == 1
    assert counter.count("/token", "grant_type=refresh_token") - before == 1


async def test_twenty_concurrent_first_calls_after_start_wait_for_the_keyring(
    make_auth, kc, memory_keyring, fake_time
) -> None:
    await sign_in(make_auth(), kc, "alice")
    again = make_auth()  # a new run: pages and the status bar ask for a token at the same moment
    tokens = await asyncio.gather(*(again.access_token() for _ in range(20)))
    assert len(set(tokens)) == 1
    assert again.refresh_count == 0  # the stored access token was used, read once


async def test_refresh_failure_asks_to_sign_in_again(make_auth, kc, memory_keyring, fake_time) -> None:
    auth = make_auth()
    events: list[AuthEvent] = []
    auth.subscribe(events.append)
    await sign_in(auth, kc, "alice")
    with kc.realm.lock:  # an administrator ends every session
        for session in kc.realm.sessions.values():
            kc.realm.end_session(session)
    fake_time.now += 400
    with pytest.raises(SessionExpired) as info:
        await auth.access_token()
    assert isinstance(info.value, AuthError) and "Sign in again" in info.value.hint
    assert events == [AuthEvent.SIGNED_IN, AuthEvent.SESSION_EXPIRED]
    assert stored(memory_keyring, REFRESH_KEY) is None and stored(memory_keyring, ACCESS_KEY) is None
    with pytest.raises(NotSignedIn):
        await auth.access_token()


async def test_jwks_rotation_refetches_keys_once(make_auth, kc: KeycloakEmulator, fake_time) -> None:
    auth = make_auth()
    await sign_in(auth, kc, "alice")
    validator = auth._validator
    assert validator is not None and validator.jwks_fetches == 1
    kc.rotate_signing_key()
    fake_time.now += 400
    await auth.access_token()  # new token signed with the new kid
    assert validator.jwks_fetches == 2
    fake_time.now += 400
    await auth.access_token()
    assert validator.jwks_fetches == 2  # the new key is known now


async def test_token_with_wrong_signature_is_refused(make_auth, kc, fake_time) -> None:
    from hyperota_desktop.services.auth import TokenInvalid

    auth = make_auth()
    await sign_in(auth, kc, "alice")
    token = await auth.access_token()
    head, body, _sig = token.split(".")
    validator = auth._validator
    assert validator is not None
    with pytest.raises(TokenInvalid, match="signature"):
        await validator.validate(f"{head}.{body}.{'A' * 342}")
    fake_time.now += 3600
    with pytest.raises(TokenInvalid, match="expired"):
        await validator.validate(token)


async def test_keyring_unavailable_keeps_tokens_in_memory(make_auth, kc, fake_time, isolated_home) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    secrets = SecretStore()
    auth = make_auth(secrets=secrets)
    await sign_in(auth, kc, "bob")
    assert not secrets.persistent
    assert "No OS keyring" in auth.persistence_notice()
    assert (await auth.identity()).username == "bob"
    fake_time.now += 400
    await auth.access_token()  # refresh works from memory
    assert not isolated_home.exists() or not any(p.is_file() for p in isolated_home.rglob("*"))


class BrokenKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("locked")


async def test_keyring_failing_at_write_falls_back_to_memory(make_auth, kc, fake_time) -> None:
    keyring.set_keyring(BrokenKeyring())
    secrets = SecretStore()
    auth = make_auth(secrets=secrets)
    await sign_in(auth, kc, "dave")
    assert not secrets.persistent and "No OS keyring" in auth.persistence_notice()
    assert (await auth.identity()).username == "dave"


async def test_environment_refresh_token_is_never_written(
    make_auth, kc, memory_keyring: MemoryKeyring, fake_time
) -> None:
    first = make_auth()
    await sign_in(first, kc, "dave")
    token = stored(memory_keyring, REFRESH_KEY)
    assert token
    memory_keyring.store.clear()
    ci = make_auth(environ={ENV_REFRESH_TOKEN: token})
    assert ci.uses_environment_token and ENV_REFRESH_TOKEN in ci.persistence_notice()
    assert (await ci.identity()).username == "dave"
    fake_time.now += 400
    await ci.access_token()  # rotation happens in memory only
    assert ci.refresh_count == 2
    assert memory_keyring.store == {}


async def test_logout_revokes_and_forgets(make_auth, kc, kc_server, memory_keyring, fake_time) -> None:
    auth = make_auth()
    events: list[AuthEvent] = []
    auth.subscribe(events.append)
    await sign_in(auth, kc, "alice")
    refresh = stored(memory_keyring, REFRESH_KEY)
    assert await auth.logout() is True
    assert events[-1] is AuthEvent.SIGNED_OUT
    assert stored(memory_keyring, REFRESH_KEY) is None and stored(memory_keyring, ACCESS_KEY) is None
    assert not await auth.is_signed_in()
    response = await auth.http.post(
        f"{kc.issuer(kc_server.url)}/protocol/openid-connect/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "hyperota-desktop"},
    )
    assert response.status_code == 400  # the server no longer honours it


async def test_logout_when_server_unreachable_still_forgets(
    make_auth, kc, kc_server, memory_keyring, fake_time
):
    auth = make_auth()
    await sign_in(auth, kc, "bob")
    kc_server.faults.add(r"/revoke$", drop=True, times=1)
    assert await auth.logout() is False
    assert stored(memory_keyring, REFRESH_KEY) is None


@pytest.mark.parametrize(
    ("user", "org_access", "realm_admin"),
    [
        ("alice", AccessLevel.OWNER, True),
        ("bob", AccessLevel.READ, False),
        ("dave", AccessLevel.WRITE, False),
    ],
)
async def test_identity_levels(make_auth, kc, fake_time, user, org_access, realm_admin) -> None:
    auth = make_auth()
    await sign_in(auth, kc, user)
    identity = await auth.identity()
    assert identity.username == user and identity.email == f"{user}@example.com"
    assert identity.org_access("demo") is org_access
    assert identity.is_realm_admin is realm_admin


async def test_identity_of_carol_has_no_organisations(make_auth, kc, fake_time) -> None:
    auth = make_auth()
    await sign_in(auth, kc, "carol")
    assert (await auth.identity()).organisations == ()


async def test_identity_falls_back_to_account_api_without_groups_claim(
    make_auth, kc: KeycloakEmulator, fake_time, counter: HitCounter, monkeypatch
) -> None:
    original = kc.tokens.user_claims

    def without_groups(user):
        claims = original(user)
        claims.pop("groups")
        return claims

    monkeypatch.setattr(kc.tokens, "user_claims", without_groups)
    auth = make_auth()
    before = counter.count("/account/groups")
    await sign_in(auth, kc, "dave")  # login() ends by reading the identity
    assert "groups" not in await auth.claims()
    identity = await auth.identity()  # cached for the same token
    assert counter.count("/account/groups") - before == 1
    assert identity.org_access("demo") is AccessLevel.WRITE
