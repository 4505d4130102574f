"""The client's Superposition work on each build (v0.74.0, v0.87.0, v0.117.1): workspace create with the
build's own body, default configs, organisation bootstrap, and the broken workspace (detected by its
symptom, repaired only when broken, verified after) — against the sandbox over HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest

from hyperota_desktop.domain.errors import BackendUnavailable, IntegrityError, PermissionDenied
from hyperota_desktop.domain.workspace_defaults import default_configs
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.superposition import BrokenWorkspace, SuperpositionClient
from tests.support.org_env import OrgEnv, make_env

VERSIONS = {"0.74": "v0.74", "0.87": "v0.87", "0.117": "v0.117"}
_names = count(1)


@pytest.fixture(scope="module", params=list(VERSIONS))
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """The sandbox as one Superposition build (named `sb` so tests/orgs/conftest.py uses it too)."""
    with Sandbox.start(build=request.param) as running:
        yield running


@pytest.fixture
async def alice(sb: Sandbox, tmp_path: Path) -> AsyncIterator[OrgEnv]:
    env = make_env(sb, "alice", tmp_path)
    yield env
    await env.aclose()


def app_name() -> str:
    return f"app{next(_names)}"


def sent_bodies(client: SuperpositionClient) -> list[tuple[str, str, Any]]:
    """Record every request the client sends (method, path, JSON body) from now on."""
    seen: list[tuple[str, str, Any]] = []

    async def hook(request: httpx.Request) -> None:
        body = json.loads(request.content) if request.content else None
        seen.append((request.method, request.url.path, body))

    assert client.api is not None
    client.api._client.event_hooks["request"].append(hook)
    return seen


def release(client: SuperpositionClient) -> dict[str, Any]:
    return {
        "name": "release-1",
        "context": client.dialect.condition({}),
        "variants": [
            {"id": "control", "variant_type": "CONTROL", "overrides": {"config.version": "0.0.0"}},
            {"id": "experimental", "variant_type": "EXPERIMENTAL", "overrides": {"config.version": "1.0.0"}},
        ],
        "description": "first release",
        "change_reason": "test",
    }


def migrations(sb: Sandbox) -> Any:
    """Count POST …/db/migrate calls that reach the server (a pass-through fault records its hits)."""
    faults = sb.servers["superposition"].faults
    faults.add(r"/db/migrate$", method="POST", status=0, times=1000)
    before = len(faults.hits)
    return lambda: sum(1 for method, path in faults.hits[before:] if path.endswith("/db/migrate"))


async def test_workspace_create_sends_the_builds_body_and_the_default_configs(
    sb: Sandbox, alice: OrgEnv
) -> None:
    client = alice.backends.superposition
    seen = sent_bodies(client)
    app = app_name()
    record = await alice.orgs.create_app("demo", app)
    workspace = record.data["workspace"]
    created = [body for method, path, body in seen if (method, path) == ("POST", "/workspaces")]
    expected = {"workspace_admin_email", "workspace_name", "workspace_status"}
    if sb.build == "0.74":
        expected |= {"workspace_strict_mode"}  # exactly what the seed's build takes
    elif sb.build == "0.87":
        expected |= {"workspace_strict_mode", "allow_experiment_self_approval", "auto_populate_control"}
    else:
        expected |= {"allow_experiment_self_approval", "auto_populate_control"}
    assert [set(body) for body in created] == [expected]
    order = [(method, path) for method, path, _ in seen]
    assert order.index(("GET", "/health")) < order.index(("POST", "/workspaces"))  # version first
    assert client.dialect.label == VERSIONS[sb.build]
    ws = sb.superposition.workspaces[(sb.org_id, workspace)]
    assert ws.status == "ENABLED" and not ws.strict_mode
    if sb.build != "0.74":
        assert ws.allow_experiment_self_approval and not ws.auto_populate_control
    assert await client.default_config_keys(workspace) == {c.key for c in default_configs(app)}
    got = await client.get_workspace(workspace)
    assert (got.self_approval is None) is (sb.build == "0.74")  # v0.74 has no such setting

    await alice.orgs.delete_app("demo", app)  # PUT-only update with the admin email, every build
    assert ws.status == "DISABLED"


async def test_an_unknown_server_version_gets_the_body_every_build_accepts(
    sb: Sandbox, alice: OrgEnv
) -> None:
    # A fault answer carries no X-SERVER-VERSION: the deployment did not say which version it is.
    sb.servers["superposition"].faults.add(r"^/health$", method="GET", status=200, body="ok", times=1)
    client = alice.backends.superposition
    seen = sent_bodies(client)
    await client.create_workspace(f"u{app_name()}", "alice@example.com")
    body = next(body for method, path, body in seen if (method, path) == ("POST", "/workspaces"))
    assert {"workspace_strict_mode", "allow_experiment_self_approval", "auto_populate_control"} <= set(body)
    assert client.dialect.label == VERSIONS[sb.build]  # learnt from the create's answer


async def test_organisation_bootstrap_finds_or_creates(sb: Sandbox, alice: OrgEnv) -> None:
    saved: list[Any] = []
    target = f"Boot{sb.build.replace('.', '')}"
    profile = alice.profile.with_changes(superposition_org_id="", superposition_org_name=target)
    service = type(alice.orgs)(alice.backends, alice.runner, profile, alice.authz, save_profile=saved.append)
    created = await service.ensure_superposition_org()
    assert sb.superposition.orgs[created].name == target and saved[-1].superposition_org_id == created
    again = type(alice.orgs)(alice.backends, alice.runner, profile, alice.authz, save_profile=saved.append)
    assert await again.ensure_superposition_org() == created  # found by name, not created twice
    alice.backends.superposition.org_id = sb.org_id


async def test_broken_workspace_is_detected_by_its_symptom_and_repaired(
    sb: Sandbox, alice: OrgEnv, tmp_path: Path
) -> None:
    app = app_name()
    sb.superposition.set_broken_workspace_template(True)
    try:
        workspace = (await alice.orgs.create_app("demo", app)).data["workspace"]  # config still works
    finally:
        sb.superposition.set_broken_workspace_template(False)
    client = alice.backends.superposition
    health = await alice.orgs.diagnose_workspace("demo", app)
    assert health.broken and health.workspace == workspace
    assert 'GET /experiments answered 500 "Something went wrong"' in health.evidence
    assert "GET /default-config answered 200" in health.evidence
    with pytest.raises(BrokenWorkspace) as broken:
        await client.create_experiment(workspace, release(client))
    assert broken.value.workspace == workspace and "experiment_type" in broken.value.message
    with pytest.raises(BrokenWorkspace):
        await client.experiments(workspace)  # reads fail the same way

    bob = make_env(sb, "bob", tmp_path / "bob")
    try:
        with pytest.raises(PermissionDenied, match="need admin access"):
            await bob.orgs.migrate_workspace("demo", app)
    finally:
        await bob.aclose()

    calls = migrations(sb)
    if sb.build == "0.74":  # no repair endpoint: say so, with what the operator can do, change nothing
        with pytest.raises(BrokenWorkspace) as refused:
            await alice.orgs.migrate_workspace("demo", app)
        assert (
            "v0.87" in refused.value.hint and "ADD COLUMN IF NOT EXISTS experiment_type" in refused.value.hint
        )
        assert f'"{sb.org_id}_{workspace}".experiments' in refused.value.hint
        assert calls() == 0 and sb.superposition.workspaces[(sb.org_id, workspace)].broken
        return
    assert f"/workspaces/{workspace}/db/migrate" in broken.value.user_text()
    outcome = await alice.orgs.migrate_workspace("demo", app)
    assert outcome.migrated and outcome.after is not None and outcome.after.healthy
    assert calls() == 1 and "repaired" in outcome.message()
    created = await client.create_experiment(workspace, release(client))
    assert created["status"] == "CREATED"
    assert [e["id"] for e in await client.experiments(workspace)] == [created["id"]]
    second = await alice.orgs.migrate_workspace("demo", app)
    assert not second.migrated and calls() == 1  # healthy now: nothing to repair, nothing sent


async def test_migrate_on_a_healthy_workspace_changes_nothing(sb: Sandbox, alice: OrgEnv) -> None:
    app = app_name()
    await alice.orgs.create_app("demo", app)
    calls = migrations(sb)
    outcome = await alice.orgs.migrate_workspace("demo", app)
    assert not outcome.migrated and outcome.after is None and calls() == 0
    assert "healthy: nothing to repair, nothing was changed" in outcome.message()
    assert outcome.to_json()["before"]["state"] == "healthy"


async def test_when_the_cause_is_unclear_nothing_is_changed(sb: Sandbox, alice: OrgEnv) -> None:
    app = app_name()
    workspace = (await alice.orgs.create_app("demo", app)).data["workspace"]
    faults = sb.servers["superposition"].faults
    faults.add(r"^/experiments$", method="GET", status=503, body={"message": "down"}, times=10)
    calls = migrations(sb)
    health = await alice.orgs.diagnose_workspace("demo", app)
    assert health.state == "unknown" and "GET /experiments answered 503" in health.evidence[0]
    with pytest.raises(BackendUnavailable, match="Nothing was changed"):
        await alice.orgs.migrate_workspace("demo", app)
    assert calls() == 0
    faults.clear()
    # One 500 from a healthy workspace is not a broken schema: the error stays what it was.
    faults.add(r"^/experiments$", method="POST", status=500, body={"message": "Something went wrong"})
    client = alice.backends.superposition
    with pytest.raises(BackendUnavailable) as failed:
        await client.create_experiment(workspace, release(client))
    assert not isinstance(failed.value, BrokenWorkspace)


async def test_a_migration_that_does_not_repair_is_reported(sb: Sandbox, alice: OrgEnv) -> None:
    if sb.build == "0.74":
        pytest.skip("v0.74 has no migration endpoint (covered above)")
    app = app_name()
    sb.superposition.set_broken_workspace_template(True)
    try:
        workspace = (await alice.orgs.create_app("demo", app)).data["workspace"]
    finally:
        sb.superposition.set_broken_workspace_template(False)
    answer = {"workspace_name": workspace, "workspace_status": "ENABLED"}
    sb.servers["superposition"].faults.add(r"/db/migrate$", method="POST", status=200, body=answer)
    with pytest.raises(IntegrityError, match="ran the migration"):
        await alice.orgs.migrate_workspace("demo", app)


async def test_webhook_failures_and_locks(sb: Sandbox, alice: OrgEnv) -> None:
    client = alice.backends.superposition
    workspace = (await alice.orgs.create_app("demo", app_name())).data["workspace"]
    faults = sb.servers["superposition"].faults
    faults.add(rf"^/workspaces/{workspace}$", method="PUT", status=409, body={"lock": {"by": "x"}}, times=2)
    await client.set_workspace_status(workspace, "DISABLED")
    assert sb.superposition.workspaces[(sb.org_id, workspace)].status == "DISABLED"
    faults.add(r"^/workspaces/", method="PUT", status=512, body={"message": "webhook down"}, times=1)
    await client.set_workspace_status(workspace, "ENABLED")
    assert any("webhook" in w for w in client.warnings)
