"""The issuer's discovery and JWKS documents cached on disk between runs (services/auth/documents.py):
a warm run asks the sign-in server for neither; an unknown `kid` or a signature that fails against the
cached keys fetches the JWKS again; another issuer's, a corrupt or an old file is ignored and rewritten;
no token ever reaches the file. Requests are counted at the Keycloak emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import RSAKey

from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator
from hyperota_desktop.services.auth import AuthService
from hyperota_desktop.services.auth.documents import (
    CONFIGURATION,
    DISCOVERY_TTL,
    JWKS,
    JWKS_TTL,
    OidcDocuments,
)
from hyperota_desktop.services.auth.store import ACCESS_KEY, REFRESH_KEY
from hyperota_desktop.stores.secrets import SERVICE
from tests.support.memkeyring import MemoryKeyring
from tests.support.request_counter import HitCounter

from .conftest import FakeTime, sign_in

DISCOVERY, CERTS = "/.well-known/openid-configuration", "/protocol/openid-connect/certs"


@pytest.fixture
def documents(tmp_path: Path, fake_time: FakeTime) -> OidcDocuments:
    return OidcDocuments(tmp_path / "oidc", clock=fake_time)


@pytest.fixture
def signed_in(
    make_auth: Callable[..., AuthService], kc: KeycloakEmulator, documents: OidcDocuments, memory_keyring
) -> Callable[[], Any]:
    async def first_run() -> AuthService:
        auth = make_auth(documents=documents)
        await sign_in(auth, kc, "alice")
        return auth

    return first_run


def asked(counter: HitCounter) -> tuple[int, int]:
    return counter.count(DISCOVERY), counter.count(CERTS)


async def test_a_warm_run_asks_for_neither_document(
    signed_in, make_auth, documents: OidcDocuments, profile: Profile, counter: HitCounter
) -> None:
    await signed_in()
    before = asked(counter)
    again = make_auth(documents=documents)  # the next run
    assert (await again.identity()).username == "alice"  # the stored token, validated
    assert asked(counter) == before
    assert again._validator is not None and again._validator.jwks_fetches == 0
    cold = make_auth()  # no cache: both are read, as before
    assert (await cold.identity()).username == "alice"
    assert asked(counter) == (before[0] + 1, before[1] + 1)


async def test_an_unknown_kid_fetches_the_jwks_and_the_cache_learns_it(
    signed_in, make_auth, kc: KeycloakEmulator, documents: OidcDocuments, profile: Profile,
    counter: HitCounter, fake_time: FakeTime,
) -> None:  # fmt: skip
    await signed_in()
    kc.rotate_signing_key()
    fake_time.now += 400  # the stored access token expired: the refresh brings one with the new kid
    before = asked(counter)
    run = make_auth(documents=documents)
    assert (await run.identity()).username == "alice"
    assert asked(counter) == (before[0], before[1] + 1)  # the cached discovery, the keys fetched once
    kids = {k["kid"] for k in json.loads(documents.path(profile.issuer).read_text())[JWKS]["body"]["keys"]}
    new_kid = run._validator._keys.keys[-1].kid if run._validator and run._validator._keys else None
    assert new_kid in kids
    before = asked(counter)
    assert (await make_auth(documents=documents).identity()).username == "alice"
    assert asked(counter) == before  # the rewritten cache knows the new key


async def test_a_signature_failing_against_cached_keys_fetches_them_again(
    signed_in, make_auth, documents: OidcDocuments, profile: Profile, counter: HitCounter
) -> None:
    await signed_in()
    path = documents.path(profile.issuer)
    data = json.loads(path.read_text())
    forged = []
    for key in data[JWKS]["body"]["keys"]:  # same kid, other key material: the signature cannot verify
        other = RSAKey.generate_key(2048, parameters={"kid": key["kid"], "use": "sig", "alg": "RS256"})
        forged.append(other.as_dict(private=False))
    data[JWKS]["body"]["keys"] = forged
    path.write_text(json.dumps(data))
    before = asked(counter)
    run = make_auth(documents=documents)
    assert (await run.identity()).username == "alice"  # accepted after one fetch, not refused
    assert asked(counter) == (before[0], before[1] + 1)
    assert run.refresh_count == 0  # the stored token was valid all along
    stored = json.loads(path.read_text())[JWKS]["body"]["keys"]
    assert [k["n"] for k in stored] != [k["n"] for k in forged]  # the real keys replaced the bad ones


@pytest.mark.parametrize("damage", ["another issuer", "corrupt", "not an object", "discovery lies", "old"])
async def test_a_bad_or_old_cache_is_ignored_and_rewritten(
    damage: str, signed_in, make_auth, documents: OidcDocuments, profile: Profile, counter: HitCounter,
    fake_time: FakeTime,
) -> None:  # fmt: skip
    await signed_in()
    path = documents.path(profile.issuer)
    data = json.loads(path.read_text())
    if damage == "another issuer":
        data["issuer"] = "https://elsewhere.example/realms/hyperota"
        path.write_text(json.dumps(data))
    elif damage == "corrupt":
        path.write_text(path.read_text()[:40])
    elif damage == "not an object":
        path.write_text("[1, 2]")
    elif damage == "discovery lies":  # the file names our issuer, the document inside another one
        data[CONFIGURATION]["body"]["issuer"] = "https://elsewhere.example/realms/hyperota"
        path.write_text(json.dumps(data))
    else:
        fake_time.now += max(DISCOVERY_TTL, JWKS_TTL) + 1
    fake_time.now += 1
    before = asked(counter)
    run = make_auth(documents=documents)
    assert (await run.identity()).username == "alice"
    assert asked(counter)[0] == before[0] + 1  # discovery read again
    if damage != "discovery lies":
        assert asked(counter)[1] == before[1] + 1  # and the keys
    rewritten = json.loads(path.read_text())
    assert rewritten["issuer"] == profile.issuer
    assert rewritten[CONFIGURATION]["body"]["issuer"] == profile.issuer
    before = asked(counter)
    assert (await make_auth(documents=documents).identity()).username == "alice"
    assert asked(counter) == before  # warm again


async def test_the_cache_holds_no_token(
    signed_in, documents: OidcDocuments, profile: Profile, memory_keyring: MemoryKeyring
) -> None:
    auth = await signed_in()
    await auth.access_token()
    text = documents.path(profile.issuer).read_text()
    for key in (ACCESS_KEY, REFRESH_KEY):
        token = memory_keyring.store.get((SERVICE, f"{profile.name}/{key}"))
        assert token and token not in text
        for part in token.split("."):
            assert len(part) < 20 or part not in text  # not even a JWT's payload or signature
    assert set(json.loads(text)) == {"issuer", CONFIGURATION, JWKS}
