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
from hyperota_desktop.domain.errors import Conflict, NotFound, PermissionDenied
from hyperota_desktop.domain.membership import MemberScope
from hyperota_desktop.services.orgs import OrgService
from hyperota_desktop.services.saga import SagaFailed
from hyperota_desktop.stores.journal import Journal
from tests.orgs.test_org_lifecycle import fresh, groups, workspaces
from tests.support.org_env import OrgEnv, login, make_env

ROOT = Path(__file__).resolve().parents[2]


async def test_bob_reads_but_cannot_create(as_user: Any) -> None:
    bob = as_user("bob")
    orgs = {o.name: o for o in await bob.orgs.list_orgs()}
    assert list(orgs) == ["demo"] and orgs["demo"].level is AccessLevel.READ
    with pytest.raises(
        PermissionDenied, match="have read access to demo; to create applications you need admin"
    ):
        await bob.orgs.create_app("demo", "nope")
    with pytest.raises(PermissionDenied, match="org-creator"):  # refused before anything is started
        await bob.orgs.create_org(fresh("bobs"))
    assert bob.runner.journal.list() == []
    with pytest.raises(PermissionDenied, match="needs owner/admin"):
        await bob.members.list_members(MemberScope("demo"))


async def test_carol_sees_nothing(as_user: Any) -> None:
    carol = as_user("carol")
    assert await carol.orgs.list_orgs() == []
    with pytest.raises(PermissionDenied):
        await carol.orgs.list_apps("demo")
    with pytest.raises(PermissionDenied, match="no access to demo"):
        await carol.orgs.delete_org("demo")


async def test_dave_creates_his_own_org_and_manages_it(as_user: Any, sb: Any) -> None:
    dave = as_user("dave")
    org = fresh("daves")
    await dave.orgs.create_org(org)
    orgs = {o.name: o for o in await dave.orgs.list_orgs()}
    assert orgs[org].level is AccessLevel.OWNER and orgs["demo"].level is AccessLevel.WRITE
    await dave.members.add(MemberScope(org), "bob", AccessLevel.READ)
    with pytest.raises(PermissionDenied, match="admin or owner level"):
        await dave.members.add(MemberScope("demo"), "carol", AccessLevel.READ)
    app = (await dave.orgs.create_app(org, "tool")).data["workspace"]
    assert workspaces(sb)[app] == "ENABLED"
    await dave.orgs.delete_org(org)
    assert f"/{org}" not in groups(sb)


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
            if records and records[0].steps[-1].status == "running":
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
