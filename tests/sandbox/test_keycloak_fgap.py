"""Keycloak emulator: stock admin rights and fine-grained admin permissions v2, created through the
same admin API paths as on a real server (`/clients/{admin-permissions}/authz/resource-server/...`),
and the group search of Keycloak 26 (any depth, paged over matches, `q`, `populateHierarchy`)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hyperota_desktop.sandbox.http import RunningServer, serve
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator
from tests.sandbox.test_keycloak_admin import FORBIDDEN, device_login


@pytest.fixture(scope="module")
def kc() -> KeycloakEmulator:
    return KeycloakEmulator()


@pytest.fixture(scope="module")
def server(kc: KeycloakEmulator) -> Iterator[RunningServer]:
    running = serve(kc.wsgi, "keycloak-fgap-test")
    yield running
    running.stop()


def client(server: RunningServer, kc: KeycloakEmulator, username: str) -> httpx.Client:
    """A fresh sign-in (role mappings reach the token at sign-in, as in Keycloak)."""
    token = device_login(kc, server, username)["access_token"]
    return httpx.Client(
        base_url=f"{server.url}/admin/realms/hyperota", headers={"Authorization": f"Bearer {token}"}
    )


def ids(kc: KeycloakEmulator) -> dict[str, str]:
    return {u.username: u.id for u in kc.users}


def new_group(api: httpx.Client, name: str, parent: str | None = None) -> str:
    resp = api.post(f"/groups/{parent}/children" if parent else "/groups", json={"name": name})
    assert resp.status_code == 201, resp.text
    return resp.headers["Location"].rsplit("/", 1)[1]


def delegate(alice: httpx.Client, org: str, groups: dict[str, str]) -> dict[str, str]:
    """What a realm administrator sets up: policies, permissions and the query roles, over HTTP."""
    realm = alice.get("").json()
    assert realm["adminPermissionsEnabled"] is True
    authz = f"/clients/{realm['adminPermissionsClient']['id']}/authz/resource-server"
    managers = alice.post(
        f"{authz}/policy/group",
        json={
            "name": f"{org} managers",
            "groups": [{"id": groups["admin"], "extendChildren": False}],
        },
    )
    assert managers.status_code == 201 and managers.json()["id"]
    members = alice.post(
        f"{authz}/policy/group",
        json={"name": f"{org} members", "groups": [{"id": groups["org"], "extendChildren": True}]},
    )
    manage = alice.post(
        f"{authz}/permission/scope",
        json={
            "name": f"{org} managers may manage",
            "resourceType": "Groups",
            "resources": [groups[k] for k in ("org", "admin", "read")],
            "scopes": ["manage", "manage-membership"],
            "policies": [f"{org} managers"],  # by name, as Keycloak accepts
        },
    )
    assert manage.status_code == 201, manage.text
    view = alice.post(
        f"{authz}/permission/scope",
        json={
            "name": f"{org} members may view",
            "resourceType": "Groups",
            "resources": [groups[k] for k in ("org", "owner", "admin", "read")],
            "scopes": ["view", "view-members"],
            "policies": [members.json()["id"]],
        },
    )
    assert view.status_code == 201
    # finding and adding people is one permission on all users for every organisation's managers: a
    # second all-users permission would have to grant too (all permissions of a resource must)
    shared = alice.get(f"{authz}/policy/search", params={"name": "hyperota: organisation managers"}).json()
    current = alice.get(f"{authz}/policy/group/{shared['id']}").json()
    widened = {**current, "groups": [*current["groups"], {"id": groups["admin"], "extendChildren": False}]}
    assert alice.put(f"{authz}/policy/group/{shared['id']}", json=widened).status_code == 201
    management = alice.get("/clients", params={"clientId": "realm-management"}).json()[0]["id"]
    roles = [alice.get(f"/clients/{management}/roles/{r}").json() for r in ("query-groups", "query-users")]
    mapped = alice.post(f"/groups/{groups['org']}/role-mappings/clients/{management}", json=roles)
    assert mapped.status_code == 204
    return {"authz": authz, "manage": manage.json()["id"], "view": view.json()["id"]}


def test_org_admin_delegated_through_fgap_v2(server: RunningServer, kc: KeycloakEmulator) -> None:
    alice = client(server, kc, "alice")
    groups = {"org": new_group(alice, "fgap-org")}
    for role in ("owner", "admin", "read"):
        groups[role] = new_group(alice, role, groups["org"])
    made = delegate(alice, "fgap-org", groups)
    users = ids(kc)
    assert alice.put(f"/users/{users['carol']}/groups/{groups['admin']}").status_code == 204

    carol = client(server, kc, "carol")  # signs in after: her token carries query-groups/query-users
    assert carol.get(f"/groups/{groups['org']}").json()["access"]["manage"] is True
    assert [g["name"] for g in carol.get("/groups").json()] == ["fgap-org"]
    kids = carol.get(f"/groups/{groups['org']}/children").json()
    assert [k["name"] for k in kids] == ["admin", "owner", "read"]
    found = carol.get("/users", params={"username": "bob", "exact": "true"}).json()
    assert [u["username"] for u in found] == ["bob"]  # any user: to add people to the organisation
    assert carol.put(f"/users/{users['bob']}/groups/{groups['read']}").status_code == 204
    assert carol.put(f"/users/{users['bob']}/groups/{groups['owner']}").json() == FORBIDDEN
    assert carol.post("/groups", json={"name": "carol-org"}).json() == FORBIDDEN  # needs manage-users
    demo = kc.realm.by_path("/demo")
    assert demo is not None
    assert carol.get(f"/groups/{demo.id}").status_code == 403

    # an application she creates is hers to create, but not to manage: Keycloak group permissions do
    # not extend to subgroups created later (GroupPermissionsV2; keycloak#29100), until a realm
    # administrator adds the new group to the permission
    app = new_group(carol, "app", groups["org"])
    assert carol.post(f"/groups/{app}/children", json={"name": "admin"}).status_code == 403
    assert carol.get(f"/groups/{app}").status_code == 403
    authz = made["authz"]
    assert carol.put(f"{authz}/permission/scope/{made['manage']}", json={}).json() == FORBIDDEN
    resources = [r["name"] for r in alice.get(f"{authz}/permission/{made['manage']}/resources").json()]
    update = alice.put(
        f"{authz}/permission/scope/{made['manage']}",
        json={
            "name": "fgap-org managers may manage",
            "resourceType": "Groups",
            "resources": [*resources, app],
            "scopes": ["manage", "manage-membership"],
            "policies": ["fgap-org managers"],
        },
    )
    assert update.status_code == 201 and update.content == b""
    assert carol.post(f"/groups/{app}/children", json={"name": "admin"}).status_code == 201

    # deleting a group takes it out of every permission; a permission left without groups goes
    assert alice.delete(f"/groups/{groups['org']}").status_code == 204
    assert (
        alice.get(f"{authz}/permission/search", params={"name": "fgap-org members may view"}).status_code
        == 204
    )
    assert carol.get("/groups").json() == []


def test_authz_api_answers_like_keycloak(server: RunningServer, kc: KeycloakEmulator) -> None:
    alice, bob = client(server, kc, "alice"), client(server, kc, "bob")
    authz = f"/clients/{alice.get('').json()['adminPermissionsClient']['id']}/authz/resource-server"
    body = {"name": "dup policy", "groups": [{"id": kc.realm.by_path("/demo").id}]}  # type: ignore[union-attr]
    assert alice.post(f"{authz}/policy/group", json=body).status_code == 201
    dup = alice.post(f"{authz}/policy/group", json=body)
    assert dup.status_code == 409
    assert dup.json() == {
        "error": "Policy with name [dup policy] already exists",
        "error_description": "Conflicting policy",
    }
    found = alice.get(f"{authz}/policy/search", params={"name": "dup policy"}).json()
    typed = alice.get(f"{authz}/policy/group/{found['id']}").json()
    assert typed["groups"] == [{"id": kc.realm.by_path("/demo").id, "extendChildren": False}]  # type: ignore[union-attr]
    assert alice.get(f"{authz}/policy/search", params={"name": "nothing"}).status_code == 204
    bad_scope = alice.post(
        f"{authz}/permission/scope",
        json={"name": "bad", "resourceType": "Groups", "scopes": ["impersonate"], "policies": [found["id"]]},
    )
    assert bad_scope.status_code == 400
    assert "impersonate was not found for resource type Groups" in bad_scope.text
    no_type = alice.post(f"{authz}/permission/scope", json={"name": "bad", "scopes": ["view"]})
    assert no_type.status_code == 400 and "Resource type not provided" in no_type.text
    assert bob.get(f"{authz}/policy/search", params={"name": "dup policy"}).json() == FORBIDDEN
    assert bob.get("").json() == {"realm": "hyperota"}  # query roles only: the brief representation
    assert client(server, kc, "carol").get("").status_code == 403
    assert alice.delete(f"{authz}/policy/{found['id']}").status_code == 204
    assert alice.delete(f"{authz}/policy/{found['id']}").status_code == 404


def test_a_realm_without_admin_permissions_has_only_roles() -> None:
    kc = KeycloakEmulator(admin_permissions=False)
    running = serve(kc.wsgi, "keycloak-no-fgap")
    try:
        alice, bob = client(running, kc, "alice"), client(running, kc, "bob")
        realm = alice.get("").json()
        assert realm["adminPermissionsEnabled"] is False and "adminPermissionsClient" not in realm
        demo = kc.realm.by_path("/demo")
        assert demo is not None
        assert bob.get(f"/groups/{demo.id}").json() == FORBIDDEN  # a reader sees nothing of his org
        assert bob.get("/groups").json() == FORBIDDEN
        assert alice.get(f"/groups/{demo.id}/children").status_code == 200
        assert alice.post("/groups", json={"name": "roles-only"}).status_code == 201
    finally:
        running.stop()


def test_group_search_pages_over_matches_at_any_depth(server: RunningServer, kc: KeycloakEmulator) -> None:
    alice = client(server, kc, "alice")
    top = new_group(alice, "srch-top")
    mids = [new_group(alice, f"srch-hit-{i}", top) for i in range(3)]
    new_group(alice, "srch-hit-9")
    matches = alice.get("/groups", params={"search": "srch-hit", "populateHierarchy": "false"}).json()
    assert [g["name"] for g in matches] == ["srch-hit-0", "srch-hit-1", "srch-hit-2", "srch-hit-9"]
    first_two = alice.get("/groups", params={"search": "srch-hit", "first": 0, "max": 2}).json()
    assert [g["name"] for g in first_two] == ["srch-top"]  # two matches, one root: fewer than max
    assert [g["id"] for g in first_two[0]["subGroups"]] == mids[:2]
    rest = alice.get("/groups", params={"search": "srch-hit", "first": 2, "max": 2}).json()
    assert [g["name"] for g in rest] == ["srch-hit-9", "srch-top"]
    assert (
        alice.put(f"/groups/{mids[1]}", json={"name": "srch-hit-1", "attributes": {"k": ["v w"]}}).status_code
        == 204
    )
    by_attribute = alice.get("/groups", params={"q": 'k:"v w"', "populateHierarchy": "false"}).json()
    assert [g["id"] for g in by_attribute] == [mids[1]]
    no_counts = alice.get("/groups", params={"search": "srch-top", "subGroupsCount": "false"}).json()
    assert "subGroupCount" not in no_counts[0]


def test_role_mappings_reach_the_token_of_every_member_below(
    server: RunningServer, kc: KeycloakEmulator
) -> None:
    """`demo` maps query-groups and query-users (seeded like the client's org creation): dave, a member
    of /demo/write, gets them in his token; carol, in no group, does not."""
    dave = device_login(kc, server, "dave")["access_token"]
    claims = kc.verify_access_token(dave)
    assert claims["resource_access"]["realm-management"]["roles"] == ["query-groups", "query-users"]
    assert (
        "realm-management"
        not in kc.verify_access_token(device_login(kc, server, "carol")["access_token"])["resource_access"]
    )
    alice = kc.verify_access_token(device_login(kc, server, "alice")["access_token"])
    assert {"realm-admin", "manage-users", "manage-authorization", "query-users"} <= set(
        alice["resource_access"]["realm-management"]["roles"]
    )
    assert "realm-admin" not in alice["realm_access"]["roles"]  # a client role, not a realm role
