"""The mid-2025 workspace defect against the emulator's 2025 dialect (v0.87): detected, named, repaired.
Also: that dialect's workspace create (strict mode required) and PUT-only updates work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.domain.errors import PermissionDenied
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.superposition import BrokenWorkspace
from tests.support.org_env import make_env


@pytest.fixture(scope="module")
def sb2025() -> Iterator[Sandbox]:
    with Sandbox.start(dialect="2025") as running:
        yield running


def experiment(client: Any) -> dict[str, Any]:
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


async def test_broken_workspace_is_detected_named_and_migrated(sb2025: Sandbox, tmp_path: Path) -> None:
    env = make_env(sb2025, "alice", tmp_path)
    try:
        sb2025.superposition.set_broken_workspace_template(True)
        try:
            record = await env.orgs.create_app("demo", "brokenapp")
        finally:
            sb2025.superposition.set_broken_workspace_template(False)
        workspace = record.data["workspace"]
        client = env.backends.superposition
        assert client.dialect.legacy and client.dialect.condition({"city": "x"}) == {
            "and": [{"==": [{"var": "city"}, "x"]}]
        }
        with pytest.raises(BrokenWorkspace) as broken:
            await client.create_experiment(workspace, experiment(client))
        assert broken.value.workspace == workspace
        assert f"/workspaces/{workspace}/db/migrate" in broken.value.user_text()
        assert "experiment_type" in broken.value.message

        bob = make_env(sb2025, "bob", tmp_path / "bob")
        try:
            with pytest.raises(PermissionDenied, match="need admin access"):
                await bob.orgs.migrate_workspace("demo", "brokenapp")
        finally:
            await bob.aclose()
        await env.orgs.migrate_workspace("demo", "brokenapp")
        created = await client.create_experiment(workspace, experiment(client))
        assert created["status"] == "CREATED"

        await env.orgs.delete_app("demo", "brokenapp")  # PUT-only update with the admin email
        assert sb2025.superposition.workspaces[(sb2025.org_id, workspace)].status == "DISABLED"
    finally:
        await env.aclose()


async def test_a_database_error_naming_the_column_is_a_broken_workspace(
    sb2025: Sandbox, tmp_path: Path
) -> None:
    env = make_env(sb2025, "alice", tmp_path)
    try:
        workspace = (await env.orgs.create_app("demo", "dbmsg")).data["workspace"]
        body = {"message": 'column "experiment_type" of relation "experiments" does not exist'}
        sb2025.servers["superposition"].faults.add(r"^/experiments$", method="POST", status=500, body=body)
        with pytest.raises(BrokenWorkspace, match=workspace):
            await env.backends.superposition.create_experiment(
                workspace, experiment(env.backends.superposition)
            )
    finally:
        sb2025.servers["superposition"].faults.clear()
        await env.aclose()


async def test_webhook_failures_and_locks(sb2025: Sandbox, tmp_path: Path) -> None:
    env = make_env(sb2025, "alice", tmp_path)
    client = env.backends.superposition
    try:
        workspace = (await env.orgs.create_app("demo", "locks")).data["workspace"]
        faults = sb2025.servers["superposition"].faults
        faults.add(
            rf"^/workspaces/{workspace}$", method="PUT", status=409, body={"lock": {"by": "x"}}, times=2
        )
        await client.set_workspace_status(workspace, "DISABLED")
        assert sb2025.superposition.workspaces[(sb2025.org_id, workspace)].status == "DISABLED"
        faults.add(r"^/workspaces/", method="PUT", status=512, body={"message": "webhook down"}, times=1)
        await client.set_workspace_status(workspace, "ENABLED")
        assert any("webhook" in w for w in client.warnings)
    finally:
        sb2025.servers["superposition"].faults.clear()
        await env.aclose()
