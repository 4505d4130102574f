"""Creating a release is a saga: a failure in the middle (injected with the emulator's fault API) leaves
no half-made release — no unfinished experiment, no stray variant context, nothing a device gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.domain.releases import ReleaseStatus
from hyperota_desktop.services.saga import SagaFailed
from hyperota_desktop.services.superposition import BrokenWorkspace
from tests.support.release_env import ReleaseEnv, a_device, new_app

ORG = "demo"


def experiments(sb: Any, workspace: str) -> dict[str, str]:
    with sb.superposition.lock:
        ws = sb.superposition.workspaces[(sb.org_id, workspace)]
        return {e["id"]: e["status"] for e in ws.experiments.values()}


def variant_contexts(sb: Any, workspace: str) -> list[dict]:
    with sb.superposition.lock:
        ws = sb.superposition.workspaces[(sb.org_id, workspace)]
        return [c for c in ws.contexts.values() if "variantIds" in c["condition"]]


@pytest.mark.parametrize(
    ("path", "method", "times", "step"),
    [
        (r"^/experiments/\d+/ramp$", "PATCH", 1, "start it for every device"),
        (r"^/experiments/\d+/conclude$", "PATCH", 1, "conclude it"),
        (r"^/experiments/\d+$", "GET", 3, "check what Superposition stored"),  # 3 = every retry
    ],
)
async def test_a_first_release_failing_midway_is_undone(
    alice: ReleaseEnv, sb: Any, tmp_path: Path, path: str, method: str, times: int, step: str
) -> None:
    app = await new_app(alice, tmp_path)
    workspace = await alice.releases.locator.workspace(ORG, app)
    sb.servers["superposition"].faults.add(path, method=method, status=503, times=times)
    with pytest.raises(SagaFailed, match="failed and was undone") as failed:
        await alice.releases.create(ORG, app, ReleaseDraft(package="1"))
    record = failed.value.record
    assert record is not None and record.status == "rolled_back"
    assert next(s for s in record.steps if s.status == "failed").name == step
    assert set(experiments(sb, workspace).values()) == {"DISCARDED"}  # made, then dropped
    assert variant_contexts(sb, workspace) == []
    preview = await alice.previews.preview(ORG, app, {}, **a_device(sb))
    assert preview.config is None  # no device got anything
    created = await alice.releases.create(ORG, app, ReleaseDraft(package="1"))  # and it works again
    assert created.release.status is ReleaseStatus.CONCLUDED


async def test_a_release_on_a_broken_workspace_leaves_no_variant_contexts(
    alice: ReleaseEnv, sb: Any, tmp_path: Path
) -> None:
    """v0.74's schema defect: every experiment request answers 500 (the server reads the active
    experiments before writing anything). The release fails with BrokenWorkspace naming the repair
    (db/migrate from v0.87, the operator's SQL on v0.74), leaves nothing behind, and works once repaired."""
    app = await new_app(alice, tmp_path)
    await alice.releases.create(ORG, app, ReleaseDraft(package="1"))
    workspace = await alice.releases.locator.workspace(ORG, app)
    before = experiments(sb, workspace)
    sb.superposition.break_workspace(sb.org_id, workspace)
    with pytest.raises(BrokenWorkspace) as failed:  # the review reads the releases: nothing started
        await alice.releases.create(ORG, app, ReleaseDraft(package="2", target={"city": "Pune"}))
    with pytest.raises(BrokenWorkspace):
        await alice.releases.page(ORG, app)  # reading the releases names the defect too
    if sb.superposition.build.db_migrate:
        assert "db/migrate" in failed.value.user_text()
        await alice.org_env.orgs.migrate_workspace(ORG, app)
    else:  # v0.74 has no repair endpoint: the operator runs the SQL the hint gives
        assert "ALTER TABLE" in failed.value.user_text() and "v0.87" in failed.value.user_text()
        with pytest.raises(BrokenWorkspace, match="cannot store experiments"):
            await alice.org_env.orgs.migrate_workspace(ORG, app)
        with sb.superposition.lock:
            sb.superposition.workspaces[(sb.org_id, workspace)].broken = False
    assert experiments(sb, workspace) == before and variant_contexts(sb, workspace) == []  # nothing written
    created = await alice.releases.create(ORG, app, ReleaseDraft(package="2", target={"city": "Pune"}))
    assert created.release.status is ReleaseStatus.CREATED and len(variant_contexts(sb, workspace)) == 2


async def test_a_target_taken_between_review_and_create_is_refused(
    alice: ReleaseEnv, as_user: Any, sb: Any, tmp_path: Path
) -> None:
    """The saga checks the target again: someone may have started a release for it meanwhile."""
    app = await new_app(alice, tmp_path)
    await alice.releases.create(ORG, app, ReleaseDraft(package="1"))
    from hyperota_desktop.services.release_create import create_steps

    params = {"force": False, "target": {"city": "Pune"}, "body": {}, "marker": "m"}

    async def api_for(_p: dict[str, Any]) -> Any:
        return await alice.releases._api(ORG, app)

    check = create_steps(api_for, params)[0]
    await check.run(None)  # type: ignore[arg-type]  # nothing there yet: passes
    await alice.releases.create(ORG, app, ReleaseDraft(package="2", target={"city": "Pune"}))
    with pytest.raises(Exception, match="is unfinished for devices with city=Pune"):
        await check.run(None)  # type: ignore[arg-type]


async def test_v074_in_prod_refuses_the_author_and_the_first_release_is_undone(
    alice: ReleaseEnv, sb: Any, tmp_path: Path
) -> None:
    """v0.74 with APP_ENV=PROD: an experiment's author may not start it (`user_allowed_to_ramp`), and no
    workspace setting says so. The one-step first release fails at the start and leaves nothing."""
    if sb.superposition.build.key != "0.74":
        pytest.skip("v0.74 only")
    sb.superposition.app_env = "PROD"  # read when a workspace is created
    try:
        app = await new_app(alice, tmp_path)
    finally:
        sb.superposition.app_env = "DEV"
    with pytest.raises(SagaFailed, match="failed and was undone") as failed:
        await alice.releases.create(ORG, app, ReleaseDraft(package="1"))
    assert "not allowed to start" in failed.value.user_text()
    workspace = await alice.releases.locator.workspace(ORG, app)
    assert set(experiments(sb, workspace).values()) == {"DISCARDED"}
    assert variant_contexts(sb, workspace) == []
