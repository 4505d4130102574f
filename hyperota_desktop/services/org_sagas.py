"""The sagas that create and delete organisations and applications (Keycloak groups + workspaces).

Every step is idempotent and journals what it created before the next call that could fail, so a
failure (or a crash, reconciled at the next start) undoes exactly what this run did and nothing else.
A creation ends with a `verify` step that reads back what it made (groups, roles, membership, workspace,
every default config): a backend that answered "done" without doing it fails the run, which is then
undone, instead of a run reported done with parts missing.
Deleting files from S3 cannot be undone: it comes after every check and is the point of no return
(`pivot`). A failure after it leaves the organisation/application in place (re-run the deletion to
finish); a crash after it has started is finished at the next start (undoing would re-enable the
workspaces of groups already deleted). Deletion progress goes to the run's runtime as `FilesDeleted`
events.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.errors import Conflict, HyperOtaError, IntegrityError, NotFound, ValidationError
from hyperota_desktop.domain.names import (
    APP_ROLES,
    ORG_ROLES,
    RESERVED_IN_ORG,
    validate_app_name,
    validate_org_name,
    workspace_name,
)
from hyperota_desktop.domain.workspace_defaults import default_configs
from hyperota_desktop.services.keycloak_admin import KcGroup, KeycloakAdmin
from hyperota_desktop.services.org_delegation import DelegationUnavailable, OrgDelegation
from hyperota_desktop.services.saga import Recovery, SagaContext, SagaDefinition, SagaRunner, Step
from hyperota_desktop.services.storage_cleanup import CountPrefix, DeletePrefix, FilesDeleted, storage_prefix
from hyperota_desktop.services.superposition import SuperpositionClient
from hyperota_desktop.services.workspace_migration import WORKSPACE_MIGRATE, migration_steps

log = logging.getLogger("hyperota.services.orgs")
WORKSPACE_ATTRIBUTE = "superposition_workspace"
ORG_CREATE, ORG_DELETE, APP_CREATE, APP_DELETE = "org.create", "org.delete", "app.create", "app.delete"
ORG_DELEGATE = "org.delegate"


@dataclass
class OrgBackends:
    """What the org/app sagas talk to."""

    keycloak: KeycloakAdmin
    superposition: SuperpositionClient
    delete_prefix: DeletePrefix | None = None
    key_prefix: str = ""
    bootstrap: Callable[[], Awaitable[str]] | None = None  # finds the Superposition org id if unknown
    count_prefix: CountPrefix | None = None  # counts the files a deletion would remove (confirmations)

    async def sp(self) -> SuperpositionClient:
        """The Superposition client with its organisation id set (a reconciliation may come first)."""
        if not self.superposition.org_id and self.bootstrap is not None:
            await self.bootstrap()
        return self.superposition


async def _delete_files(b: OrgBackends, ctx: SagaContext, org: str, app: str = "") -> None:
    if ctx.params.get("keep_files"):
        return
    if b.delete_prefix is None:
        raise ValidationError(
            "No file storage is configured in this profile, so the files cannot be deleted.",
            hint="Choose to keep the files, or set the bucket in the profile.",
        )
    prefix = storage_prefix(b.key_prefix, org, app)
    ctx.data["files_deleted"] = await b.delete_prefix(
        prefix, lambda count: ctx.runtime.report(FilesDeleted(prefix, count))
    )


async def _delete_claimed(b: OrgBackends, ctx: SagaContext, id_key: str, path: str) -> None:
    """Undo a group creation: by the journalled id, or by path if the crash came before the id."""
    group_id = ctx.data.get(id_key)
    if not group_id and ctx.data.get(f"{id_key}_claimed"):
        found = await b.keycloak.find_group(path)
        group_id = found.id if found else None
    if group_id:
        await b.keycloak.delete_group(group_id)


async def _create_group(
    b: OrgBackends, ctx: SagaContext, id_key: str, name: str, parent: KcGroup | None
) -> None:
    if ctx.data.get(id_key):
        return
    ctx.data[f"{id_key}_claimed"] = True
    await ctx.save()
    try:
        if parent is None:
            group_id = await b.keycloak.create_top_level(name)
        else:
            group_id = await b.keycloak.create_child(parent.id, name)
    except Conflict:
        ctx.data.pop(f"{id_key}_claimed", None)  # somebody else's group: never undo it
        await ctx.save()
        where = f"'{name}'" if parent is None else f"'{name}' in {parent.path}"
        raise Conflict(f"A group named {where} exists already.") from None
    ctx.data[id_key] = group_id
    await ctx.save()


async def _verify_group(
    b: OrgBackends,
    ctx: SagaContext,
    path: str,
    id_key: str,
    roles: tuple[str, ...],
    creator_role: str,
    user_id: str,
) -> KcGroup:
    """Read back a created group: the one this run made, its role groups, the creator's membership."""
    group = await b.keycloak.group_by_path(path)
    if group.id != ctx.data[id_key]:
        raise IntegrityError(f"The group {path} in Keycloak is not the one this operation created.")
    children = {c.name: c.id for c in await b.keycloak.children(group.id)}
    missing = [r for r in roles if children.get(r) != ctx.data["roles"].get(r)]
    if missing:
        raise IntegrityError(f"{path} lacks its role groups after creation: {', '.join(missing)}.")
    if not any(u.id == user_id for u in await b.keycloak.members(ctx.data["roles"][creator_role])):
        raise IntegrityError(f"The creator is not {creator_role} of {path} after creation.")
    return group


async def _roles(b: OrgBackends, group_id: str, path: str, roles: tuple[str, ...]) -> dict[str, str]:
    return {role: (await b.keycloak.ensure_child(group_id, path, role)).id for role in roles}


def _warn(ctx: SagaContext, text: str, gui_text: str = "") -> None:
    """Something the operation could not do that the person should know (it still succeeded).
    `gui_text`: the same worded for the window (no CLI command), kept in `gui_warnings`."""
    warnings: list[str] = ctx.data.setdefault("warnings", [])
    gui_warnings: list[str] = ctx.data.setdefault("gui_warnings", [])
    if text not in warnings:
        warnings.append(text)
        gui_warnings.append(gui_text or text)
    log.warning("%s", text)


async def _delegate(b: OrgBackends, ctx: SagaContext, org: str) -> None:
    """Give the organisation's members their rights through Keycloak's admin permissions (see
    org_delegation.py); where the realm cannot, the operation still succeeds and says why."""
    try:
        await OrgDelegation(b.keycloak).grant(org, ctx.data.setdefault("delegation", {}), ctx.save)
    except DelegationUnavailable as exc:
        _warn(ctx, exc.user_text(), exc.user_text(gui=True))


async def _undo_delegate(b: OrgBackends, ctx: SagaContext, org: str) -> None:
    record = ctx.data.get("delegation")
    if record:
        await OrgDelegation(b.keycloak).undo(org, record)


# -- organisations -------------------------------------------------------------------------------------
def org_create_steps(b: OrgBackends, params: dict[str, Any]) -> list[Step]:
    org = params["org"]

    async def validate(ctx: SagaContext) -> None:
        validate_org_name(org)
        if await b.keycloak.find_group(f"/{org}") is not None:
            raise Conflict(f"An organisation named '{org}' exists already.")

    async def create_group(ctx: SagaContext) -> None:
        await _create_group(b, ctx, "org_group_id", org, None)

    async def undo_group(ctx: SagaContext) -> None:
        await _delete_claimed(b, ctx, "org_group_id", f"/{org}")

    async def create_roles(ctx: SagaContext) -> None:
        ctx.data["roles"] = await _roles(b, ctx.data["org_group_id"], f"/{org}", ORG_ROLES)

    async def add_owner(ctx: SagaContext) -> None:
        await b.keycloak.add_member(params["user_id"], ctx.data["roles"]["owner"])

    async def delegate(ctx: SagaContext) -> None:
        await _delegate(b, ctx, org)

    async def undo_delegate(ctx: SagaContext) -> None:
        await _undo_delegate(b, ctx, org)

    async def verify(ctx: SagaContext) -> None:
        await _verify_group(b, ctx, f"/{org}", "org_group_id", ORG_ROLES, "owner", params["user_id"])

    return [
        Step("check the name", validate),
        Step("create the organisation group", create_group, undo_group),
        Step("create the owner/admin/write/read groups", create_roles),
        Step("make the creator owner", add_owner),
        Step(
            "let its owners and admins manage it and its members see it (Keycloak)", delegate, undo_delegate
        ),
        Step("verify the organisation", verify),
    ]


def org_delegate_steps(b: OrgBackends, params: dict[str, Any]) -> list[Step]:
    """`org delegate`: create or repair an organisation's admin permissions (a realm administrator)."""
    org = params["org"]

    async def check(ctx: SagaContext) -> None:
        await b.keycloak.group_by_path(f"/{org}")

    async def grant(ctx: SagaContext) -> None:
        await OrgDelegation(b.keycloak).grant(org, ctx.data.setdefault("delegation", {}), ctx.save)

    return [
        Step("find the organisation", check),
        Step("give its members their rights (Keycloak admin permissions)", grant),
    ]


async def _app_workspaces(b: OrgBackends, org_group: KcGroup) -> list[dict[str, str]]:
    apps = []
    for child in await b.keycloak.children(org_group.id):
        if child.name in RESERVED_IN_ORG:
            continue
        apps.append(
            {"app": child.name, "group_id": child.id, "workspace": child.attribute(WORKSPACE_ATTRIBUTE)}
        )
    return apps


async def _disable(b: OrgBackends, ctx: SagaContext, workspaces: list[str]) -> None:
    disabled: list[str] = ctx.data.setdefault("disabled", [])
    for name in workspaces:
        if not name or name in disabled:
            continue
        found = await (await b.sp()).find_workspace(name)
        if found is None:
            log.warning("workspace %s named by a group does not exist", name)
            continue
        if found.status != "DISABLED":
            disabled.append(name)
            await ctx.save()
            await (await b.sp()).set_workspace_status(name, "DISABLED")


async def _reenable(b: OrgBackends, ctx: SagaContext) -> None:
    for name in ctx.data.get("disabled", []):
        if await (await b.sp()).find_workspace(name) is not None:
            await (await b.sp()).set_workspace_status(name, "ENABLED")


def org_delete_steps(b: OrgBackends, params: dict[str, Any]) -> list[Step]:
    org = params["org"]

    async def resolve(ctx: SagaContext) -> None:
        group = await b.keycloak.group_by_path(f"/{org}")
        ctx.data["org_group_id"] = group.id
        ctx.data["apps"] = await _app_workspaces(b, group)
        children = await b.keycloak.children(group.id)
        ctx.data["managers"] = [c.id for c in children if c.name in ("owner", "admin")]

    async def disable(ctx: SagaContext) -> None:
        await _disable(b, ctx, [a["workspace"] for a in ctx.data["apps"]])

    async def reenable(ctx: SagaContext) -> None:
        await _reenable(b, ctx)

    async def delete_files(ctx: SagaContext) -> None:
        await _delete_files(b, ctx, org)

    async def delete_group(ctx: SagaContext) -> None:
        await b.keycloak.delete_group(ctx.data["org_group_id"])

    async def forget(ctx: SagaContext) -> None:
        # Keycloak drops deleted groups from permissions itself; the policies are left. Removing them
        # needs a realm administrator: an owner's deletion leaves them, inert, and says so.
        try:
            await OrgDelegation(b.keycloak).remove(org, set(ctx.data.get("managers", [])))
        except HyperOtaError as exc:
            _warn(
                ctx,
                f"The admin permissions of {org} were left in Keycloak; they grant nothing now that its "
                f"groups are gone. {exc.message} A realm administrator can delete the policies named "
                f"'hyperota org {org}: ...'.",
            )

    return [
        Step("find the organisation and its applications", resolve),
        Step("disable every application's workspace", disable, reenable),
        Step("delete the organisation's stored files", delete_files, pivot=True),
        Step("delete the organisation's groups", delete_group),
        Step("remove its admin permissions (Keycloak)", forget),
    ]


# -- applications --------------------------------------------------------------------------------------
def app_create_steps(b: OrgBackends, params: dict[str, Any]) -> list[Step]:
    org, app = params["org"], params["app"]
    path = f"/{org}/{app}"

    async def validate(ctx: SagaContext) -> None:
        validate_app_name(app)
        org_group = await b.keycloak.group_by_path(f"/{org}")
        if await b.keycloak.find_group(path) is not None:
            raise Conflict(f"Organisation '{org}' already has an application named '{app}'.")
        ctx.data["org_group_id"] = org_group.id

    async def create_group(ctx: SagaContext) -> None:
        parent = KcGroup(ctx.data["org_group_id"], org, f"/{org}")
        await _create_group(b, ctx, "app_group_id", app, parent)

    async def undo_group(ctx: SagaContext) -> None:
        await _delete_claimed(b, ctx, "app_group_id", path)

    async def create_roles(ctx: SagaContext) -> None:
        ctx.data["roles"] = await _roles(b, ctx.data["app_group_id"], path, APP_ROLES)

    async def add_admin(ctx: SagaContext) -> None:
        await b.keycloak.add_member(params["user_id"], ctx.data["roles"]["admin"])

    async def delegate(ctx: SagaContext) -> None:
        await _delegate(b, ctx, org)

    async def undo_delegate(ctx: SagaContext) -> None:
        await _undo_delegate(b, ctx, org)

    async def create_workspace(ctx: SagaContext) -> None:
        for _ in range(3):
            name = ctx.data.get("workspace") or workspace_name(org, app)
            ctx.data["workspace"] = name
            await ctx.save()
            if await (await b.sp()).find_workspace(name) is not None:
                return  # created by this run before an interruption
            try:
                await (await b.sp()).create_workspace(name, params.get("email") or "admin@example.com")
                return
            except Conflict:
                ctx.data.pop("workspace")  # taken by someone else meanwhile: pick another name
        raise Conflict("Could not find a free Superposition workspace name.")

    async def disable_workspace(ctx: SagaContext) -> None:
        name = ctx.data.get("workspace")
        if name and await (await b.sp()).find_workspace(name) is not None:
            await (await b.sp()).set_workspace_status(name, "DISABLED")

    async def create_configs(ctx: SagaContext) -> None:
        sp, workspace = await b.sp(), ctx.data["workspace"]
        reason = f"HyperOTA: defaults of application {org}/{app}"
        for _attempt in range(2):  # once more for any the server said it made but did not
            present = await sp.default_config_keys(workspace)
            for config in default_configs(app):
                if config.key not in present:
                    await sp.create_default_config(workspace, config, reason)

    async def bind(ctx: SagaContext) -> None:
        group = KcGroup(ctx.data["app_group_id"], app, path, ctx.data["org_group_id"])
        await b.keycloak.set_attributes(group, {WORKSPACE_ATTRIBUTE: [ctx.data["workspace"]]})

    async def verify(ctx: SagaContext) -> None:
        group = await _verify_group(b, ctx, path, "app_group_id", APP_ROLES, "admin", params["user_id"])
        workspace = ctx.data["workspace"]
        if group.attribute(WORKSPACE_ATTRIBUTE) != workspace:
            raise IntegrityError(f"The group {path} does not record its workspace {workspace}.")
        found = await (await b.sp()).find_workspace(workspace)
        if found is None or found.status != "ENABLED":
            raise IntegrityError(f"The Superposition workspace {workspace} is missing or not enabled.")
        missing = sorted(
            {c.key for c in default_configs(app)} - await (await b.sp()).default_config_keys(workspace)
        )
        if missing:
            raise IntegrityError(
                f"Superposition answered that it created the default configs of {workspace}, but "
                f"{len(missing)} are missing: {', '.join(missing)}."
            )

    return [
        Step("check the name", validate),
        Step("create the application group", create_group, undo_group),
        Step("create the admin/write/read groups", create_roles),
        Step("make the creator admin", add_admin),
        Step("let the organisation's members see and manage it (Keycloak)", delegate, undo_delegate),
        Step("create the Superposition workspace", create_workspace, disable_workspace),
        Step("create the default configs", create_configs),
        Step("record the workspace on the application group", bind),
        Step("verify the application", verify),
    ]


def app_delete_steps(b: OrgBackends, params: dict[str, Any]) -> list[Step]:
    org, app = params["org"], params["app"]

    async def resolve(ctx: SagaContext) -> None:
        group = await b.keycloak.group_by_path(f"/{org}/{app}")
        if app in RESERVED_IN_ORG:
            raise NotFound(f"'{app}' is a role group of {org}, not an application.")
        ctx.data["app_group_id"] = group.id
        ctx.data["workspace"] = group.attribute(WORKSPACE_ATTRIBUTE)  # never inferred

    async def disable(ctx: SagaContext) -> None:
        await _disable(b, ctx, [ctx.data["workspace"]])

    async def reenable(ctx: SagaContext) -> None:
        await _reenable(b, ctx)

    async def delete_files(ctx: SagaContext) -> None:
        await _delete_files(b, ctx, org, app)

    async def delete_group(ctx: SagaContext) -> None:
        await b.keycloak.delete_group(ctx.data["app_group_id"])

    return [
        Step("find the application and its workspace", resolve),
        Step("disable the workspace", disable, reenable),
        Step("delete the application's stored files", delete_files, pivot=True),
        Step("delete the application's groups", delete_group),
    ]


def register_org_sagas(runner: SagaRunner, backends: Callable[[], OrgBackends]) -> None:
    """Register the kinds; `backends()` is called when a run (or a crash reconciliation) is built."""
    for kind, steps in (
        (ORG_CREATE, org_create_steps),
        (ORG_DELETE, org_delete_steps),
        (ORG_DELEGATE, org_delegate_steps),
        (APP_CREATE, app_create_steps),
        (APP_DELETE, app_delete_steps),
    ):
        runner.register(SagaDefinition(kind, lambda params, s=steps: s(backends(), params)))  # type: ignore[misc]
    runner.register(
        SagaDefinition(WORKSPACE_MIGRATE, lambda p: migration_steps(backends(), p), Recovery.FORWARD)
    )
