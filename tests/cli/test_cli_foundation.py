from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hyperota_desktop.app.cli_entry import main as cli_main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version_and_help_document_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("hyperota ")
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for line in ("3  authentication", "4  permission denied or not found", "6  backend unavailable"):
        assert line in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "profile", "frobnicate")
    assert code == 2 and "invalid choice" in err


def test_global_options_work_before_the_group_and_after_the_verb(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    home = tmp_path / "elsewhere"
    issuer = "https://sso.example.com/realms/x"
    code, _, _ = run(capsys, "--profile-dir", str(home), "profile", "add", "a", "--issuer", issuer)
    assert code == 0
    code, out, _err = run(capsys, "profile", "list", "--json", "--profile-dir", str(home))
    assert code == 0 and json.loads(out)[0]["name"] == "a"
    code, out, _ = run(capsys, "--json", "--profile-dir", str(home), "profile", "show")
    assert json.loads(out)["issuer"] == issuer
    assert (home / "config" / "profiles.json").exists()


def test_profile_override_does_not_change_the_active_profile(capsys: pytest.CaptureFixture[str]) -> None:
    issuer = "https://sso.example.com/realms/x"
    run(capsys, "profile", "add", "a", "--issuer", issuer)
    run(capsys, "profile", "add", "b", "--issuer", issuer)
    _code, out, _ = run(capsys, "--json", "--profile", "b", "profile", "show")
    assert json.loads(out)["name"] == "b"
    _code, out, _ = run(capsys, "--json", "profile", "show")
    assert json.loads(out)["name"] == "a"


def test_invalid_profile_exits_5_with_json_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--json", "profile", "add", "x", "--issuer", "http://evil.example/realms/a")
    assert code == 5
    assert json.loads(out)["error"]["type"] == "ValidationError"
    assert "https" in err


def test_missing_profile_exits_4(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "profile", "use", "ghost")
    assert code == 4 and "ghost" in err


def test_export_import_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    issuer = "https://sso.example.com/realms/x"
    run(capsys, "profile", "add", "a", "--issuer", issuer, "--bucket", "ota-files")
    out_file = tmp_path / "a.json"
    assert run(capsys, "profile", "export", "a", "-o", str(out_file))[0] == 0
    code, _, _ = run(capsys, "profile", "import", str(out_file), "--name", "copy")
    assert code == 0
    code, out, _ = run(capsys, "--json", "profile", "show", "copy")
    assert json.loads(out)["bucket"] == "ota-files"
    assert "secret" not in out_file.read_text()


def test_import_refuses_garbage(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert run(capsys, "profile", "import", str(bad))[0] == 5
    bad.write_text("{")
    assert run(capsys, "profile", "import", str(bad))[0] == 5
    assert run(capsys, "profile", "import", str(tmp_path / "missing.json"))[0] == 5


def test_import_of_sandbox_endpoints_puts_keys_in_the_keyring(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, memory_keyring
) -> None:
    endpoints = {
        "issuer": "http://127.0.0.1:1/realms/hyperota",
        "client_id": "hyperota-desktop",
        "realm": "hyperota",
        "keycloak_url": "http://127.0.0.1:1",
        "superposition_url": "http://127.0.0.1:2",
        "superposition_org_id": "orgid1",
        "s3_endpoint": "http://127.0.0.1:3",
        "region": "us-east-1",
        "bucket": "hyperota",
        "aws_access_key_id": "testing-key",
        "aws_secret_access_key": "testing-secret",
        "kms_data_key": "alias/hyperota-data",
        "kms_signing_key": "alias/hyperota-signing",
        "public_base_url": "http://127.0.0.1:3/hyperota/",
        "users": {},
    }
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps(endpoints))
    assert run(capsys, "profile", "import", str(path), "--name", "sandbox")[0] == 0
    profiles_file = Path(__import__("os").environ["HYPEROTA_HOME"]) / "config" / "profiles.json"
    assert "testing-secret" not in profiles_file.read_text()
    assert memory_keyring.store[("hyperota-desktop", "sandbox/aws_secret_access_key")] == "testing-secret"


def test_headless_cli_never_loads_qt_widgets(tmp_path: Path) -> None:
    code = (
        "import sys; from hyperota_desktop.app.cli_entry import main; main(['profile','list']); "
        "print('QtWidgets' in ' '.join(sys.modules))"
    )
    env = {"HYPEROTA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip().endswith("False")


def test_module_entry_point_prints_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hyperota_desktop", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("hyperota-desktop ")
