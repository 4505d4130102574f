"""Issue 16 item 8 from the command line: `hyperota package tag` is journalled, and `hyperota activity`
lists it with who moved the tag, to which version and from which one; a refused tag change (a version
that does not exist) exits with its typed code and journals nothing."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from hyperota_desktop.sandbox.runtime import Sandbox
from tests.cli.test_package_cli import cli  # noqa: F401 - the fixture: `hyperota` signed in as dave
from tests.support import bundles
from tests.support.signin import grant


def test_package_tag_then_activity_lists_who_what_and_from_where(
    cli,  # noqa: F811 - the imported fixture
    sandbox: Sandbox,
    tmp_path: Path,
) -> None:
    app = f"tags-{uuid.uuid4().hex[:8]}"
    grant(sandbox, "dave", f"/cli/{app}/write")
    target = ("--org", "cli", "--app", app)
    root = bundles.react_native(tmp_path / "rn")
    assert cli("package", "publish", *target, str(root), "--tag", "beta")[0] == 0
    (root / "index.android.bundle").write_bytes(b"second")
    assert cli("package", "publish", *target, str(root))[0] == 0

    code, out, err = cli("package", "tag", *target, "2", "beta", "--json")
    assert code == 0, err
    assert json.loads(out) == {
        "org": "cli", "app": app, "tag": "beta", "version": 2, "moved_from": 1, "changed": True,
    }  # fmt: skip
    code, out, _ = cli("package", "tag", *target, "1", "stable")
    assert code == 0 and out.strip() == f"Tag 'stable' of cli/{app} now points at version 1 (a new tag)."

    code, out, _ = cli("activity", *target)
    assert code == 0
    lines = out.splitlines()
    moved = next(i for i, line in enumerate(lines) if f"Move tag 'beta' of cli/{app} to version 2" in line)
    assert "done" in lines[moved] and "(by dave" in lines[moved] and "package.tag" in lines[moved]
    assert lines[moved + 1].strip() == "result: tag beta → version 2 (moved from version 1)"
    assert "result: tag stable → version 1 (a new tag)" in out

    code, out, _ = cli("activity", "--json", *target)
    records = [r for r in json.loads(out) if r["kind"] == "package.tag"]
    assert [(r["params"]["tag"], r["params"]["version"], r["status"]) for r in records] == [
        ("stable", 1, "done"),
        ("beta", 2, "done"),
    ]
    assert records[1]["actor"].startswith("dave")
    assert records[1]["outcome"] == "tag beta → version 2 (moved from version 1)"

    # A version that does not exist: NotFound (exit 4), nothing moved, nothing journalled.
    code, _, err = cli("package", "tag", *target, "9", "beta")
    assert code == 4 and "not found" in err
    code, out, _ = cli("activity", "--json", *target)
    assert len([r for r in json.loads(out) if r["kind"] == "package.tag"]) == 2
    code, out, _ = cli("package", "list", *target, "--json")
    listed = json.loads(out)["packages"]
    assert [(p["version"], p["tags"]) for p in listed] == [(2, ["beta"]), (1, ["stable"])]
