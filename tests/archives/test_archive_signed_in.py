"""Export and import through the CLI on the whole sandbox, signed in: access levels come from Keycloak."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.app.cli_entry import main as cli_main
from hyperota_desktop.sandbox.runtime import Sandbox
from tests.support import bundles


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox.start() as running:
        yield running


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], sb: Sandbox, tmp_path: Path) -> Any:
    def run(*argv: str) -> tuple[int, str, str]:
        code = cli_main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    (tmp_path / "endpoints.json").write_text(json.dumps(sb.endpoints))
    assert run("profile", "import", str(tmp_path / "endpoints.json"), "--name", "sb")[0] == 0
    assert run("profile", "use", "sb")[0] == 0
    return run


def _login(cli: Any, sb: Sandbox, user: str) -> None:
    cli("logout")
    sb.keycloak.set_auto_approve(user)
    try:
        code, _, err = cli("login")
    finally:
        sb.keycloak.set_auto_approve(None)
    assert code == 0, err


def test_export_then_import_twice_and_access_levels(cli: Any, sb: Sandbox, tmp_path: Path) -> None:
    org = f"arc{uuid.uuid4().hex[:8]}"
    _login(cli, sb, "alice")
    assert cli("org", "create", org)[0] == 0
    for app in ("one", "two"):
        code, _, err = cli("app", "create", "--org", org, app)
        assert code == 0, err
    root = bundles.react_native(tmp_path / "rn")
    assert cli("package", "publish", "--org", org, "--app", "one", str(root), "--tag", "stable")[0] == 0
    code, out, err = cli("archive", "export", "--org", org, "--app", "one", "--tag", "stable", "-o",
                         str(tmp_path / "p.hota"), "--sign", "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["signed"]
    code, out, err = cli(
        "archive", "import", str(tmp_path / "p.hota"), "--org", org, "--app", "two", "--json"
    )
    assert code == 0, err  # trusted through the profile's signing key (KMS)
    first = json.loads(out)
    assert (first["version"], first["adopted"]) == (1, False) and first["verification"]["trusted"]
    code, out, err = cli("archive", "import", str(tmp_path / "p.hota"), "--org", org, "--app", "two")
    assert code == 0 and "already has this package as version 1: nothing new" in out
    code, out, _ = cli("package", "list", "--org", org, "--app", "two", "--json")
    assert [p["version"] for p in json.loads(out)["packages"]] == [1]

    _login(cli, sb, "bob")  # no role in the organisation
    code, _, err = cli("archive", "import", str(tmp_path / "p.hota"), "--org", org, "--app", "two")
    assert code == 4 and f"no access to {org}/two" in err  # the services' one authorizer says why
    code, _, err = cli("archive", "export", "--org", org, "--app", "one", "--version", "1", "-o",
                       str(tmp_path / "b.hota"))  # fmt: skip
    assert code == 4 and f"no access to {org}/one" in err and not (tmp_path / "b.hota").exists()


def test_a_release_exported_and_imported_through_the_cli(cli: Any, sb: Sandbox, tmp_path: Path) -> None:
    org = f"rel{uuid.uuid4().hex[:8]}"
    _login(cli, sb, "alice")
    assert cli("org", "create", org)[0] == 0
    for app in ("one", "two"):
        assert cli("app", "create", "--org", org, app)[0] == 0
        assert cli("dimension", "create", "--org", org, "--app", app, "city", "--kind", "string")[0] == 0
    root = bundles.react_native(tmp_path / "rn")
    assert cli("package", "publish", "--org", org, "--app", "one", str(root))[0] == 0
    code, out, err = cli("release", "create", "--org", org, "--app", "one", "--package", "1",
                         "--dim", "city=Pune", "--yes", "--json")  # fmt: skip
    assert code == 0, err
    release = json.loads(out)["release"]
    hota = str(tmp_path / "r.hota")
    code, out, err = cli("archive", "export", "--org", org, "--app", "one", "--release", release, "-o", hota)
    assert code == 0 and "Exported" in out, err
    code, _, err = cli("archive", "export", "--org", org, "--app", "one", "--release", release,
                       "--version", "1", "-o", hota)  # fmt: skip
    assert code == 5 and "--version N, --tag TAG or --release ID" in err
    code, out, err = cli(
        "archive", "import", hota, "--org", org, "--app", "two", "--allow-untrusted", "--json"
    )
    assert code == 0, err
    imported = json.loads(out)
    assert imported["release"]["status"] == "CREATED" and not imported["release"]["adopted"]
    code, out, err = cli("archive", "import", hota, "--org", org, "--app", "two", "--allow-untrusted")
    assert code == 0 and f"Its release is there already: release {imported['release']['id']}" in out, err
    code, out, _ = cli("release", "list", "--org", org, "--app", "two", "--json")
    assert [r["status"] for r in json.loads(out)["releases"]] == ["CREATED"]  # imported, never live
