"""`hyperota sandbox up` as a real subprocess: endpoints file, discovery, clean stop on signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from hyperota_desktop.app.cli_entry import main as cli_main
from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.directories import resolve_dirs

pytestmark = pytest.mark.slow
Starter = Callable[..., tuple[subprocess.Popen[str], Path]]


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return dict(json.loads(path.read_text(encoding="utf-8")))
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"sandbox up exited early ({proc.returncode}): {err}")
        time.sleep(0.05)
    pytest.fail("no endpoints file")


def _ports(endpoints: dict[str, object]) -> set[int]:
    urls = (endpoints["keycloak_url"], endpoints["superposition_url"], endpoints["s3_endpoint"])
    return {int(urlsplit(str(url)).port or 0) for url in urls}


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def start_up(tmp_path: Path) -> Iterator[Starter]:
    procs: list[subprocess.Popen[str]] = []

    def start(*extra: str) -> tuple[subprocess.Popen[str], Path]:
        endpoints_file = tmp_path / f"endpoints-{len(procs)}.json"
        command = [sys.executable, "-m", "hyperota_desktop.app.cli_entry", "sandbox", "up"]
        proc = subprocess.Popen(
            [*command, "--endpoints-file", str(endpoints_file), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "HYPEROTA_HOME": str(tmp_path / "home")},
        )
        procs.append(proc)
        return proc, endpoints_file

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_up_serves_until_signal_then_stops_cleanly(start_up: Starter, sig: signal.Signals) -> None:
    proc, endpoints_file = start_up("--auto-approve", "alice", "--json")
    endpoints = _wait_for(endpoints_file, proc)
    assert stat.S_IMODE(endpoints_file.stat().st_mode) == 0o600
    discovery = httpx.get(f"{endpoints['issuer']}/.well-known/openid-configuration", timeout=10)
    assert discovery.status_code == 200
    assert discovery.json()["issuer"] == endpoints["issuer"]
    ports = _ports(endpoints)
    assert all(_port_open(port) for port in ports)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert json.loads(out) == endpoints  # --json: the endpoints on stdout
    assert "alice" in err and "Landing page" in err and "Sandbox stopped." in err
    assert not any(_port_open(port) for port in ports)
    assert not endpoints_file.exists()  # removed with the ports it described


def test_up_with_2025_dialect(start_up: Starter) -> None:
    proc, endpoints_file = start_up("--dialect", "2025")
    endpoints = _wait_for(endpoints_file, proc)
    response = httpx.get(f"{endpoints['superposition_url']}/superposition/organisations", timeout=10)
    assert response.status_code == 401  # bearer auth through the Keycloak emulator
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_up_as_a_chosen_build(start_up: Starter) -> None:
    proc, endpoints_file = start_up("--build", "0.87")
    endpoints = _wait_for(endpoints_file, proc)
    health = httpx.get(f"{endpoints['superposition_url']}/health", timeout=10)  # no sign-in needed
    assert health.status_code == 200 and health.headers["X-SERVER-VERSION"] == "v0.87.0"
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "v0.87.0, org DefaultHyperOTAOrg" in err


def test_build_and_dialect_together_is_a_usage_error() -> None:
    assert cli_main(["sandbox", "up", "--build", "0.74", "--dialect", "2025"]) == 2


def _bearer(endpoints: dict[str, object]) -> dict[str, str]:
    """A token from the sandbox's device flow (the sandbox auto-approves)."""
    oidc = f"{endpoints['issuer']}/protocol/openid-connect"
    client = str(endpoints["client_id"])
    grant = httpx.post(f"{oidc}/auth/device", data={"client_id": client}, timeout=10).json()
    data = {
        "client_id": client,
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": grant["device_code"],
    }
    token = httpx.post(f"{oidc}/token", data=data, timeout=10)
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_up_with_broken_workspace_template(start_up: Starter) -> None:
    proc, endpoints_file = start_up("--broken-workspace-template", "--auto-approve", "alice")
    endpoints = _wait_for(endpoints_file, proc)
    try:
        sp = str(endpoints["superposition_url"])
        assert httpx.get(f"{sp}/__sandbox__/workspace-template", timeout=10).json() == {"broken": True}
        headers = {**_bearer(endpoints), "x-org-id": str(endpoints["superposition_org_id"])}
        workspace = {"workspace_name": "shop", "workspace_admin_email": "admin@example.com"}
        created = httpx.post(f"{sp}/workspaces", json=workspace, headers=headers, timeout=10)
        assert created.status_code == 200, created.text
        in_ws = {**headers, "x-workspace": "shop"}
        default = {"key": "v", "value": "0", "schema": {"type": "string"}, "description": "v"}
        default["change_reason"] = "setup"
        assert httpx.post(f"{sp}/default-config", json=default, headers=in_ws, timeout=10).is_success
        variants = [
            {"id": "c", "variant_type": "CONTROL", "overrides": {"v": "0"}},
            {"id": "e", "variant_type": "EXPERIMENTAL", "overrides": {"v": "1"}},
        ]
        experiment = {"name": "r", "context": {}, "description": "d", "change_reason": "r"}
        experiment["variants"] = variants
        failed = httpx.post(f"{sp}/experiments", json=experiment, headers=in_ws, timeout=10)
        assert failed.status_code == 500 and failed.json() == {"message": "Something went wrong"}
        assert httpx.get(f"{sp}/experiments", headers=in_ws, timeout=10).status_code == 500
        assert httpx.post(f"{sp}/workspaces/shop/db/migrate", headers=headers, timeout=10).is_success
        assert httpx.post(f"{sp}/experiments", json=experiment, headers=in_ws, timeout=10).is_success
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Workspace defect  ON" in err


def test_unknown_auto_approve_user_fails_with_validation_exit_code(start_up: Starter) -> None:
    proc, endpoints_file = start_up("--auto-approve", "mallory")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 5
    assert "unknown user" in err
    assert not endpoints_file.exists()


def test_bad_dialect_is_a_usage_error() -> None:
    assert cli_main(["sandbox", "up", "--dialect", "1999"]) == 2


def test_endpoints_file_from_up_imports_as_profile(start_up: Starter) -> None:
    proc, endpoints_file = start_up()
    endpoints = _wait_for(endpoints_file, proc)
    try:
        assert cli_main(["profile", "import", str(endpoints_file), "--name", "sandbox"]) == 0
        services = build_services(resolve_dirs(None))
        profile = services.profiles.get("sandbox")
        assert profile.s3_endpoint == endpoints["s3_endpoint"]
        assert services.profiles.static_aws_keys("sandbox") == (
            endpoints["aws_access_key_id"],
            endpoints["aws_secret_access_key"],
        )
        assert httpx.get(f"{profile.issuer}/.well-known/openid-configuration", timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_unwritable_endpoints_file_fails_and_stops_the_sandbox(tmp_path: Path) -> None:
    from io import StringIO

    from hyperota_desktop.cli.main import run

    err = StringIO()
    before = signal.getsignal(signal.SIGTERM)
    target = tmp_path / "missing-dir" / "endpoints.json"
    code = run(
        ["sandbox", "up", "--endpoints-file", str(target)],
        lambda args: build_services(resolve_dirs(None)),
        stdout=StringIO(),
        stderr=err,
    )
    assert code == 5
    assert "Cannot write the endpoints file" in err.getvalue()
    assert not target.exists()
    assert signal.getsignal(signal.SIGTERM) is before  # handlers restored
