"""One intent, one version: a publish killed mid-upload and run again gives one package, not two."""

from __future__ import annotations

import os
from pathlib import Path

from hyperota_desktop.sandbox.runtime import Sandbox
from tests.reliability.conftest import fresh_org
from tests.reliability.harness import Home
from tests.reliability.invariants import Expect, audit
from tests.support import bundles

MiB = 1024 * 1024


def big_bundle(root: Path) -> Path:
    """An app whose bundle is uploaded in parts (12 MiB: three 5 MiB parts at the suite's settings)."""
    return bundles.write(root, {
        "index.android.bundle": b"var app = 1;" + os.urandom(12 * MiB),
        "drawable-mdpi/logo.png": b"\x89PNG logo" + os.urandom(64),
    })  # fmt: skip


async def _org_app(home: Home) -> tuple[str, str]:
    org, app = fresh_org(), "shop"
    async with home.services() as s:
        await s.orgs.create_org(org)
        await s.orgs.create_app(org, app)
    return org, app


async def test_a_publish_killed_mid_upload_then_run_again_gives_one_version(
    home: Home, sb: Sandbox, tmp_path: Path
) -> None:
    org, app = await _org_app(home)
    root = big_bundle(tmp_path / "bundle")
    command = ("package", "publish", "--org", org, "--app", app, str(root), "--tag", "beta", "--json")
    killed = home.cli(*command, crash_at="parts:1")
    assert killed.crashed, killed
    again = home.cli(*command)
    assert again.code == 0, again
    result = again.json()
    assert result["version"] == 1 and result["finished_interrupted"], again
    assert "interrupted" in again.err and "not published again" in again.err, again.err
    assert audit(sb, org, Expect(apps={app}, packages={app: [1]}), journal=home.journal()) == []
    listed = home.cli("package", "list", "--org", org, "--app", app, "--json").json()
    assert [(p["version"], p["tags"]) for p in listed["packages"]] == [(1, ["beta"])]

    # A later, deliberate publish of the same bundle is a new intent: a new version.
    third = home.cli(*command)
    assert third.code == 0 and third.json()["version"] == 2 and not third.json()["finished_interrupted"]
