"""A signed-in CLI run trusts its stored token without asking the sign-in server for its discovery
document or its keys again: both are cached on disk after the first run (services/auth/documents.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from hyperota_desktop.app.cli_entry import main as cli_main
from hyperota_desktop.sandbox.http import RunningServer, serve
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator
from tests.support.memkeyring import MemoryKeyring

DISCOVERY, JWKS = "/.well-known/openid-configuration", "/protocol/openid-connect/certs"


class Paths:
    """WSGI middleware: the path of every request."""

    def __init__(self, app: Any) -> None:
        self.app, self.seen, self._lock = app, [], threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            self.seen.append(environ["PATH_INFO"])
        return self.app(environ, start_response)

    def count(self, end: str) -> int:
        with self._lock:
            return sum(1 for p in self.seen if p.endswith(end))


@pytest.fixture(scope="module")
def kc() -> KeycloakEmulator:
    return KeycloakEmulator(poll_interval=1)


@pytest.fixture(scope="module")
def paths(kc: KeycloakEmulator) -> Paths:
    return Paths(kc.wsgi)


@pytest.fixture(scope="module")
def server(paths: Paths) -> Iterator[RunningServer]:
    running = serve(paths, "keycloak-oidc-cache-cli")
    yield running
    running.stop()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli_main(list(argv))
    return code, capsys.readouterr().err


def test_a_second_run_reads_neither_discovery_nor_jwks(
    capsys, kc: KeycloakEmulator, server: RunningServer, paths: Paths, memory_keyring: MemoryKeyring
) -> None:
    assert run(capsys, "profile", "add", "kc", "--issuer", kc.issuer(server.url))[0] == 0
    run(capsys, "profile", "use", "kc")
    kc.set_auto_approve("dave")
    try:
        code, err = run(capsys, "login")
    finally:
        kc.set_auto_approve(None)
    assert code == 0, err
    assert paths.count(DISCOVERY) >= 1 and paths.count(JWKS) >= 1  # the first run asked
    before = len(paths.seen)
    for _ in range(2):
        code = cli_main(["whoami", "--json"])
        out, err = capsys.readouterr()
        assert code == 0 and '"dave"' in out, err  # the stored token was validated
    later = paths.seen[before:]
    assert not [p for p in later if p.endswith((DISCOVERY, JWKS))], later
