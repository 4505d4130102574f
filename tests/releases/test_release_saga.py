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
from tests.support.release_env import ReleaseEnv, new_app

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
    preview = await alice.previews.preview(ORG, app, {}, identifier="dev-1")
    assert preview.config is None  # no device got anything
    created = await alice.releases.create(ORG, app, ReleaseDraft(package="1"))  # and it works again
    assert created.release.status is ReleaseStatus.CONCLUDED


async def test_a_release_on_a_broken_workspace_leaves_no_variant_contexts(
    alice: ReleaseEnv, sb: Any, tmp_path: Path
) -> None:
    """The mid-2025 schema defect: the server writes the variant contexts, then fails to insert the
    experiment (500). The saga finds the orphans by the release's config version and deletes them."""
    app = await new_app(alice, tmp_path)
    await alice.releases.create(ORG, app, ReleaseDraft(package="1"))
    workspace = await alice.releases.locator.workspace(ORG, app)
    before = experiments(sb, workspace)
    sb.superposition.break_workspace(sb.org_id, workspace)
    with pytest.raises(SagaFailed) as failed:
        await alice.releases.create(ORG, app, ReleaseDraft(package="2", target={"city": "Pune"}))
    assert isinstance(failed.value.cause, BrokenWorkspace) and "db/migrate" in failed.value.user_text()
    assert experiments(sb, workspace) == before and variant_contexts(sb, workspace) == []
    await alice.org_env.orgs.migrate_workspace(ORG, app)
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
