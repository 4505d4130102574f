"""Repairing a broken workspace as a journalled operation, so it shows in the Activity page and in
`hyperota activity` (who ran it, on what, what came of it) like every other change.

Two steps, neither with an undo: a migration only adds what the v0.74 workspace template left out, so
there is nothing to put back. 1) `POST /workspaces/{name}/db/migrate`; 2) check that experiments work
(the "after" health is kept in the run's data). A run a crash interrupted is finished at the next start
(FORWARD): running the migration again is harmless, the server re-applies its template, which only adds
what is missing (superposition v0.87.0 `src/workspace/handlers.rs` `migrate_workspace_schema`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from hyperota_desktop.domain.errors import IntegrityError
from hyperota_desktop.services.saga import SagaContext, Step
from hyperota_desktop.services.workspace_health import WorkspaceHealth

if TYPE_CHECKING:
    from hyperota_desktop.services.org_sagas import OrgBackends

WORKSPACE_MIGRATE = "workspace.migrate"


def migration_steps(backends: OrgBackends, params: dict[str, Any]) -> list[Step]:
    workspace = str(params["workspace"])

    async def migrate(ctx: SagaContext) -> None:
        await (await backends.sp()).migrate_workspace(workspace)

    async def check(ctx: SagaContext) -> None:
        after = await (await backends.sp()).diagnose_workspace(workspace)
        if not after.healthy:
            raise IntegrityError(
                f"Superposition ran the migration of workspace {workspace}, but {after.describe()}",
                hint="Ask the Superposition operator to look at the workspace's database schema.",
            )
        ctx.data["after"] = asdict(after)

    return [Step("migrate the workspace database", migrate), Step("check that experiments work", check)]


def health_after(data: dict[str, Any]) -> WorkspaceHealth:
    """The health the check step recorded."""
    recorded = dict(data["after"])
    return WorkspaceHealth(**{**recorded, "evidence": tuple(recorded["evidence"])})
