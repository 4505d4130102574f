"""What the organisation service answers with: organisations and applications with the caller's level,
what a deletion will remove, what a workspace migration found and did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.services.storage_cleanup import FileCount
from hyperota_desktop.services.workspace_health import WorkspaceHealth


@dataclass(frozen=True)
class AppInfo:
    org: str
    name: str
    workspace: str = ""  # "" = the group names no workspace (never inferred)
    level: AccessLevel = AccessLevel.NONE


@dataclass(frozen=True)
class OrgInfo:
    name: str
    level: AccessLevel
    apps: tuple[AppInfo, ...] = ()
    hidden: str = ""  # why Keycloak would not list its applications ("" = all listed)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "access": self.level.label,
            "applications": [
                {"name": a.name, "workspace": a.workspace, "access": a.level.label} for a in self.apps
            ],
        }
        if self.hidden:
            data["applications_hidden"] = self.hidden
        return data


@dataclass(frozen=True)
class DeletionPreview:
    """Exactly what deleting an organisation or application will do, read fresh from the backends."""

    org: str
    app: str
    apps: tuple[AppInfo, ...]  # the org's applications (org deletion), or the application itself
    files_at: str  # s3://bucket/prefix/, or "" when the profile names no bucket
    files: FileCount | None = None  # None: not counted (no bucket, or counting failed)
    files_problem: str = ""  # why the files could not be counted

    @property
    def can_delete_files(self) -> bool:
        return bool(self.files_at)

    def lines(self, *, keep_files: bool | None = None) -> list[str]:
        """One line per consequence; `keep_files` None = the user has not chosen yet."""
        if self.app:
            workspace = self.apps[0].workspace if self.apps else ""
            lines = [
                f"delete the Keycloak group /{self.org}/{self.app} and its admin/write/read groups "
                "(everyone loses access to the application)",
                f"disable its Superposition workspace {workspace or '(none recorded)'} "
                "(devices stop getting its updates)",
            ]
        else:
            names = ", ".join(a.name for a in self.apps) or "none"
            spaces = ", ".join(a.workspace for a in self.apps if a.workspace) or "none"
            lines = [
                f"delete the Keycloak group /{self.org} with its owner/admin/write/read groups and its "
                f"{len(self.apps)} application(s): {names} (everyone loses access)",
                f"disable the Superposition workspaces: {spaces} (devices stop getting updates)",
            ]
        if not self.files_at:
            lines.append("keep the stored files: this profile names no bucket, so none can be deleted")
            return lines
        count = self.files.describe() if self.files else f"files not counted: {self.files_problem}"
        if keep_files:
            lines.append(f"keep the stored files under {self.files_at} ({count})")
        else:
            unless = "" if keep_files is False else " unless you keep them"
            lines.append(
                f"delete every stored file under {self.files_at} ({count}){unless}; this cannot be undone"
            )
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "app": self.app,
            "applications": [{"name": a.name, "workspace": a.workspace} for a in self.apps],
            "files_at": self.files_at,
            "files": None if self.files is None else self.files.__dict__,
        }


@dataclass(frozen=True)
class MigrationOutcome:
    """What `migrate_workspace` found and did: `migrated` False = nothing to repair, nothing changed."""

    org: str
    app: str
    before: WorkspaceHealth
    after: WorkspaceHealth | None = None

    @property
    def migrated(self) -> bool:
        return self.after is not None

    @property
    def workspace(self) -> str:
        return self.before.workspace

    def message(self) -> str:
        where = f"{self.org}/{self.app}"
        if not self.migrated:
            return (
                f"Workspace {self.workspace} of {where} is healthy: nothing to repair, nothing was "
                f"changed. ({'; '.join(self.before.evidence)})"
            )
        return (
            f"Workspace {self.workspace} of {where} was repaired: its experiments failed "
            f"({'; '.join(self.before.evidence)}) and work again after POST /workspaces/"
            f"{self.workspace}/db/migrate."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "app": self.app,
            "workspace": self.workspace,
            "migrated": self.migrated,
            "before": self.before.to_json(),
            "after": None if self.after is None else self.after.to_json(),
        }
