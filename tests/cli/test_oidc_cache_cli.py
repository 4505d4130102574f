"""A signed-in CLI run trusts its stored token without asking the sign-in server for its discovery
document or its keys again: both are cached on disk after the first run (services/auth/documents.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hyperota_desktop.app.cli_entry import main as cli_main
from hyperota_desktop.sandbox.http import RunningServer
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator
from tests.support.memkeyring import MemoryKeyring
from tests.support.request_counter import HitCounter

DISCOVERY, JWKS = "/.well-known/openid-configuration", "/protocol/openid-connect/certs"


@pytest.fixture(scope="module")
def kc() -> KeycloakEmulator:
    return KeycloakEmulator(poll_interval=1)


@pytest.fixture(scope="module")
def counter(kc: KeycloakEmulator) -> HitCounter:
    return HitCounter(kc.wsgi)


@pytest.fixture(scope="module")
def server(counter: HitCounter) -> Iterator[RunningServer]:
    with counter.served("keycloak-oidc-cache-cli") as running:
        yield running


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli_main(list(argv))
    return code, capsys.readouterr().err


def test_a_second_run_reads_neither_discovery_nor_jwks(
    capsys, kc: KeycloakEmulator, server: RunningServer, counter: HitCounter, memory_keyring: MemoryKeyring
) -> None:
    assert run(capsys, "profile", "add", "kc", "--issuer", kc.issuer(server.url))[0] == 0
    run(capsys, "profile", "use", "kc")
    kc.set_auto_approve("dave")
    try:
        code, err = run(capsys, "login")
    finally:
        kc.set_auto_approve(None)
    assert code == 0, err
    assert counter.count(DISCOVERY) >= 1 and counter.count(JWKS) >= 1  # the first run asked
    before = len(counter.hits)
    for _ in range(2):
        code = cli_main(["whoami", "--json"])
        out, err = capsys.readouterr()
        assert code == 0 and '"dave"' in out, err  # the stored token was validated
    later = counter.paths(since=before)
    assert not [p for p in later if p.endswith((DISCOVERY, JWKS))], later
