"""Demo content: made through the client's own services, visible to every sandbox user, idempotent."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.app.cli_entry import main as cli_main
from hyperota_desktop.app.container import build_services
from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.membership import MemberScope
from hyperota_desktop.domain.releases import ReleaseAction, ReleaseStatus
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.services.demo import DEMO_PROFILE, seed_demo
from hyperota_desktop.stores.dirs import AppDirs
from tests.support.release_env import a_device, make_release_env
from tests.support.resources import open_files_under, open_http_clients


@pytest.fixture(scope="module", params=["0.117", "0.74"])
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with Sandbox.start(build=request.param) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_demo_packages(sb: Sandbox) -> None:
    """S3 is one state per process (sandbox/aws.py): every test makes the demo's packages afresh, not
    finds those an earlier test (with another sandbox) published."""
    s3 = sb.aws.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sb.aws.bucket, Prefix="demo/shop/"):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=sb.aws.bucket, Delete={"Objects": keys})


@pytest.fixture
def sandbox_services(tmp_path: Path) -> Iterator[AppServices]:
    """The services of a `--sandbox` run; whatever a failed test left running, no saga lock stays open
    to fail a later test when it is collected."""
    services = build_services(AppDirs.under(tmp_path / "home"), profile_override="sandbox")
    yield services
    services.journal.close()


async def test_seed_demo_makes_a_living_system_and_leaves_no_secrets(
    sb: Sandbox, tmp_path: Path, memory_keyring: Any
) -> None:
    services = build_services(AppDirs.under(tmp_path / "home"))
    said: list[str] = []
    before = open_http_clients()
    content = await seed_demo(services, sb.endpoints, lambda code: sb.keycloak.approve(code, "alice"),
                              tmp_path / "work", said.append)  # fmt: skip
    assert "publishing package 3" in said and "ramping package 2 to 20% of devices" in said
    assert not [k for k in memory_keyring.store if DEMO_PROFILE in str(k)]  # tokens and keys gone
    assert open_http_clients() - before == set()  # its temporary profile's services were closed
    assert open_files_under(tmp_path / "home") == []
    assert services.journal.list(unfinished_only=True) == []
    assert [p.name for p in services.profiles.list()] == []  # the temporary profile was never saved
    bob = make_release_env(sb, "bob", tmp_path / "bob")  # a reader of the organisation sees it all
    try:
        assert await bob.org_env.orgs.level(MemberScope("demo", "shop")) is AccessLevel.READ
        dave = make_release_env(sb, "dave", tmp_path / "dave")
        try:  # the seed's writer of demo may act on shop's releases
            assert ReleaseAction.RAMP in (await dave.releases.detail("demo", "shop", content.ramping)).allowed
        finally:
            await dave.aclose()
        page = await bob.releases.page("demo", "shop")
        rows = {r.id: r for r in page.items}
        assert (
            rows[content.concluded].status is ReleaseStatus.CONCLUDED
            and rows[content.concluded].package_version == 1
        )
        ramping = rows[content.ramping]
        assert (
            ramping.status is ReleaseStatus.INPROGRESS
            and ramping.traffic == 20
            and ramping.package_version == 2
        )
        assert [d.name for d in await bob.dimensions.all("demo", "shop")] == ["city", "tier"]
        assert await bob.packages.list_versions("demo", "shop") == [3, 2, 1]
        assert (await bob.packages.tags("demo", "shop")) == {"stable": 1, "beta": 3}
        seen = {
            (
                await bob.previews.preview("demo", "shop", {}, **a_device(sb, f"d{i}", i * 100 // 40))
            ).package_version
            for i in range(40)
        }
        assert seen == {1, 2}
    finally:
        await bob.aclose()
    again = await seed_demo(services, sb.endpoints, lambda code: sb.keycloak.approve(code, "alice"),
                            tmp_path / "work2")  # fmt: skip
    assert (again.concluded, again.ramping) == (content.concluded, content.ramping)  # nothing made twice


@pytest.mark.slow
def test_sandbox_up_demo_as_a_process(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build = sb.superposition.build.key  # the same build as the module's sandbox, in a process of its own
    endpoints = tmp_path / "sb.json"
    err_file = (tmp_path / "err.txt").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hyperota_desktop.app.cli_entry", "sandbox", "up", "--demo", "--auto-approve",
         "bob", "--endpoints-file", str(endpoints), "--build", build],
        stdout=subprocess.DEVNULL, stderr=err_file, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while "Demo ready" not in (tmp_path / "err.txt").read_text():
            assert proc.poll() is None, (tmp_path / "err.txt").read_text()
            assert time.monotonic() < deadline, "no demo"
            time.sleep(0.2)
        assert cli_main(["profile", "import", str(endpoints), "--name", "sb"]) == 0
        assert cli_main(["login", "--profile", "sb"]) == 0  # auto-approved as bob
        capsys.readouterr()
        assert (
            cli_main(["release", "list", "--org", "demo", "--app", "shop", "--profile", "sb", "--json"]) == 0
        )
        rows = json.loads(capsys.readouterr().out)["releases"]
        assert sorted(r["status_text"] for r in rows) == ["ramping (20%)", "released"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        err_file.close()


async def test_the_gui_sandbox_makes_the_demo_in_the_background(
    sb: Sandbox, tmp_path: Path, sandbox_services: AppServices
) -> None:
    """What `hyperota-desktop --sandbox` calls after start (and cancels on quit)."""
    if sb.superposition.build.key != "0.117":
        pytest.skip("the GUI's sandbox runs the default build")
    from hyperota_desktop.app.sandbox_boot import SandboxBoot

    services = sandbox_services
    boot = SandboxBoot.start(services)
    try:
        await boot.start_demo()
        reader = make_release_env(boot.sandbox, "bob", tmp_path / "bob")
        try:
            statuses = {r.status for r in (await reader.releases.page("demo", "shop")).items}
            assert statuses == {ReleaseStatus.CONCLUDED, ReleaseStatus.INPROGRESS}
        finally:
            await reader.aclose()
        await boot.cancel_demo()  # done already: nothing to cancel
    finally:
        boot.stop()


async def test_a_demo_cancelled_at_quit_is_undone_and_leaves_nothing_open(
    sb: Sandbox, tmp_path: Path, memory_keyring: Any, sandbox_services: AppServices
) -> None:
    """The window closes while the demo publishes: its publish is undone (not left for a next start of
    a profile that is gone), its temporary profile's services closed, its sign-in forgotten."""
    if sb.superposition.build.key != "0.117":
        pytest.skip("the GUI's sandbox runs the default build")
    from hyperota_desktop.app.sandbox_boot import SandboxBoot

    services = sandbox_services
    boot = SandboxBoot.start(services)
    before = open_http_clients()
    try:  # the first file upload of the demo takes a while: the quit comes during it
        boot.sandbox.servers["aws"].faults.add("/demo/shop/", method="PUT", status=0, delay=1.0)
        demo = boot.start_demo()
        publishing: list[Any] = []
        for _ in range(4500):  # the application and its dimensions come first
            publishing = [
                r for r in services.journal.list(unfinished_only=True) if r.kind == "package.publish"
            ]
            if publishing or demo.done():
                break
            await asyncio.sleep(0.02)
        assert publishing, "the demo never started publishing"
        await boot.cancel_demo()
        assert demo.cancelled()
        record = services.journal.get(publishing[0].id)
        assert record is not None and record.status == "rolled_back"  # undone now, not at a next start
        assert services.journal.list(unfinished_only=True) == []
        assert not [k for k in memory_keyring.store if DEMO_PROFILE in str(k)]
        assert open_http_clients() - before == set()
        assert [f for f in open_files_under(tmp_path / "home") if DEMO_PROFILE in f or ".sqlite3" in f] == []
    finally:
        try:
            await boot.cancel_demo()  # a failed assertion above: still stopped as at quit
        finally:
            boot.stop()
