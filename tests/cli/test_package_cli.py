"""`hyperota package …` against moto over HTTP, with a profile imported from an endpoints file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hyperota_desktop.app.cli_entry import main as cli_main
from hyperota_desktop.sandbox.runtime import Sandbox
from tests.support import bundles
from tests.support.signin import grant, sign_in


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], sandbox: Sandbox, tmp_path: Path):
    """`hyperota` on the sandbox, signed in as dave, who may write to cli/a1 and cli/a2."""
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps(sandbox.endpoints))

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli_main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("profile", "import", str(path), "--name", "sb")[0] == 0
    assert run("profile", "use", "sb")[0] == 0
    for app in ("a1", "a2"):
        grant(sandbox, "dave", f"/cli/{app}/write")
    sign_in(sandbox, "sb", "dave")
    return run


def test_publish_list_show_diff_tag(cli, tmp_path: Path) -> None:
    root = bundles.react_native(tmp_path / "rn")
    code, out, err = cli(
        "package", "publish", "--org", "cli", "--app", "a1", str(root), "--tag", "beta", "--json"
    )
    assert code == 0, err
    first = json.loads(out)
    assert first["version"] == 1 and first["files"] == 4 and first["bytes_skipped"] == 0
    assert first["bytes_uploaded"] > 0
    (root / "index.android.bundle").write_bytes(b"changed!")
    code, out, _ = cli("package", "publish", "--org", "cli", "--app", "a1", str(root), "--json")
    second = json.loads(out)
    assert (second["version"], second["bytes_uploaded"]) == (2, len(b"changed!"))
    code, out, _ = cli("package", "list", "--org", "cli", "--app", "a1", "--json")
    listed = json.loads(out)
    assert [p["version"] for p in listed["packages"]] == [2, 1] and listed["packages"][1]["tags"] == ["beta"]
    code, out, _ = cli("package", "show", "--org", "cli", "--app", "a1", "2", "--json")
    assert json.loads(out)["index"] == "index.android.bundle"
    code, out, _ = cli("package", "diff", "--org", "cli", "--app", "a1", "1", "2")
    assert code == 0 and "~ index.android.bundle" in out
    code, out, _ = cli("package", "tag", "--org", "cli", "--app", "a1", "2", "beta")
    assert code == 0
    code, out, _ = cli("package", "list", "--org", "cli", "--app", "a1")
    assert "beta" in out.splitlines()[1] and out.splitlines()[1].split()[0] == "2"


def test_refused_bundle_exits_5_and_uploads_nothing(cli, sandbox: Sandbox, tmp_path: Path) -> None:
    aws = sandbox.aws
    import zipfile

    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("../escape.js", b"x")
        zf.writestr("index.android.bundle", b"js")
    code, out, err = cli("package", "publish", "--org", "cli", "--app", "a2", str(bad), "--json")
    assert code == 5 and "'..'" in err
    assert json.loads(out)["error"]["message"]
    listed = aws.client("s3").list_objects_v2(Bucket=aws.bucket, Prefix="cli/a2/")
    assert listed.get("KeyCount", 0) == 0
    code, _, err = cli("package", "show", "--org", "cli", "--app", "a2", "7")
    assert code == 4
