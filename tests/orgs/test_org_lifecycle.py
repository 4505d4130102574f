"""Organisations and applications end to end against the sandbox over HTTP: create, list, delete,
and a failure injected at every step of every saga leaves nothing behind."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.errors import Conflict, PermissionDenied, ValidationError
from hyperota_desktop.services.org_delegation import MANAGERS_POLICY, permission_names, policy_names
from hyperota_desktop.services.saga import SagaFailed, SagaRuntime
from hyperota_desktop.services.storage_cleanup import FileCount, FilesDeleted, S3PrefixDeleter
from tests.support.org_env import OrgEnv, s3_client

_names = itertools.count()


def fresh(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


def groups(sb: Any) -> set[str]:
    realm = sb.keycloak.realm
    with realm.lock:
        return {realm.path(g) for g in realm.groups.values()}


def workspaces(sb: Any) -> dict[str, str]:
    with sb.superposition.lock:
        return {
            name: ws.status for (org, name), ws in sb.superposition.workspaces.items() if org == sb.org_id
        }


def admin_permissions(sb: Any) -> dict[str, Any]:
    """Name -> the FGAP v2 policy/permission objects in the Keycloak emulator."""
    realm = sb.keycloak.realm
    with realm.lock:
        return {p.name: p for p in realm.authz.policies.values()}


def managers(sb: Any) -> set[str]:
    """Group ids in the shared `hyperota: organisation managers` policy."""
    return {str(g["id"]) for g in admin_permissions(sb)[MANAGERS_POLICY].groups}


def delegation(org: str) -> set[str]:
    return {*policy_names(org).values(), *permission_names(org).values()}


def put_file(sb: Any, key: str) -> None:
    s3_client(sb).put_object(Bucket=sb.aws.bucket, Key=key, Body=b"x")


def keys(sb: Any, prefix: str) -> list[str]:
    listing = s3_client(sb).list_objects_v2(Bucket=sb.aws.bucket, Prefix=prefix)
    return [o["Key"] for o in listing.get("Contents", [])]


async def test_create_org_app_then_delete_everything(env: OrgEnv, sb: Any) -> None:
    org, app = fresh("acme"), fresh("shop")
    record = await env.orgs.create_org(org)
    assert record.status == "done" and [s.status for s in record.steps] == ["done"] * 6
    assert record.steps[-1].name == "verify the organisation"
    assert {f"/{org}", f"/{org}/owner", f"/{org}/admin", f"/{org}/write", f"/{org}/read"} <= groups(sb)
    assert delegation(org) <= set(admin_permissions(sb)) and not record.data.get("warnings")
    realm = sb.keycloak.realm
    owner, admin = realm.by_path(f"/{org}/owner"), realm.by_path(f"/{org}/admin")
    assert {owner.id, admin.id} <= managers(sb)
    assert realm.by_path(f"/{org}").client_roles["realm-management"] == {"query-groups", "query-users"}

    record = await env.orgs.create_app(org, app)
    assert record.status == "done"
    workspace = record.data["workspace"]
    view = admin_permissions(sb)[permission_names(org)["view"]]
    app_groups = {realm.by_path(f"/{org}/{app}{role}").id for role in ("", "/admin", "/write", "/read")}
    assert app_groups <= set(view.resources)  # the organisation's members see the new application
    assert workspaces(sb)[workspace] == "ENABLED"
    ws = sb.superposition.workspaces[(sb.org_id, workspace)]
    assert ws.allow_experiment_self_approval and not ws.auto_populate_control
    assert "package.important" in ws.default_configs and ws.default_configs["package.name"]["value"] == app
    assert await env.orgs.workspace_of(org, app) == workspace

    listed = {o.name: o for o in await env.orgs.list_orgs()}
    assert listed[org].level is AccessLevel.OWNER
    assert [(a.name, a.workspace) for a in listed[org].apps] == [(app, workspace)]
    assert "demo" in listed  # alice is a realm admin: she sees every organisation

    put_file(sb, f"tenants/{org}/{app}/files/sha256/ab/abc")
    put_file(sb, f"tenants/{org}2/keep")
    await env.orgs.delete_app(org, app)
    assert workspaces(sb)[workspace] == "DISABLED"
    assert f"/{org}/{app}" not in groups(sb)
    assert keys(sb, f"tenants/{org}/") == []

    seen: list[FilesDeleted] = []
    put_file(sb, f"tenants/{org}/other/packages/00000001.json")
    await env.orgs.delete_org(org, runtime=SagaRuntime(seen.append))
    assert not any(p == f"/{org}" or p.startswith(f"/{org}/") for p in groups(sb))
    assert keys(sb, f"tenants/{org}/") == [] and keys(sb, f"tenants/{org}2/") == [f"tenants/{org}2/keep"]
    assert seen == [FilesDeleted(f"tenants/{org}/", 1)]  # the deletion's progress, through its runtime
    assert not delegation(org) & set(admin_permissions(sb))  # its admin permissions went too


async def test_keep_files_keeps_them(env: OrgEnv, sb: Any) -> None:
    org, app = fresh("keep"), fresh("app")
    await env.orgs.create_org(org)
    await env.orgs.create_app(org, app)
    put_file(sb, f"tenants/{org}/{app}/files/x")
    await env.orgs.delete_app(org, app, keep_files=True)
    await env.orgs.delete_org(org, keep_files=True)
    assert keys(sb, f"tenants/{org}/") == [f"tenants/{org}/{app}/files/x"]


async def test_deletion_preview_says_what_goes_and_counts_the_files(env: OrgEnv, sb: Any) -> None:
    org = fresh("preview")
    await env.orgs.create_org(org)
    workspace = (await env.orgs.create_app(org, "web")).data["workspace"]
    for i in range(3):
        put_file(sb, f"tenants/{org}/web/f{i}")
    preview = await env.orgs.deletion_preview(org)
    assert [(a.name, a.workspace) for a in preview.apps] == [("web", workspace)]
    assert preview.files == FileCount(3, 3) and preview.can_delete_files
    where = f"s3://{sb.aws.bucket}/tenants/{org}/ (3 file(s), 3 B)"
    assert any(where in line and "cannot be undone" in line for line in preview.lines(keep_files=False))
    assert any(line.startswith("keep the stored files") for line in preview.lines(keep_files=True))
    assert any(workspace in line for line in preview.lines())
    app_preview = await env.orgs.deletion_preview(org, "web")
    assert app_preview.files_at.endswith(f"tenants/{org}/web/") and app_preview.apps[0].workspace == workspace
    deleter = env.backends.delete_prefix
    assert isinstance(deleter, S3PrefixDeleter)
    capped = await deleter.count(f"tenants/{org}/", limit=2)
    assert capped == FileCount(2, 2, complete=False) and capped.describe().startswith("more than 2 file(s)")

    sb.servers["aws"].faults.add(r"/", method="GET", status=503, times=50)
    broken = await env.orgs.deletion_preview(org)  # a failed count still says what will be deleted
    sb.servers["aws"].faults.clear()
    assert broken.files is None and broken.files_problem and broken.can_delete_files
    env.backends.delete_prefix = None
    try:
        without = await env.orgs.deletion_preview(org)
    finally:
        env.backends.delete_prefix = deleter
    assert not without.can_delete_files and "names no bucket" in without.lines()[-1]


async def test_a_superposition_403_names_the_missing_right(env: OrgEnv, sb: Any) -> None:
    org = fresh("denied")
    await env.orgs.create_org(org)
    sb.servers["superposition"].faults.add(r"^/workspaces$", method="POST", status=403, times=1)
    with pytest.raises(SagaFailed) as failed:
        await env.orgs.create_app(org, "web")
    cause = failed.value.cause
    assert isinstance(cause, PermissionDenied)
    assert f"needs the right to create workspaces in Superposition organisation {sb.org_id}" in cause.message
    assert f"/{org}/web" not in groups(sb)  # rolled back
    assert "needs the right to create workspaces" in (
        failed.value.record.error if failed.value.record else ""
    )


async def test_bad_and_duplicate_names(env: OrgEnv) -> None:
    with pytest.raises(ValidationError, match="lowercase"):
        await env.orgs.create_org("Bad Name")
    with pytest.raises(ValidationError, match="reserved"):
        await env.orgs.create_app("demo", "owner")
    with pytest.raises(SagaFailed, match="exists already") as failed:
        await env.orgs.create_org("demo")
    assert isinstance(failed.value.cause, Conflict)
    org = fresh("dup")
    await env.orgs.create_org(org)
    await env.orgs.create_app(org, "app")
    with pytest.raises(SagaFailed, match="already has an application"):
        await env.orgs.create_app(org, "app")


# -- a failure at every step ---------------------------------------------------------------------------
ORG_CREATE_FAULTS = [
    ("keycloak", r"/group-by-path/", "GET"),
    ("keycloak", r"/admin/realms/hyperota/groups$", "POST"),
    ("keycloak", r"/children$", "POST"),
    ("keycloak", r"/users/.*/groups/", "PUT"),
    ("keycloak", r"/authz/resource-server/permission/scope$", "POST"),  # delegation, half-way
    ("keycloak", r"/authz/resource-server/policy/group/[^/]+$", "PUT"),  # joining the shared policy
    ("keycloak", r"/role-mappings/clients/", "POST"),  # delegation, last call
]


@pytest.mark.parametrize(("server", "path", "method"), ORG_CREATE_FAULTS)
async def test_org_create_failing_at_any_step_leaves_nothing(
    env: OrgEnv, sb: Any, server: str, path: str, method: str
) -> None:
    org = fresh("fail")
    before, shared = groups(sb), managers(sb)
    sb.servers[server].faults.add(path, method=method, status=503, times=50)
    with pytest.raises(SagaFailed) as failed:
        await env.orgs.create_org(org)
    sb.servers[server].faults.clear()
    assert groups(sb) == before
    assert not delegation(org) & set(admin_permissions(sb)) and managers(sb) == shared
    record = failed.value.record
    assert record is not None and record.status == "rolled_back"
    assert "Keycloak answered 503" in record.error


APP_CREATE_FAULTS = [
    ("keycloak", r"/group-by-path/", "GET", 1),  # check the name
    ("keycloak", r"/children$", "POST", 1),  # app group
    ("keycloak", r"/children$", "POST", 2),  # role groups
    ("keycloak", r"/users/.*/groups/", "PUT", 1),  # creator admin
    ("keycloak", r"/authz/resource-server/permission/scope/", "PUT", 1),  # extend the org's permissions
    ("superposition", r"^/workspaces$", "POST", 1),
    ("superposition", r"^/default-config$", "POST", 1),
    ("keycloak", r"/realms/hyperota/groups/[^/]+$", "PUT", 1),  # bind attribute
]


@pytest.mark.parametrize(("server", "path", "method", "skip"), APP_CREATE_FAULTS)
async def test_app_create_failing_at_any_step_leaves_nothing(
    env: OrgEnv, sb: Any, server: str, path: str, method: str, skip: int
) -> None:
    org, app = fresh("appfail"), fresh("app")
    await env.orgs.create_org(org)
    before_groups, before_ws = groups(sb), workspaces(sb)
    faults = sb.servers[server].faults
    if skip > 1:  # let the first matching call through (the app group itself)
        faults.add(path, method=method, status=0, times=skip - 1)
    faults.add(path, method=method, status=503, times=50)
    with pytest.raises(SagaFailed) as failed:
        await env.orgs.create_app(org, app)
    faults.clear()
    assert groups(sb) == before_groups
    created = set(workspaces(sb)) - set(before_ws)
    assert all(workspaces(sb)[w] == "DISABLED" for w in created)  # cannot delete: disabled
    assert failed.value.record is not None and failed.value.record.status == "rolled_back"


DELETE_FAULTS = [
    ("keycloak", r"/group-by-path/", "GET"),
    ("superposition", r"^/workspaces/[^/]+$", "PUT"),
    ("aws", r"/", "POST"),  # S3 DeleteObjects
    ("keycloak", r"/groups/[^/]+$", "DELETE"),
]


@pytest.mark.parametrize(("server", "path", "method"), DELETE_FAULTS)
async def test_org_delete_failing_at_any_step_leaves_it_intact(
    env: OrgEnv, sb: Any, server: str, path: str, method: str
) -> None:
    org, app = fresh("delfail"), fresh("app")
    await env.orgs.create_org(org)
    workspace = (await env.orgs.create_app(org, app)).data["workspace"]
    put_file(sb, f"tenants/{org}/{app}/files/y")
    before = groups(sb)
    sb.servers[server].faults.add(path, method=method, status=503, times=50)
    with pytest.raises(SagaFailed):
        await env.orgs.delete_org(org)
    sb.servers[server].faults.clear()
    assert groups(sb) == before
    assert workspaces(sb)[workspace] == "ENABLED"
    await env.orgs.delete_org(org)  # and a second attempt finishes the job
    assert workspaces(sb)[workspace] == "DISABLED" and f"/{org}" not in groups(sb)


@pytest.mark.parametrize(("server", "path", "method"), DELETE_FAULTS)
async def test_app_delete_failing_at_any_step_leaves_it_intact(
    env: OrgEnv, sb: Any, server: str, path: str, method: str
) -> None:
    org, app = fresh("appdel"), fresh("app")
    await env.orgs.create_org(org)
    workspace = (await env.orgs.create_app(org, app)).data["workspace"]
    put_file(sb, f"tenants/{org}/{app}/files/z")
    before = groups(sb)
    sb.servers[server].faults.add(path, method=method, status=503, times=50)
    with pytest.raises(SagaFailed):
        await env.orgs.delete_app(org, app)
    sb.servers[server].faults.clear()
    assert groups(sb) == before and workspaces(sb)[workspace] == "ENABLED"


async def test_outage_mid_saga_is_rolled_back(env: OrgEnv, sb: Any) -> None:
    """Superposition drops connections while the workspace is created: Keycloak groups are removed."""
    org, app = fresh("outage"), fresh("app")
    await env.orgs.create_org(org)
    before = groups(sb)
    sb.servers["superposition"].faults.add(r"^/workspaces$", method="POST", drop=True, times=50)
    with pytest.raises(SagaFailed, match="could not be reached"):
        await env.orgs.create_app(org, app)
    assert groups(sb) == before
