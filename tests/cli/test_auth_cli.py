"""`hyperota login|whoami|logout` against the Keycloak emulator over HTTP (poll interval 1 s)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperota_desktop.app.cli_entry import main as cli_main
from hyperota_desktop.sandbox.http import RunningServer, serve
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator
from hyperota_desktop.stores.secrets import SERVICE
from tests.support.memkeyring import MemoryKeyring

TOKEN_PATH = r"/protocol/openid-connect/token$"


@pytest.fixture(scope="module")
def kc() -> KeycloakEmulator:
    return KeycloakEmulator(poll_interval=1)


@pytest.fixture(scope="module")
def server(kc: KeycloakEmulator) -> Iterator[RunningServer]:
    running = serve(kc.wsgi, "keycloak-cli-tests")
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def clean(kc: KeycloakEmulator, server: RunningServer) -> Iterator[None]:
    yield
    kc.set_auto_approve(None)
    server.faults.clear()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli(capsys, kc: KeycloakEmulator, server: RunningServer):
    code, _, err = run(capsys, "profile", "add", "kc", "--issuer", kc.issuer(server.url))
    assert code == 0, err
    run(capsys, "profile", "use", "kc")
    return lambda *argv: run(capsys, *argv)


def test_login_whoami_logout(cli, kc: KeycloakEmulator, memory_keyring: MemoryKeyring) -> None:
    code, out, err = cli("whoami")
    assert code == 3 and "Not signed in" in err and "hyperota login" in err
    kc.set_auto_approve("dave")
    code, out, err = cli("login")
    assert code == 0, err
    assert "/realms/hyperota/device" in err and "enter the code" in err
    assert "▀" in err or "█" in err  # the terminal QR code
    assert "Signed in as dave" in out
    assert (SERVICE, "kc/oidc_refresh_token") in memory_keyring.store
    code, out, _ = cli("whoami", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["username"] == "dave"
    assert data["organisations"] == [{"name": "demo", "access": "write", "applications": []}]
    code, out, _ = cli("logout")
    assert code == 0 and "Signed out" in out
    assert not any(k[1].startswith("kc/oidc") for k in memory_keyring.store)
    code, _, _ = cli("whoami")
    assert code == 3


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("alice", [{"name": "demo", "access": "owner", "applications": []}]),
        ("bob", [{"name": "demo", "access": "read", "applications": []}]),
        ("dave", [{"name": "demo", "access": "write", "applications": []}]),
        ("carol", []),
    ],
)
def test_whoami_levels(cli, kc: KeycloakEmulator, user: str, expected: list) -> None:
    kc.set_auto_approve(user)
    code, out, err = cli("login", "--json")
    assert code == 0, err
    assert json.loads(out)["organisations"] == expected
    code, out, _ = cli("whoami", "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"sub", "username", "email", "organisations", "s3_isolation"}
    assert data["username"] == user and data["email"] == f"{user}@example.com"
    assert data["organisations"] == expected


def test_login_denied_exits_3(cli, server: RunningServer) -> None:
    server.faults.add(TOKEN_PATH, status=400, body={"error": "access_denied"}, times=1)
    code, out, err = cli("login", "--json")
    assert code == 3 and "denied" in err
    assert json.loads(out)["error"]["type"] == "SignInDenied"


def test_login_expired_exits_3(cli, server: RunningServer) -> None:
    server.faults.add(TOKEN_PATH, status=400, body={"error": "expired_token"}, times=1)
    code, _, err = cli("login")
    assert code == 3 and "expired" in err


def test_login_wrong_client_explains_the_fix(capsys, kc: KeycloakEmulator, server: RunningServer) -> None:
    issuer = kc.issuer(server.url)
    run(capsys, "profile", "add", "bad", "--issuer", issuer, "--client-id", "no-device-client")
    code, _, err = run(capsys, "login", "--profile", "bad")
    assert code == 3 and "Device Authorization Grant" in err


def test_tokens_never_in_logs_or_settings_files(
    cli, kc: KeycloakEmulator, memory_keyring: MemoryKeyring, isolated_home: Path
) -> None:
    kc.set_auto_approve("alice")
    code, out, err = cli("login", "--log-level", "DEBUG")
    assert code == 0
    cli("whoami", "--log-level", "DEBUG")
    secrets = [v for (_s, k), v in memory_keyring.store.items() if "oidc" in k]
    assert len(secrets) == 2
    files = [p for p in isolated_home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" or "log" in p.parts[-2] for p in files)  # logging did write
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"token found in {path}"
            for part in secret.split(".")[1:]:  # no JWT payload/signature pieces either
                if len(part) > 20:
                    assert part.encode() not in data, f"token part found in {path}"
    for secret in secrets:
        assert secret not in out and secret not in err


def test_environment_refresh_token_for_pipelines(
    cli, kc: KeycloakEmulator, memory_keyring: MemoryKeyring, monkeypatch
) -> None:
    kc.set_auto_approve("bob")
    assert cli("login")[0] == 0
    token = memory_keyring.store[(SERVICE, "kc/oidc_refresh_token")]
    memory_keyring.store.clear()
    monkeypatch.setenv("HYPEROTA_REFRESH_TOKEN", token)
    code, out, _ = cli("whoami", "--json")
    assert code == 0 and json.loads(out)["username"] == "bob"
    assert memory_keyring.store == {}  # used in memory only, never written


def test_static_aws_keys_go_to_the_keyring_from_stdin(
    cli, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring, isolated_home
) -> None:
    import io

    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
    code, out, err = cli("profile", "aws-keys", "kc", "--access-key-id", "AKIAEXAMPLE", "--json")
    assert code == 0, err
    assert json.loads(out) == {"profile": "kc", "aws_access_key_id": "AKIAEXAMPLE"}
    assert memory_keyring.store[(SERVICE, "kc/aws_secret_access_key")] == secret
    assert memory_keyring.store[(SERVICE, "kc/aws_access_key_id")] == "AKIAEXAMPLE"
    assert "static" in err  # the profile does not use static keys yet: says how
    for path in isolated_home.rglob("*"):
        assert not path.is_file() or secret not in path.read_text(errors="replace")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = cli("profile", "aws-keys", "kc", "--access-key-id", "AKIAEXAMPLE")
    assert code == 5 and "secret access key" in err
    code, _, err = cli("profile", "aws-keys", "nope", "--access-key-id", "AKIAEXAMPLE")
    assert code != 0 and "nope" in err


def test_whoami_says_what_s3_itself_enforces(cli, kc: KeycloakEmulator, server: RunningServer) -> None:
    """Issue 17.2: shared keys are named as such; a web-identity profile whose token carries no AWS
    session tags (the emulator has no script mapper) is told so instead of being shown as isolated."""
    kc.set_auto_approve("dave")
    assert cli("login")[0] == 0
    code, out, _ = cli("whoami")
    assert code == 0 and "S3: AWS default credentials: isolation unknown" in out
    issuer = kc.issuer(server.url)
    role = "arn:aws:iam::123456789012:role/hyperota"
    mode = ("--aws-credential-mode", "web-identity", "--aws-role-arn", role)
    code, _, err = cli("profile", "add", "kc", "--issuer", issuer, "--overwrite", *mode)
    assert code == 0, err
    code, out, _ = cli("whoami", "--json")
    assert code == 0 and "carries no session tags" in json.loads(out)["s3_isolation"]
