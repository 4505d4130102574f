"""One integration test of the real keyring path: Secret Service (gnome-keyring) on a private D-Bus
session, as on a headless Linux machine. `hyperota login` saves the tokens there, a second process
(`whoami`) finds them, `logout` deletes them. Needs the Debian packages `gnome-keyring dbus-daemon`
(`make system-deps` installs them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperota_desktop.sandbox.http import RunningServer, serve
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator

pytestmark = pytest.mark.keyring_integration

CHILD = textwrap.dedent(
    """
    import json, subprocess, sys
    import keyring
    from hyperota_desktop.app.cli_entry import main

    def cli(*argv):
        done = subprocess.run([sys.executable, "-c",
            "import sys; from hyperota_desktop.app.cli_entry import main; raise SystemExit(main())",
            *argv], capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr

    issuer = sys.argv[1]
    result = {"backend": type(keyring.get_keyring()).__module__}
    result["add"] = cli("profile", "add", "kc", "--issuer", issuer)[0]
    result["login"] = cli("login", "--profile", "kc")
    result["stored"] = keyring.get_password("hyperota-desktop", "kc/oidc_refresh_token") is not None
    result["whoami"] = cli("whoami", "--profile", "kc", "--json")
    result["logout"] = cli("logout", "--profile", "kc")[0]
    result["after_logout"] = keyring.get_password("hyperota-desktop", "kc/oidc_refresh_token")
    print(json.dumps(result))
    """
)


@pytest.fixture(scope="module")
def kc_server() -> Iterator[tuple[KeycloakEmulator, RunningServer]]:
    kc = KeycloakEmulator(poll_interval=1, auto_approve="dave")
    running = serve(kc.wsgi, "keycloak-keyring-test")
    yield kc, running
    running.stop()


def test_tokens_in_a_real_secret_service_keyring(
    kc_server: tuple[KeycloakEmulator, RunningServer], tmp_path: Path
) -> None:
    missing = [tool for tool in ("gnome-keyring-daemon", "dbus-run-session") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (Debian: apt-get install gnome-keyring dbus-daemon)")
    kc, server = kc_server
    (tmp_path / "child.py").write_text(CHILD)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_RUNTIME_DIR": str(runtime),
        "HYPEROTA_HOME": str(tmp_path / "hyperota"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
    }
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    script = (
        "echo -n sandbox-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && "
        f'"{sys.executable}" child.py "$ISSUER"'
    )
    env["ISSUER"] = kc.issuer(server.url)
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["backend"] == "keyring.backends.SecretService"
    assert result["add"] == 0
    assert result["login"][0] == 0, result["login"][2]
    assert "No OS keyring" not in result["login"][2]
    assert result["stored"] is True
    code, out, err = result["whoami"]
    assert code == 0, err
    assert json.loads(out)["username"] == "dave"  # a second process found the tokens in the keyring
    assert result["logout"] == 0
    assert result["after_logout"] is None
    files = [p for p in (tmp_path / "hyperota").rglob("*") if p.is_file()]
    assert files and all(b"eyJ" not in p.read_bytes() for p in files)  # no JWT written by us
