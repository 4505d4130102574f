"""Permissions for alice/bob/carol/dave, members and their guards, paging beyond 100, bootstrap of the
Superposition organisation, and a process killed mid-saga then reconciled."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.errors import Conflict, MissingRight, NotFound, PermissionDenied
from hyperota_desktop.domain.membership import MemberScope
from hyperota_desktop.services.org_delegation import permission_names
from hyperota_desktop.services.orgs import OrgService
from hyperota_desktop.services.saga import SagaFailed
from hyperota_desktop.stores.journal import Journal
from tests.orgs.test_org_lifecycle import fresh, groups, workspaces
from tests.support.org_env import OrgEnv, login, make_env

ROOT = Path(__file__).resolve().parents[2]


async def test_bob_reads_but_cannot_create(as_user: Any) -> None:
    bob = as_user("bob")
    orgs = {o.name: o for o in await bob.orgs.list_orgs()}
    assert list(orgs) == ["demo"] and orgs["demo"].level is AccessLevel.READ and not orgs["demo"].hidden
    with pytest.raises(
        PermissionDenied, match="have read access to demo; to create applications you need admin"
    ):
        await bob.orgs.create_app("demo", "nope")
    with pytest.raises(MissingRight, match="manage-users") as refused:  # refused before anything runs
        await bob.orgs.create_org(fresh("bobs"))
    assert "realm administrator" in refused.value.granted_by
    assert bob.runner.journal.list() == []
    members = {m.user.username for m in await bob.members.list_members(MemberScope("demo"))}
    assert {"alice", "bob", "dave"} <= members  # a reader sees who else is in the organisation
    with pytest.raises(PermissionDenied, match="admin or owner level"):
        await bob.members.add(MemberScope("demo"), "carol", AccessLevel.READ)


async def test_view_users_or_query_groups_do_not_make_an_owner(as_user: Any, sb: Any) -> None:
    """Issue 12.1: the client used to count view-users or query-groups as realm admin, hence owner of
    every organisation. A view-users holder reads every organisation; query-groups gives nothing."""
    realm = sb.keycloak.realm
    with realm.lock:
        if realm.user_by_name("vera") is None:
            realm.add_user("vera", "vera@example.com", "Vera", "Viewer").client_roles["realm-management"] = [
                "view-users"
            ]
    vera = as_user("vera")
    assert not await vera.backends.keycloak.is_realm_admin()
    assert await vera.orgs.level(MemberScope("demo")) is AccessLevel.READ
    assert "demo" in {o.name for o in await vera.orgs.list_orgs()}  # view-users lists every group
    with pytest.raises(PermissionDenied, match="need owner access"):
        await vera.orgs.delete_org("demo")
    bob = as_user("bob")  # holds query-groups and query-users through /demo's role mappings
    assert "query-groups" in await bob.backends.keycloak.realm_rights()
    assert await bob.orgs.level(MemberScope("other-org")) is AccessLevel.NONE


async def test_manage_users_alone_creates_but_cannot_delegate(as_user: Any, sb: Any) -> None:
    """An administrator with manage-users but not manage-authorization: the organisation and the
    application are created (Keycloak lets them), and the result says who must delegate them."""
    realm = sb.keycloak.realm
    with realm.lock:
        if realm.user_by_name("mona") is None:
            realm.add_user("mona", "mona@example.com", "Mona", "Manager").client_roles["realm-management"] = [
                "manage-users"
            ]
    mona = as_user("mona")
    org = fresh("monas")
    record = await mona.orgs.create_org(org)
    assert record.status == "done" and any(
        f"hyperota org delegate {org}" in w for w in record.data["warnings"]
    )
    app = await mona.orgs.create_app(org, "web")
    assert app.status == "done" and any("realm administrator" in w for w in app.data["warnings"])
    assert realm.authz.by_name(permission_names(org)["view"]) is None
    with pytest.raises(SagaFailed, match="realm administrator"):
        await mona.orgs.delegate_org(org)


async def test_carol_sees_nothing(as_user: Any) -> None:
    carol = as_user("carol")
    assert await carol.orgs.list_orgs() == []
    with pytest.raises(PermissionDenied):
        await carol.orgs.list_apps("demo")
    with pytest.raises(PermissionDenied, match="no access to demo"):
        await carol.orgs.delete_org("demo")


async def test_an_owner_delegated_through_fgap_works_without_realm_roles(
    env: OrgEnv, as_user: Any, sb: Any
) -> None:
    """alice (realm administrator) creates an organisation and makes carol its owner: carol holds no
    admin role, yet manages it through the Keycloak admin permissions the creation set up."""
    org = fresh("carols")
    await env.orgs.create_org(org)
    await env.members.add(MemberScope(org), "carol", AccessLevel.OWNER)
    carol = as_user("carol")  # signs in now: her token carries the organisation's query roles
    orgs = {o.name: o for o in await carol.orgs.list_orgs()}
    assert list(orgs) == [org] and orgs[org].level is AccessLevel.OWNER
    await carol.members.add(MemberScope(org), "bob", AccessLevel.READ)
    await carol.members.add(MemberScope(org), "dave", AccessLevel.ADMIN)
    await carol.members.set_level(MemberScope(org), "dave", AccessLevel.OWNER)
    await carol.members.set_level(MemberScope(org), "dave", AccessLevel.ADMIN)
    with pytest.raises(MissingRight, match="realm administrator") as refused:
        await carol.orgs.create_app(org, "web")  # Keycloak's permissions miss groups made later
    assert "keycloak#29100" in refused.value.message
    with pytest.raises(PermissionDenied):
        await carol.members.add(MemberScope("demo"), "bob", AccessLevel.READ)

    workspace = (await env.orgs.create_app(org, "web")).data["workspace"]
    assert [(a.name, a.workspace) for a in await carol.orgs.list_apps(org)] == [("web", workspace)]
    await carol.members.add(MemberScope(org, "web"), "bob", AccessLevel.WRITE)
    await carol.orgs.delete_app(org, "web")
    assert f"/{org}/web" not in groups(sb)
    record = await carol.orgs.delete_org(org)
    assert f"/{org}" not in groups(sb)
    assert any("were left in Keycloak" in w and "realm administrator" in w for w in record.data["warnings"])


async def test_a_reader_sees_the_applications_and_their_workspaces(env: OrgEnv, as_user: Any) -> None:
    """Issue 16.7: bob, a reader, sees the organisation's applications, their workspaces (to read the
    packages and releases) and its members; where Keycloak refuses, the service says why."""
    org = fresh("readable")
    await env.orgs.create_org(org)
    workspace = (await env.orgs.create_app(org, "shop")).data["workspace"]
    await env.members.add(MemberScope(org), "bob", AccessLevel.READ)
    bob = as_user("bob")
    listed = {o.name: o for o in await bob.orgs.list_orgs()}
    assert [(a.name, a.workspace, a.level) for a in listed[org].apps] == [
        ("shop", workspace, AccessLevel.READ)
    ]
    assert await bob.orgs.workspace_of(org, "shop") == workspace
    assert {m.user.username for m in await bob.members.list_members(MemberScope(org, "shop"))} == {"alice"}

    # the organisation loses its admin permissions (made before delegation existed, or removed)
    await env.orgs.delete_org(org)
    org = fresh("undelegated")
    await env.orgs.create_org(org)
    await env.orgs.create_app(org, "shop")
    await env.members.add(MemberScope(org), "bob", AccessLevel.READ)
    realm = env.sandbox.keycloak.realm
    with realm.lock:
        for name in list(permission_names(org).values()):
            realm.authz.delete(realm.authz.by_name(name).id)
    bob = as_user("bob")
    hidden = {o.name: o for o in await bob.orgs.list_orgs()}[org]
    assert hidden.apps == () and "Ask a realm administrator to delegate" in hidden.hidden
    assert "hyperota " not in hidden.hidden  # the GUI shows it as is: no CLI command
    with pytest.raises(MissingRight, match=f"did not let you see the applications of {org}"):
        await bob.orgs.list_apps(org)
    with pytest.raises(MissingRight, match=r"members of organisation .* Ask a realm administrator"):
        await bob.members.list_members(MemberScope(org))  # said why, not "no group" nor an empty list
    await env.orgs.delegate_org(org)  # a realm administrator repairs it
    assert [a.name for a in await bob.orgs.list_apps(org)] == ["shop"]


async def test_members_levels_and_guards(env: OrgEnv, as_user: Any) -> None:
    org = fresh("team")
    await env.orgs.create_org(org)
    scope = MemberScope(org)
    await env.members.add(scope, "bob@example.com", AccessLevel.READ)
    await env.members.add(scope, "dave", AccessLevel.ADMIN)
    await env.members.set_level(scope, "bob", AccessLevel.WRITE)
    listed = {m.user.username: m.level for m in await env.members.list_members(scope)}
    assert listed == {"alice": AccessLevel.OWNER, "bob": AccessLevel.WRITE, "dave": AccessLevel.ADMIN}
    with pytest.raises(Conflict, match="already a member"):
        await env.members.add(scope, "bob", AccessLevel.READ)
    with pytest.raises(NotFound, match="No Keycloak user"):
        await env.members.add(scope, "nobody", AccessLevel.READ)

    dave = as_user("dave")
    with pytest.raises(PermissionDenied, match=r"Only owners|above"):
        await dave.members.set_level(scope, "bob", AccessLevel.OWNER)
    with pytest.raises(PermissionDenied, match="level owner"):
        await dave.members.remove(scope, "alice")
    await dave.members.set_level(scope, "bob", AccessLevel.READ)

    with pytest.raises(Conflict, match="last owner"):
        await env.members.remove(scope, "alice")
    with pytest.raises(Conflict, match="last owner"):
        await env.members.set_level(scope, "alice", AccessLevel.ADMIN)
    await env.members.set_level(scope, "bob", AccessLevel.OWNER)
    await env.members.remove(scope, "bob")  # two owners: one may go
    listed = {m.user.username: m.level for m in await env.members.list_members(scope)}
    assert listed == {"alice": AccessLevel.OWNER, "dave": AccessLevel.ADMIN}

    app_scope = MemberScope(org, "web")
    await env.orgs.create_app(org, "web")
    await env.members.add(app_scope, "carol", AccessLevel.WRITE)
    with pytest.raises(Exception, match="not a level of an application"):
        await env.members.set_level(app_scope, "carol", AccessLevel.OWNER)
    assert {m.user.username: m.level for m in await env.members.list_members(app_scope)} == {
        "alice": AccessLevel.ADMIN,
        "carol": AccessLevel.WRITE,
    }


async def test_a_failed_level_change_is_compensated(env: OrgEnv, sb: Any) -> None:
    org = fresh("comp")
    await env.orgs.create_org(org)
    scope = MemberScope(org)
    await env.members.add(scope, "bob", AccessLevel.READ)
    # enough failures to exhaust the retries of the removal, then the compensation goes through
    sb.servers["keycloak"].faults.add(r"/users/.*/groups/", method="DELETE", status=503, times=3)
    with pytest.raises(SagaFailed) as failed:
        await env.members.set_level(scope, "bob", AccessLevel.WRITE)
    assert failed.value.record is not None and failed.value.record.status == "rolled_back"
    sb.servers["keycloak"].faults.clear()
    listed = {m.user.username: m.level for m in await env.members.list_members(scope)}
    assert listed["bob"] is AccessLevel.READ
    realm = sb.keycloak.realm
    bob = realm.user_by_name("bob")
    assert f"/{org}/write" not in {realm.path(realm.groups[g]) for g in bob.groups}


async def test_paging_beyond_100_groups_children_members_and_organisations(env: OrgEnv, sb: Any) -> None:
    realm = sb.keycloak.realm
    org = fresh("big")
    await env.orgs.create_org(org)
    with realm.lock:
        tops = [realm.add_group(f"{org}-extra-{i:03d}") for i in range(105)]
        org_group = realm.by_path(f"/{org}")
        for i in range(103):
            realm.add_group(f"app{i:03d}", org_group)
        read = realm.by_path(f"/{org}/read")
        for i in range(120):
            realm.add_user(f"{org}-user{i:03d}", f"{org}{i}@example.com", "U", str(i)).groups.add(read.id)
    names = {o.name for o in await env.orgs.list_orgs()}
    assert {t.name for t in tops} <= names
    assert len(await env.orgs.list_apps(org)) == 103
    members = await env.members.list_members(MemberScope(org))
    assert len(members) == 121

    with sb.superposition.lock:
        pass
    target = "PagedOrgTarget"
    sb.superposition.create_organisation(target)  # the oldest: on the last page
    for i in range(105):
        sb.superposition.create_organisation(f"filler{i}")
    saved: list[Any] = []
    profile = env.profile.with_changes(superposition_org_id="", superposition_org_name=target)
    service = OrgService(env.backends, env.runner, profile, env.authz, save_profile=saved.append)
    org_id = await service.ensure_superposition_org()
    assert sb.superposition.orgs[org_id].name == target
    assert saved[-1].superposition_org_id == org_id

    profile = env.profile.with_changes(superposition_org_id="", superposition_org_name="BrandNewOrg")
    service = OrgService(env.backends, env.runner, profile, env.authz, save_profile=saved.append)
    created = await service.ensure_superposition_org()
    assert sb.superposition.orgs[created].name == "BrandNewOrg" and saved[-1].superposition_org_id == created
    env.backends.superposition.org_id = sb.org_id


async def test_the_sandbox_seed_is_what_the_client_creates(env: OrgEnv, sb: Any) -> None:
    """`demo`'s admin permissions are seeded by the sandbox; delegating `demo` again through the
    admin API finds every object the client would create, creates none, changes no resource."""
    realm = sb.keycloak.realm
    with realm.lock:
        before = {
            p.name: (p.type, sorted(p.resources), sorted(p.scopes), p.groups, p.policies)
            for p in realm.authz.policies.values()
        }
    record = await env.orgs.delegate_org("demo")
    assert record.data["delegation"].get("created") == [] and "joined" not in record.data["delegation"]
    with realm.lock:
        after = {
            p.name: (p.type, sorted(p.resources), sorted(p.scopes), p.groups, p.policies)
            for p in realm.authz.policies.values()
        }
    assert after == before
    assert {*permission_names("demo").values()} <= set(after)


async def test_a_person_in_130_groups_reads_their_memberships_once(as_user: Any, sb: Any) -> None:
    """Issue 12.5: the Account API's group list is not paged (AccountRestService.groupMemberships);
    the client used to page it and, for 100 or more groups, asked for the same page forever."""
    realm = sb.keycloak.realm
    with realm.lock:
        paula = realm.user_by_name("paula") or realm.add_user("paula", "paula@example.com", "Paula", "Many")
        top = realm.add_group(fresh("many"))
        paula.groups |= {realm.add_group(f"g{i:03d}", top).id for i in range(130)}
    env = as_user("paula")
    mine = await asyncio.wait_for(env.backends.keycloak.my_groups(), timeout=20)
    assert len(mine) == 130 and all(g.parent_id == top.id for g in mine)


async def test_a_killed_process_is_reconciled_at_the_next_start(sb: Any, tmp_path: Path) -> None:
    env = make_env(sb, "alice", tmp_path / "first")
    org, app = fresh("crash"), fresh("app")
    await env.orgs.create_org(org)
    me = await env.orgs.me()
    await env.aclose()
    journal_path = tmp_path / "journal" / "journal.sqlite3"
    journal = Journal(journal_path)
    settings = {
        "keycloak_url": sb.keycloak_url,
        "realm": "hyperota",
        "superposition_url": sb.superposition_url,
        "org_id": sb.org_id,
        "token": login(sb, "alice"),
        "journal": str(journal_path),
        "org": org,
        "app": app,
        "user_id": me.id,
    }
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    # the last step (record the workspace on the group) hangs, then the connection is dropped
    sb.servers["keycloak"].faults.add(
        r"/realms/hyperota/groups/[^/]+$", method="PUT", delay=5, drop=True, times=1
    )
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests/support/org_saga_proc.py"), str(tmp_path / "settings.json")],
        cwd=ROOT,
    )
    try:
        for _ in range(400):
            records = journal.list()
            bind = "record the workspace on the application group"
            if records and next(s for s in records[0].steps if s.name == bind).status == "running":
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the subprocess never reached the last step")
    finally:
        proc.kill()
        proc.wait()
    workspace = journal.list()[0].data.get("workspace") or ""
    assert f"/{org}/{app}" in groups(sb) and workspaces(sb)[workspace] == "ENABLED"

    second = make_env(sb, "alice", tmp_path / "second", journal=Journal(journal_path))
    try:
        reconciled = await second.runner.reconcile()
    finally:
        await second.aclose()
    assert [r.status for r in reconciled] == ["rolled_back"]
    assert reconciled[0].error == "interrupted (the app stopped mid-way); undone at the next start"
    assert f"/{org}/{app}" not in groups(sb)
    assert workspaces(sb)[workspace] == "DISABLED"
    time.sleep(0)  # the dropped request's server thread finishes on its own
