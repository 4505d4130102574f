"""Organisations and applications: listing, create/delete through sagas, workspace repair.

Organisations are top-level Keycloak groups, applications their non-role subgroups, each bound to its
own Superposition workspace by the group attribute `superposition_workspace` (never inferred).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.access import (
    APP_NEEDS_REALM_ADMIN,
    MANAGE_USERS,
    REALM_ADMIN_ROLE,
    REALM_ADMINISTRATOR,
    VIEW_USERS,
    AccessLevel,
    app_level_from_org,
    realm_level,
)
from hyperota_desktop.domain.errors import (
    BackendUnavailable,
    HyperOtaError,
    IntegrityError,
    MissingRight,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from hyperota_desktop.domain.membership import MemberScope, level_from_paths
from hyperota_desktop.domain.names import (
    RESERVED_IN_ORG,
    name_problem,
    validate_app_name,
    validate_org_name,
)
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.keycloak_admin import KcUser
from hyperota_desktop.services.org_sagas import (
    APP_CREATE,
    APP_DELETE,
    ORG_CREATE,
    ORG_DELEGATE,
    ORG_DELETE,
    WORKSPACE_ATTRIBUTE,
    OrgBackends,
)
from hyperota_desktop.services.saga import SagaRunner
from hyperota_desktop.services.storage_cleanup import FileCount, storage_prefix
from hyperota_desktop.services.workspace_health import BrokenWorkspace, WorkspaceHealth
from hyperota_desktop.stores.journal import SagaRecord

log = logging.getLogger("hyperota.services.orgs")


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


class OrgService:
    def __init__(
        self,
        backends: OrgBackends,
        runner: SagaRunner,
        profile: Profile,
        save_profile: Callable[[Profile], None] | None = None,
    ) -> None:
        self.backends = backends
        self.runner = runner
        self.profile = profile
        self._save_profile = save_profile
        self._me: KcUser | None = None
        self._paths: list[str] | None = None
        # Groups the last listing skipped because their names are not valid org/app names (made
        # outside HyperOTA, e.g. "..\n"): shown as warnings, fixed in the Keycloak admin console.
        self.skipped_groups: tuple[str, ...] = ()
        if profile.superposition_org_id and not backends.superposition.org_id:
            backends.superposition.org_id = profile.superposition_org_id
        if backends.bootstrap is None:
            backends.bootstrap = self.ensure_superposition_org

    @property
    def keycloak(self) -> Any:
        return self.backends.keycloak

    # -- who am I -----------------------------------------------------------------------------------
    async def me(self) -> KcUser:
        if self._me is None:
            self._me = await self.backends.keycloak.me()
        return self._me

    async def my_paths(self, *, fresh: bool = False) -> list[str]:
        if self._paths is None or fresh:
            self._paths = [g.path for g in await self.backends.keycloak.my_groups()]
        return self._paths

    def forget_memberships(self) -> None:
        """Memberships changed: ask Keycloak again next time."""
        self._paths = None

    async def realm_level(self) -> AccessLevel:
        """What the caller's realm-management roles alone give everywhere (domain.access.realm_level)."""
        return realm_level(await self.backends.keycloak.realm_rights())

    async def level(self, scope: MemberScope, *, fresh: bool = False) -> AccessLevel:
        """The caller's level in an org/app: memberships, or what their realm roles allow everywhere."""
        implied = await self.realm_level()
        implied = app_level_from_org(implied) if scope.app else implied
        return max(level_from_paths(await self.my_paths(fresh=fresh), scope), implied)

    async def sees_every_org(self) -> bool:
        rights = await self.backends.keycloak.realm_rights()
        return bool(rights & {REALM_ADMIN_ROLE, MANAGE_USERS, VIEW_USERS})

    # -- Superposition organisation bootstrap ------------------------------------------------------
    async def ensure_superposition_org(self) -> str:
        """The profile's Superposition organisation id: given, found by name (all pages), or created."""
        sp = self.backends.superposition
        if not sp.base_url:
            raise ValidationError(
                f"Profile '{self.profile.name}' has no Superposition URL.",
                hint="Set superposition_url in the profile (applications need a workspace).",
            )
        if self.profile.superposition_org_id:
            sp.org_id = self.profile.superposition_org_id
            return sp.org_id
        name = self.profile.superposition_org_name
        if not name:
            raise ValidationError(
                "The profile names no Superposition organisation.",
                hint="Set superposition_org_id or superposition_org_name in the profile.",
            )
        found = next((o for o in await sp.organisations() if o.name == name), None)
        if found is None:
            email = (await self.me()).email or "admin@example.com"
            found = await sp.create_organisation(name, email)
            log.info("created Superposition organisation %s (%s)", name, found.id)
        sp.org_id = found.id
        self.profile = self.profile.with_changes(superposition_org_id=found.id)
        if self._save_profile is not None:
            self._save_profile(self.profile)
        return found.id

    # -- listing ------------------------------------------------------------------------------------
    async def list_orgs(self) -> list[OrgInfo]:
        """Organisations the caller belongs to; those who may view every group see every one."""
        kc = self.backends.keycloak
        paths = await self.my_paths(fresh=True)
        names = {p.strip("/").split("/")[0] for p in paths if p.strip("/")}
        if await self.sees_every_org():
            names |= {g.name for g in await kc.top_level_groups()}
        skipped: list[str] = []
        names = self._interpretable(names, "organisation", skipped)
        result = []
        for name in sorted(names):
            level = await self.level(MemberScope(name))
            apps, hidden = await self._apps(name, paths, skipped)
            result.append(OrgInfo(name, level, tuple(apps), hidden))
        self.skipped_groups = tuple(skipped)
        return result

    @staticmethod
    def _interpretable(names: set[str], kind: str, skipped: list[str], parent: str = "") -> set[str]:
        """The names that are valid org/app names; the others are logged and added to `skipped`."""
        good = set()
        for name in names:
            if name_problem(name, kind=kind) is None:
                good.add(name)
            else:
                path = f"/{parent}/{name}" if parent else f"/{name}"
                log.warning("skipping the Keycloak group %r: not a valid %s name", path, kind)
                skipped.append(path)
        return good

    async def _apps(
        self, org: str, paths: list[str], skipped: list[str] | None = None
    ) -> tuple[list[AppInfo], str]:
        """The org's applications, or (those the caller holds a role on, why Keycloak refused)."""
        kc = self.backends.keycloak
        skipped = [] if skipped is None else skipped
        implied = app_level_from_org(await self.realm_level())
        try:
            group = await kc.group_by_path(f"/{org}")
            children = [c for c in await kc.children(group.id) if c.name not in RESERVED_IN_ORG]
        except (MissingRight, NotFound) as exc:
            needs = exc.right if isinstance(exc, MissingRight) else "view rights on the organisation's group"
            found = {
                p.strip("/").split("/")[1]
                for p in paths
                if p.strip("/").count("/") == 2 and p.startswith(f"/{org}/")
            } - RESERVED_IN_ORG
            names = sorted(self._interpretable(found, "application", skipped, org))
            apps = [
                AppInfo(org, n, "", max(level_from_paths(paths, MemberScope(org, n)), implied)) for n in names
            ]
            return apps, self._hidden_reason(org, needs)
        valid = self._interpretable({c.name for c in children}, "application", skipped, org)
        children = [c for c in children if c.name in valid]
        return [
            AppInfo(
                org,
                c.name,
                c.attribute(WORKSPACE_ATTRIBUTE),
                max(level_from_paths(paths, MemberScope(org, c.name)), implied),
            )
            for c in children
        ], ""

    @staticmethod
    def _hidden_reason(org: str, needs: str) -> str:
        return (
            f"Keycloak did not let you list the applications of {org}: it needs {needs}. Members see "
            f"them through the organisation's admin permissions, which {REALM_ADMINISTRATOR} creates "
            f"with `hyperota org delegate {org}` (Keycloak 26.2+ with admin permissions on)."
        )

    async def list_apps(self, org: str) -> list[AppInfo]:
        paths = await self.my_paths(fresh=True)
        level = await self.level(MemberScope(org))
        if level is AccessLevel.NONE and not any(p.startswith(f"/{org}/") for p in paths):
            raise PermissionDenied(f"You are not a member of organisation '{org}'.")
        apps, hidden = await self._apps(org, paths)
        if hidden:
            raise MissingRight(
                hidden,
                right="view rights on the organisation's groups",
                granted_by=REALM_ADMINISTRATOR,
                hint=f"Ask {REALM_ADMINISTRATOR} to run `hyperota org delegate {org}`.",
            )
        return apps

    async def workspace_of(self, org: str, app: str) -> str:
        group = await self.backends.keycloak.group_by_path(f"/{org}/{app}")
        workspace = group.attribute(WORKSPACE_ATTRIBUTE)
        if not workspace:
            raise NotFound(
                f"Application {org}/{app} names no Superposition workspace (group attribute "
                f"{WORKSPACE_ATTRIBUTE} is missing).",
                hint="It was not created by HyperOTA or its creation did not finish; re-create it.",
            )
        return workspace

    # -- sagas --------------------------------------------------------------------------------------
    async def _require(self, scope: MemberScope, needed: AccessLevel, action: str) -> None:
        have = await self.level(scope, fresh=True)
        if have < needed:
            raise PermissionDenied(
                f"To {action} you need the {needed.label} level on {scope.describe()}; you have "
                f"{have.label if have else 'no access'}."
            )

    async def create_org(self, name: str) -> SagaRecord:
        validate_org_name(name)
        me = await self.me()
        params = {"org": name, "user_id": me.id, "username": me.username}
        record = await self.runner.run(ORG_CREATE, params, f"Create organisation {name}")
        self._paths = None
        return record

    async def delegate_org(self, name: str) -> SagaRecord:
        """Create or repair the admin permissions that let the organisation's members work without
        realm roles (docs/keycloak-setup.md); a realm administrator's job."""
        return await self.runner.run(ORG_DELEGATE, {"org": name}, f"Delegate organisation {name}")

    async def delete_org(self, name: str, *, keep_files: bool = False) -> SagaRecord:
        await self._require(MemberScope(name), AccessLevel.OWNER, f"delete organisation {name}")
        await self.ensure_superposition_org()
        params = {"org": name, "keep_files": keep_files}
        record = await self.runner.run(ORG_DELETE, params, f"Delete organisation {name}")
        self._paths = None
        return record

    async def create_app(self, org: str, name: str) -> SagaRecord:
        validate_app_name(name)
        await self._require(MemberScope(org), AccessLevel.ADMIN, f"create applications in {org}")
        if not await self.backends.keycloak.realm_rights() & {REALM_ADMIN_ROLE, MANAGE_USERS}:
            raise MissingRight(
                APP_NEEDS_REALM_ADMIN.format(org=org),
                right="the Keycloak roles manage-users and manage-authorization (realm-management)",
                granted_by=REALM_ADMINISTRATOR,
                hint=f"Ask {REALM_ADMINISTRATOR} to create {org}/{name}.",
            )
        await self.ensure_superposition_org()
        me = await self.me()
        params = {"org": org, "app": name, "user_id": me.id, "email": me.email}
        return await self.runner.run(APP_CREATE, params, f"Create application {org}/{name}")

    async def delete_app(self, org: str, name: str, *, keep_files: bool = False) -> SagaRecord:
        await self._require(MemberScope(org, name), AccessLevel.ADMIN, f"delete application {org}/{name}")
        await self.ensure_superposition_org()
        params = {"org": org, "app": name, "keep_files": keep_files}
        return await self.runner.run(APP_DELETE, params, f"Delete application {org}/{name}")

    async def deletion_preview(self, org: str, app: str = "") -> DeletionPreview:
        """What `delete_org`/`delete_app` would remove, for a confirmation that says exactly that."""
        kc = self.backends.keycloak
        if app:
            group = await kc.group_by_path(f"/{org}/{app}")
            apps: tuple[AppInfo, ...] = (AppInfo(org, app, group.attribute(WORKSPACE_ATTRIBUTE)),)
        else:
            group = await kc.group_by_path(f"/{org}")
            apps = tuple(
                AppInfo(org, c.name, c.attribute(WORKSPACE_ATTRIBUTE))
                for c in await kc.children(group.id)
                if c.name not in RESERVED_IN_ORG
            )
        if self.backends.delete_prefix is None or not self.profile.bucket:
            return DeletionPreview(org, app, apps, "")
        prefix = storage_prefix(self.backends.key_prefix, org, app)
        files_at = f"s3://{self.profile.bucket}/{prefix}"
        if self.backends.count_prefix is None:
            return DeletionPreview(org, app, apps, files_at, None, "counting is not available")
        try:
            files = await self.backends.count_prefix(prefix)
        except HyperOtaError as exc:
            return DeletionPreview(org, app, apps, files_at, None, exc.message)
        return DeletionPreview(org, app, apps, files_at, files)

    async def diagnose_workspace(self, org: str, app: str) -> WorkspaceHealth:
        """Whether the application's workspace can store experiments, with the evidence (reads only;
        anyone who can see the application may ask)."""
        await self._require(MemberScope(org, app), AccessLevel.READ, f"check the workspace of {org}/{app}")
        await self.ensure_superposition_org()
        return await self.backends.superposition.diagnose_workspace(await self.workspace_of(org, app))

    async def migrate_workspace(self, org: str, app: str) -> MigrationOutcome:
        """Repair a broken workspace (`POST /workspaces/{name}/db/migrate`); application admins only.

        Checks first and changes nothing unless the workspace is broken; after migrating, checks again
        and fails if experiments still do not work. MigrationUnavailable on servers before v0.87."""
        await self._require(MemberScope(org, app), AccessLevel.ADMIN, f"migrate the workspace of {org}/{app}")
        await self.ensure_superposition_org()
        sp = self.backends.superposition
        before = await sp.diagnose_workspace(await self.workspace_of(org, app))
        if before.healthy:
            return MigrationOutcome(org, app, before)
        if not before.broken:
            raise BackendUnavailable(
                before.describe() + " Nothing was changed: a migration repairs only a workspace whose "
                "experiments fail while its config works.",
                hint="Check the Superposition server and try again.",
            )
        if not before.can_migrate:
            raise BrokenWorkspace.from_health(before)
        await sp.migrate_workspace(before.workspace)
        after = await sp.diagnose_workspace(before.workspace)
        if not after.healthy:
            raise IntegrityError(
                f"Superposition ran the migration of workspace {before.workspace}, but {after.describe()}",
                hint="Ask the Superposition operator to look at the workspace's database schema.",
            )
        log.info("migrated workspace %s of %s/%s", before.workspace, org, app)
        return MigrationOutcome(org, app, before, after)
