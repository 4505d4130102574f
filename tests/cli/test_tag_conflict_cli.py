"""`hyperota package tag` when someone else moves the tag between its read and its write: the conditional
PUT fails, the command says who moved it to which version and that nothing changed, exits with the
conflict's code (5, `Conflict`), and the tag stays where the other person put it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from hyperota_desktop.domain.errors import Conflict
from hyperota_desktop.sandbox.runtime import Sandbox
from tests.cli.test_package_cli import cli  # noqa: F401 - the fixture: `hyperota` signed in as dave
from tests.support import bundles
from tests.support.signin import grant


def test_package_tag_says_who_moved_the_tag_meanwhile(
    cli,  # noqa: F811 - the imported fixture
    sandbox: Sandbox,
    tmp_path: Path,
) -> None:
    aws = sandbox.aws
    app = f"cas-{uuid.uuid4().hex[:8]}"
    grant(sandbox, "dave", f"/cli/{app}/write")
    target = ("--org", "cli", "--app", app)
    root = bundles.react_native(tmp_path / "rn")
    assert cli("package", "publish", *target, str(root), "--tag", "beta")[0] == 0
    for content in (b"second", b"third"):
        (root / "index.android.bundle").write_bytes(content)
        assert cli("package", "publish", *target, str(root))[0] == 0
    key = f"cli/{app}/tags/beta.json"
    bobs = {"tag": "beta", "version": 3, "updated_by": "bob", "updated_at": "2026-01-02T00:00:00+00:00"}

    def bob_moves_it_first(_method: str, _path: str) -> None:  # after dave's read, before his PUT lands
        aws.client("s3").put_object(Bucket=aws.bucket, Key=key, Body=json.dumps(bobs).encode())

    aws.server.faults.add(f"/{key}$", method="PUT", status=0, times=1, on_hit=bob_moves_it_first)
    try:
        code, _out, err = cli("package", "tag", *target, "2", "beta")
    finally:
        aws.server.faults.clear()
    assert code == int(Conflict.exit_code) == 5, err
    assert f"Tag 'beta' of cli/{app} was moved to version 3 by bob meanwhile; nothing changed." in err
    assert "Look at the tags again, then move it if you still want to." in err
    stored = json.loads(aws.client("s3").get_object(Bucket=aws.bucket, Key=key)["Body"].read())
    assert stored == bobs
    code, out, _ = cli("activity", "--json", *target)
    moves = [r for r in json.loads(out) if r["kind"] == "package.tag"]
    assert [(r["params"]["version"], r["status"]) for r in moves] == [(2, "rolled_back")]
