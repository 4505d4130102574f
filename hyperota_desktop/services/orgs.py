"""Organisations and applications: listing, create/delete through sagas, workspace repair.

Organisations are top-level Keycloak groups, applications their non-role subgroups, each bound to its
own Superposition workspace by the group attribute `superposition_workspace` (never inferred).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from hyperota_desktop.domain.access import (
    MANAGE_USERS,
    REALM_ADMIN_ROLE,
    REALM_ADMINISTRATOR,
    VIEW_USERS,
    AccessLevel,
    Action,
    Identity,
)
from hyperota_desktop.domain.errors import (
    BackendUnavailable,
    HyperOtaError,
    MissingRight,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from hyperota_desktop.domain.membership import MemberScope
from hyperota_desktop.domain.names import (
    RESERVED_IN_ORG,
    name_problem,
    validate_app_name,
    validate_org_name,
)
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.authz import Authorizer
from hyperota_desktop.services.keycloak_admin import KcUser
from hyperota_desktop.services.org_info import AppInfo, DeletionPreview, MigrationOutcome, OrgInfo
from hyperota_desktop.services.org_sagas import (
    APP_CREATE,
    APP_DELETE,
    ORG_CREATE,
    ORG_DELEGATE,
    ORG_DELETE,
    WORKSPACE_ATTRIBUTE,
    OrgBackends,
)
from hyperota_desktop.services.saga import SagaFailed, SagaRunner, SagaRuntime
from hyperota_desktop.services.saga_repeats import finished_repeat
from hyperota_desktop.services.storage_cleanup import storage_prefix
from hyperota_desktop.services.workspace_health import BrokenWorkspace, WorkspaceHealth
from hyperota_desktop.services.workspace_migration import WORKSPACE_MIGRATE, health_after
from hyperota_desktop.stores.journal import SagaRecord

__all__ = ["AppInfo", "DeletionPreview", "MigrationOutcome", "OrgInfo", "OrgService"]

log = logging.getLogger("hyperota.services.orgs")


class OrgService:
    """Every decision about who may do what is the authorizer's (`services.authz`), as for packages."""

    def __init__(
        self,
        backends: OrgBackends,
        runner: SagaRunner,
        profile: Profile,
        authz: Authorizer,
        save_profile: Callable[[Profile], None] | None = None,
    ) -> None:
        self.backends = backends
        self.runner = runner
        self.profile = profile
        self.authz = authz
        self._save_profile = save_profile
        self._me: KcUser | None = None
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

    def forget_identity(self) -> None:
        """Someone else signed in: ask Keycloak who we are again."""
        self._me = None

    def forget_memberships(self) -> None:
        """Memberships changed: the authorizer asks Keycloak again next time."""
        self.authz.forget()

    async def level(self, scope: MemberScope, *, fresh: bool = False) -> AccessLevel:
        """The caller's level in an org/app: memberships, or what their realm roles allow everywhere."""
        return await self.authz.level(scope.org, scope.app, fresh=fresh)

    @staticmethod
    def sees_every_org(identity: Identity) -> bool:
        return bool(identity.realm_rights & {REALM_ADMIN_ROLE, MANAGE_USERS, VIEW_USERS})

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
        identity = await self.authz.identity(fresh=True)
        names = {o.name for o in identity.organisations}
        if self.sees_every_org(identity):
            names |= {g.name for g in await kc.top_level_groups()}
        skipped: list[str] = []
        names = self._interpretable(names, "organisation", skipped)
        result = []
        for name in sorted(names):
            apps, hidden = await self._apps(name, identity, skipped)
            result.append(OrgInfo(name, identity.org_access(name), tuple(apps), hidden))
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
        self, org: str, identity: Identity, skipped: list[str] | None = None
    ) -> tuple[list[AppInfo], str]:
        """The org's applications, or (those the caller holds a role on, why Keycloak refused)."""
        kc = self.backends.keycloak
        skipped = [] if skipped is None else skipped
        try:
            group = await kc.group_by_path(f"/{org}")
            children = [c for c in await kc.children(group.id) if c.name not in RESERVED_IN_ORG]
        except (MissingRight, NotFound) as exc:
            needs = exc.right if isinstance(exc, MissingRight) else "view rights on the organisation's group"
            known = identity.org(org)
            found = {a.name for a in (known.applications if known else ())} - RESERVED_IN_ORG
            names = sorted(self._interpretable(found, "application", skipped, org))
            apps = [AppInfo(org, n, "", identity.app_access(org, n)) for n in names]
            return apps, self.hidden_reason(org, needs)
        valid = self._interpretable({c.name for c in children}, "application", skipped, org)
        children = [c for c in children if c.name in valid]
        return [
            AppInfo(
                org,
                c.name,
                c.attribute(WORKSPACE_ATTRIBUTE),
                identity.app_access(org, c.name),
            )
            for c in children
        ], ""

    @staticmethod
    def hidden_reason(org: str, needs: str, what: str = "") -> str:
        """Why Keycloak hides `what` (the applications of `org`) from one of its members. Worded for
        anyone (the GUI shows it as is): what is missing and whom to ask; the CLI adds the command that
        repairs it (`hyperota org delegate`)."""
        return (
            f"Keycloak did not let you see {what or f'the applications of {org}'} (it needs {needs}): the "
            f"organisation lacks the admin permissions that let its members see it. Ask "
            f"{REALM_ADMINISTRATOR} to delegate the organisation (Keycloak 26.2+ with admin "
            f"permissions on)."
        )

    async def list_apps(self, org: str) -> list[AppInfo]:
        identity = await self.authz.identity(fresh=True)
        if identity.org_access(org) is AccessLevel.NONE and identity.org(org) is None:
            raise PermissionDenied(f"You are not a member of organisation '{org}'.")
        apps, hidden = await self._apps(org, identity)
        if hidden:
            raise MissingRight(
                hidden,
                right="view rights on the organisation's groups",
                granted_by=REALM_ADMINISTRATOR,
                hint=f"Ask {REALM_ADMINISTRATOR} to run `hyperota org delegate {org}`.",
                gui_hint=f"Ask {REALM_ADMINISTRATOR} to delegate it (Organisation menu → Delegate "
                "permissions…).",
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
    async def recover(self, runtime: SagaRuntime | None = None) -> list[SagaRecord]:
        """Finish or undo the organisation/application operations a crash or quit left unfinished."""
        kinds = (ORG_CREATE, ORG_DELETE, ORG_DELEGATE, APP_CREATE, APP_DELETE, WORKSPACE_MIGRATE)
        return await self.runner.reconcile(runtime, kinds=kinds)

    async def create_org(self, name: str, runtime: SagaRuntime | None = None) -> SagaRecord:
        validate_org_name(name)
        await self.authz.require(Action.CREATE_ORG)
        me = await self.me()
        params = {"org": name, "user_id": me.id, "username": me.username}
        try:
            return await self.runner.run(ORG_CREATE, params, f"Create organisation {name}", runtime)
        finally:
            self.forget_memberships()

    async def delegate_org(self, name: str) -> SagaRecord:
        """Create or repair the admin permissions that let the organisation's members work without
        realm roles (docs/keycloak-setup.md); a realm administrator's job (Keycloak checks the roles)."""
        return await self.runner.run(ORG_DELEGATE, {"org": name}, f"Delegate organisation {name}")

    async def delete_org(
        self, name: str, *, keep_files: bool = False, runtime: SagaRuntime | None = None
    ) -> SagaRecord:
        await self.authz.require(Action.DELETE_ORG, name)
        await self.ensure_superposition_org()
        params = {"org": name, "keep_files": keep_files}
        try:
            return await self.runner.run(ORG_DELETE, params, f"Delete organisation {name}", runtime)
        finally:
            self.forget_memberships()

    async def create_app(self, org: str, name: str, runtime: SagaRuntime | None = None) -> SagaRecord:
        validate_app_name(name)
        await self.authz.require(Action.CREATE_APP, org)  # admin of org, and realm roles Keycloak needs
        await self.ensure_superposition_org()
        me = await self.me()
        params = {"org": org, "app": name, "user_id": me.id, "email": me.email}
        try:
            return await self.runner.run(APP_CREATE, params, f"Create application {org}/{name}", runtime)
        finally:
            self.forget_memberships()

    async def delete_app(
        self, org: str, name: str, *, keep_files: bool = False, runtime: SagaRuntime | None = None
    ) -> SagaRecord:
        await self.authz.require(Action.DELETE_APP, org, name)
        await self.ensure_superposition_org()
        params = {"org": org, "app": name, "keep_files": keep_files}
        try:
            return await self.runner.run(APP_DELETE, params, f"Delete application {org}/{name}", runtime)
        finally:
            self.forget_memberships()

    async def repeated_deletion(self, org: str, app: str = "") -> SagaRecord | None:
        """The deletion of `org` (or `org/app`) that a crash interrupted past its point of no return and
        a reconciliation finished, when this request repeats it (`services.saga_repeats`): the person
        asks again for what is already done, and gets that answer instead of "not found"."""
        kind = APP_DELETE if app else ORG_DELETE

        def same(record: SagaRecord) -> bool:
            return record.params.get("org") == org and record.params.get("app", "") == app

        return await finished_repeat(self.runner, kind, same, by="a repeated deletion")

    async def deletion_preview(self, org: str, app: str = "") -> DeletionPreview:
        """What `delete_org`/`delete_app` would remove, for a confirmation that says exactly that."""
        await self.authz.require(Action.DELETE_APP if app else Action.DELETE_ORG, org, app)
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
        await self.authz.require(Action.VIEW_APP, org, app)
        await self.ensure_superposition_org()
        return await self.backends.superposition.diagnose_workspace(await self.workspace_of(org, app))

    async def migrate_workspace(self, org: str, app: str) -> MigrationOutcome:
        """Repair a broken workspace (`POST /workspaces/{name}/db/migrate`); application admins only.

        Checks first and changes nothing unless the workspace is broken; after migrating, checks again
        and fails if experiments still do not work. MigrationUnavailable on servers before v0.87."""
        await self.authz.require(Action.MIGRATE_WORKSPACE, org, app)
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
        params = {"org": org, "app": app, "workspace": before.workspace}
        try:  # journalled (services/workspace_migration.py): the Activity page shows who repaired what
            record = await self.runner.run(WORKSPACE_MIGRATE, params, f"Repair workspace of {org}/{app}")
        except SagaFailed as exc:  # nothing to undo ("undone" would be untrue): the step's own error
            if isinstance(exc.cause, HyperOtaError):
                raise exc.cause from None
            raise
        after = health_after(record.data)
        log.info("migrated workspace %s of %s/%s", before.workspace, org, app)
        return MigrationOutcome(org, app, before, after)
