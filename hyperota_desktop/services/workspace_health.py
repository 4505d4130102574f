"""A workspace's health as the client sees it, and the errors of a broken one (see superposition.py).

The v0.74 workspace template leaves the experiments table without its `experiment_type` column (its
`CREATE TYPE public.experiment_type` fails on a database that has the type, and the `DO` block's
handler skips the `ALTER TABLE` with it), so every experiment query fails; the server hides the
database error behind 500 "Something went wrong". v0.87 moved the ALTER out of the block and added
`POST /workspaces/{name}/db/migrate`, which runs the template again on an existing workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.errors import ExitCode, HyperOtaError

HEALTHY, BROKEN, UNKNOWN = "healthy", "broken", "unknown"


def repair_sql(schema: str) -> str:
    """What an operator runs on a server without the repair endpoint (workspace_template.sql, v0.87)."""
    return (
        f'ALTER TABLE "{schema or "<org id>_<workspace>"}".experiments ADD COLUMN IF NOT EXISTS '
        "experiment_type public.experiment_type NOT NULL DEFAULT 'DEFAULT';"
    )


@dataclass(frozen=True)
class WorkspaceHealth:
    """Whether a workspace can store experiments, with the answers that show it.

    `state`: "healthy" (experiment requests work), "broken" (they answer 500 while the config
    endpoints work: the v0.74 template defect) or "unknown" (something else is wrong: nothing to
    repair here). `can_migrate`: the server has `POST /workspaces/{name}/db/migrate` (v0.87+)."""

    workspace: str
    state: str
    evidence: tuple[str, ...]
    server_version: str = ""
    can_migrate: bool = True
    schema: str = ""  # the workspace's database schema, for an operator's repair

    @property
    def healthy(self) -> bool:
        return self.state == HEALTHY

    @property
    def broken(self) -> bool:
        return self.state == BROKEN

    def describe(self) -> str:
        why = "; ".join(self.evidence)
        if self.healthy:
            return f"Workspace {self.workspace} is healthy: experiments work ({why})."
        if self.broken:
            return (
                f"Workspace {self.workspace} is broken: experiment requests fail while its config works "
                f"({why}). Its experiments table lacks the experiment_type column (the Superposition "
                "v0.74 workspace-template defect)."
            )
        return f"Cannot tell whether workspace {self.workspace} needs repair ({why})."

    def to_json(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace,
            "state": self.state,
            "evidence": list(self.evidence),
            "server_version": self.server_version,
            "can_migrate": self.can_migrate,
        }


class BrokenWorkspace(HyperOtaError):
    """A workspace whose database schema is out of date; `fix` is the call that repairs it."""

    def __init__(
        self,
        workspace: str,
        detail: str = "",
        *,
        can_migrate: bool = True,
        server_version: str = "",
        schema: str = "",
    ) -> None:
        self.workspace = workspace
        self.fix = f"POST /workspaces/{workspace}/db/migrate"
        self.can_migrate = can_migrate
        why = f" ({detail})" if detail else ""
        if can_migrate:
            hint = (
                f"Migrate the workspace ({self.fix}): an application admin can run 'Migrate workspace', "
                "or ask the Superposition operator."
            )
        else:
            server = f"Superposition {server_version}" if server_version else "This Superposition"
            hint = (
                f"{server} has no repair endpoint: upgrade it to v0.87 or later and then run 'Migrate "
                f"workspace', or have its operator run: {repair_sql(schema)}"
            )
        super().__init__(
            f"Superposition workspace '{workspace}' cannot store experiments: every experiment request "
            f"fails while its config works, because its experiments table lacks the experiment_type "
            f"column{why}.",
            hint=hint,
        )

    @classmethod
    def from_health(cls, health: WorkspaceHealth) -> BrokenWorkspace:
        return cls(
            health.workspace,
            "; ".join(health.evidence),
            can_migrate=health.can_migrate,
            server_version=health.server_version,
            schema=health.schema,
        )


class MigrationUnavailable(HyperOtaError):
    """The server has no `db/migrate` endpoint (Superposition before v0.87)."""

    exit_code = ExitCode.UNAVAILABLE
