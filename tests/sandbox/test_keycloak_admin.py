"""Keycloak emulator, Admin REST and Account API: driven through python-keycloak and raw httpx over
real HTTP on 127.0.0.1, with tokens obtained through the device flow.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from keycloak import KeycloakAdmin, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakGetError, KeycloakPostError

from hyperota_desktop.sandbox.http import RunningServer, serve
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CLIENT = "hyperota-desktop"


@pytest.fixture(scope="module")
def kc() -> KeycloakEmulator:
    return KeycloakEmulator()


@pytest.fixture(scope="module")
def server(kc: KeycloakEmulator) -> Iterator[RunningServer]:
    running = serve(kc.wsgi, "keycloak-admin-test")
    yield running
    running.stop()


def device_login(kc: KeycloakEmulator, server: RunningServer, username: str) -> dict[str, Any]:
    oidc = f"{server.url}/realms/hyperota/protocol/openid-connect"
    kc.set_auto_approve(username)
    try:
        grant = httpx.post(f"{oidc}/auth/device", data={"client_id": CLIENT, "scope": "openid"}).json()
    finally:
        kc.set_auto_approve(None)
    data = {"grant_type": DEVICE_GRANT, "client_id": CLIENT, "device_code": grant["device_code"]}
    resp = httpx.post(f"{oidc}/token", data=data)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture(scope="module")
def tokens(kc: KeycloakEmulator, server: RunningServer) -> dict[str, dict[str, Any]]:
    return {name: device_login(kc, server, name) for name in ("alice", "bob", "carol", "dave")}


class Api:
    """Raw httpx access to the admin API as one user."""

    def __init__(self, server: RunningServer, token: dict[str, Any] | None) -> None:
        headers = {"Authorization": f"Bearer {token['access_token']}"} if token else {}
        self.client = httpx.Client(base_url=f"{server.url}/admin/realms/hyperota", headers=headers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.fixture(scope="module")
def api(server: RunningServer, tokens: dict) -> Iterator[dict[str, Api]]:
    apis = {name: Api(server, token) for name, token in tokens.items()}
    apis["anonymous"] = Api(server, None)
    yield apis
    for each in apis.values():
        each.client.close()


@pytest.fixture(scope="module")
def admin(server: RunningServer, tokens: dict) -> KeycloakAdmin:
    connection = KeycloakOpenIDConnection(
        server_url=server.url, realm_name="hyperota", client_id=CLIENT, token=tokens["alice"], verify=True
    )
    return KeycloakAdmin(connection=connection)


def ids_by_name(kc: KeycloakEmulator) -> dict[str, str]:
    return {u.username: u.id for u in kc.users}


# python-keycloak -------------------------------------------------------------------------------------------
def test_python_keycloak_group_lifecycle(admin: KeycloakAdmin, kc: KeycloakEmulator) -> None:
    org_id = admin.create_group({"name": "acme", "attributes": {"kind": ["org"]}})
    assert org_id and kc.realm.groups[org_id].name == "acme"
    with pytest.raises(KeycloakPostError) as err:
        admin.create_group({"name": "acme"})
    assert err.value.response_code == 409
    assert admin.create_group({"name": "acme"}, skip_exists=True) is None
    role_ids = {name: admin.create_group({"name": name}, parent=org_id) for name in ("owner", "read")}
    app_id = admin.create_group(
        {"name": "app", "attributes": {"superposition_workspace": ["ws1"]}}, parent=org_id
    )
    with pytest.raises(KeycloakPostError) as err:
        admin.create_group({"name": "read"}, parent=org_id)
    assert err.value.response_code == 409

    group = admin.get_group(org_id)
    assert group["path"] == "/acme" and group["attributes"] == {"kind": ["org"]}
    assert [g["name"] for g in group["subGroups"]] == ["app", "owner", "read"]
    app = admin.get_group_by_path("/acme/app")
    assert app["id"] == app_id and app["parentId"] == org_id
    assert app["attributes"] == {"superposition_workspace": ["ws1"]}
    assert [g["path"] for g in admin.get_group_children(org_id)] == ["/acme/app", "/acme/owner", "/acme/read"]
    with pytest.raises(KeycloakGetError) as err:
        admin.get_group_by_path("/acme/nothing")
    assert err.value.response_code == 404

    admin.update_group(app_id, {"name": "app", "attributes": {"superposition_workspace": ["ws2"]}})
    assert admin.get_group(app_id)["attributes"] == {"superposition_workspace": ["ws2"]}

    bob = admin.get_users({"username": "bob", "exact": True})
    assert [u["username"] for u in bob] == ["bob"]
    admin.group_user_add(bob[0]["id"], role_ids["read"])
    assert [m["username"] for m in admin.get_group_members(role_ids["read"])] == ["bob"]
    assert "/acme/read" in [g["path"] for g in admin.get_user_groups(bob[0]["id"])]
    admin.group_user_remove(bob[0]["id"], role_ids["read"])
    assert admin.get_group_members(role_ids["read"]) == []

    admin.group_user_add(bob[0]["id"], role_ids["read"])
    admin.delete_group(org_id)  # cascades to subgroups and memberships
    for gid in (org_id, app_id, *role_ids.values()):
        assert gid not in kc.realm.groups
    assert "/acme/read" not in [g["path"] for g in admin.get_user_groups(bob[0]["id"])]


def test_python_keycloak_fetches_all_pages(admin: KeycloakAdmin) -> None:
    for i in range(130):
        admin.create_group({"name": f"bulk-{i:03d}"})
    names = [g["name"] for g in admin.get_groups() if g["name"].startswith("bulk-")]
    assert names == [f"bulk-{i:03d}" for i in range(130)]  # more than one page of 100
    assert admin.get_users({"email": "carol@example.com", "exact": True})[0]["username"] == "carol"


# raw httpx: groups ----------------------------------------------------------------------------------------
def create(api: Api, name: str, parent: str | None = None, **extra: Any) -> str:
    url = f"/groups/{parent}/children" if parent else "/groups"
    resp = api.post(url, json={"name": name, **extra})
    assert resp.status_code == 201, resp.text
    return resp.headers["Location"].rsplit("/", 1)[1]


def test_create_top_level_201_location_and_409(api: dict[str, Api], server: RunningServer) -> None:
    resp = api["alice"].post("/groups", json={"name": "loc-test"})
    assert resp.status_code == 201 and resp.content == b""
    location = resp.headers["Location"]
    assert location.startswith(f"{server.url}/admin/realms/hyperota/groups/")
    assert httpx.get(location, headers=api["alice"].headers).json()["name"] == "loc-test"
    dup = api["alice"].post("/groups", json={"name": "loc-test"})
    assert dup.status_code == 409
    assert dup.json() == {"errorMessage": "Top level group named 'loc-test' already exists."}


def test_child_create_returns_representation(api: dict[str, Api]) -> None:
    parent = create(api["alice"], "kids")
    resp = api["alice"].post(f"/groups/{parent}/children", json={"name": "a", "attributes": {"k": ["v"]}})
    assert resp.status_code == 201
    body = resp.json()
    assert body["path"] == "/kids/a" and body["parentId"] == parent and body["attributes"] == {"k": ["v"]}
    assert resp.headers["Location"].endswith(f"/admin/realms/hyperota/groups/{body['id']}")
    dup = api["alice"].post(f"/groups/{parent}/children", json={"name": "a"})
    assert dup.status_code == 409
    assert dup.json() == {"errorMessage": "Sibling group named 'a' already exists."}


def test_top_level_paging_and_representations(api: dict[str, Api]) -> None:
    alice = api["alice"]
    for i in range(130):
        alice.post("/groups", json={"name": f"page-{i:03d}", "attributes": {"n": [str(i)]}})
    seen: list[str] = []
    first = 0
    while True:
        chunk = alice.get("/groups", params={"first": first, "max": 50, "search": "page-"}).json()
        seen += [g["name"] for g in chunk]
        if len(chunk) < 50:
            break
        first += 50
    assert seen == [f"page-{i:03d}" for i in range(130)]
    everything = alice.get("/groups").json()
    assert len(everything) > 130  # no `max`: no limit on top-level groups
    brief = alice.get("/groups", params={"search": "page-007", "exact": "true"}).json()
    assert [g["name"] for g in brief] == ["page-007"]
    assert "attributes" not in brief[0] and brief[0]["subGroupCount"] == 0 and brief[0]["subGroups"] == []
    assert "parentId" not in brief[0]
    full = alice.get(
        "/groups", params={"search": "page-007", "exact": "true", "briefRepresentation": "false"}
    )
    assert full.json()[0]["attributes"] == {"n": ["7"]}
    assert set(full.json()[0]) >= {"id", "name", "path", "subGroupCount", "subGroups", "attributes", "access"}


def test_search_populates_hierarchy(api: dict[str, Api]) -> None:
    alice = api["alice"]
    top = create(alice, "hier")
    mid = create(alice, "needle-mid", top)
    create(alice, "other", top)
    found = alice.get("/groups", params={"search": "needle-mid", "exact": "true"}).json()
    assert [g["id"] for g in found] == [top]  # the top-level group that contains the match...
    assert [g["id"] for g in found[0]["subGroups"]] == [mid]  # ...with the branch that leads to it
    assert found[0]["subGroupCount"] == 2
    assert alice.get("/groups", params={"search": "NEEDLE"}).json()[0]["id"] == top  # case-insensitive
    assert alice.get("/groups", params={"search": "NEEDLE", "exact": "true"}).json() == []


def test_children_paging(api: dict[str, Api]) -> None:
    alice = api["alice"]
    parent = create(alice, "many-kids")
    for i in range(25):
        create(alice, f"c{i:02d}", parent)
    default = alice.get(f"/groups/{parent}/children").json()
    assert [g["name"] for g in default] == [f"c{i:02d}" for i in range(10)]  # Keycloak's default max=10
    assert "attributes" in default[0]  # children default to full representations
    paged = alice.get(f"/groups/{parent}/children", params={"first": 20, "max": 10}).json()
    assert [g["name"] for g in paged] == [f"c{i:02d}" for i in range(20, 25)]
    assert alice.get(f"/groups/{parent}", params={}).json()["subGroupCount"] == 25
    brief = alice.get(f"/groups/{parent}/children", params={"briefRepresentation": "true", "max": 1}).json()
    assert "attributes" not in brief[0]
    searched = alice.get(f"/groups/{parent}/children", params={"search": "c1", "max": -1}).json()
    assert len(searched) == 10


def test_members_paging_and_membership(api: dict[str, Api], kc: KeycloakEmulator) -> None:
    alice = api["alice"]
    users = ids_by_name(kc)
    group = create(alice, "members-test")
    for name in ("alice", "bob", "carol", "dave"):
        assert alice.put(f"/users/{users[name]}/groups/{group}").status_code == 204
    assert alice.put(f"/users/{users['bob']}/groups/{group}").status_code == 204  # idempotent
    page1 = alice.get(f"/groups/{group}/members", params={"first": 0, "max": 3}).json()
    page2 = alice.get(f"/groups/{group}/members", params={"first": 3, "max": 3}).json()
    assert [u["username"] for u in page1 + page2] == ["alice", "bob", "carol", "dave"]
    brief = alice.get(f"/groups/{group}/members", params={"briefRepresentation": "true"}).json()[0]
    assert set(brief) >= {"id", "username", "email", "firstName", "lastName", "enabled", "createdTimestamp"}
    assert alice.delete(f"/users/{users['carol']}/groups/{group}").status_code == 204
    names = [u["username"] for u in alice.get(f"/groups/{group}/members").json()]
    assert names == ["alice", "bob", "dave"]
    assert alice.delete(f"/groups/{group}").status_code == 204
    missing_group = alice.put(f"/users/{users['bob']}/groups/nope")
    assert missing_group.status_code == 404 and missing_group.json() == {"error": "Group not found"}
    missing_user = alice.put(f"/users/nope/groups/{group}")
    assert missing_user.status_code == 404 and missing_user.json() == {"error": "User not found"}


def test_user_search(api: dict[str, Api], kc: KeycloakEmulator) -> None:
    alice = api["alice"]
    exact = alice.get("/users", params={"username": "ali", "exact": "true"}).json()
    assert exact == []
    fuzzy = alice.get("/users", params={"username": "ali"}).json()
    assert [u["username"] for u in fuzzy] == ["alice"]
    by_email = alice.get("/users", params={"email": "DAVE@example.com", "exact": "true"}).json()
    assert [u["username"] for u in by_email] == ["dave"]
    assert set(by_email[0]) >= {
        "id",
        "username",
        "email",
        "firstName",
        "lastName",
        "enabled",
        "emailVerified",
    }
    search = alice.get("/users", params={"search": "example.com", "first": 1, "max": 2}).json()
    assert [u["username"] for u in search] == ["bob", "carol"]
    one = alice.get(f"/users/{ids_by_name(kc)['alice']}").json()
    assert one["username"] == "alice"
    assert alice.get("/users/count").json() == 4
    groups = alice.get(f"/users/{ids_by_name(kc)['dave']}/groups").json()
    assert "/demo/write" in [g["path"] for g in groups]


def test_update_and_delete(api: dict[str, Api]) -> None:
    alice = api["alice"]
    top = create(alice, "upd")
    a = create(alice, "a", top)
    create(alice, "b", top)
    assert alice.put(f"/groups/{a}", json={"name": "b"}).status_code == 409
    assert alice.put(f"/groups/{a}", json={"name": "a2", "attributes": {"x": ["1", "2"]}}).status_code == 204
    got = alice.get(f"/groups/{a}").json()
    assert got["path"] == "/upd/a2" and got["attributes"] == {"x": ["1", "2"]}
    assert alice.put(f"/groups/{a}", json={"name": "a2", "id": "other"}).status_code == 400
    assert alice.put(f"/groups/{a}", json={"attributes": {}}).json() == {
        "errorMessage": "Group name is missing"
    }
    assert alice.delete(f"/groups/{top}").status_code == 204
    gone = alice.get(f"/groups/{a}")
    assert gone.status_code == 404 and gone.json() == {"error": "Could not find group by id"}
    by_path = alice.get("/group-by-path/upd/a2")
    assert by_path.status_code == 404 and by_path.json() == {"error": "Group path does not exist"}


# permissions -----------------------------------------------------------------------------------------------
FORBIDDEN = {"error": "HTTP 403 Forbidden"}


def test_no_token_is_401(api: dict[str, Api], kc: KeycloakEmulator) -> None:
    for path in ("/groups", "/users", "/group-by-path/demo"):
        resp = api["anonymous"].get(path)
        assert resp.status_code == 401 and resp.json() == {"error": "HTTP 401 Unauthorized"}
    bad = api["anonymous"].get("/groups", headers={"Authorization": "Bearer garbage"})
    assert bad.status_code == 401


def test_outsiders_get_403_and_readers_only_read(api: dict[str, Api], kc: KeycloakEmulator) -> None:
    """carol holds no role and no group: every admin call is refused. bob reads `demo` through the
    seeded FGAP v2 permissions (docs/keycloak-setup.md) and may change nothing."""
    demo = kc.realm.by_path("/demo")
    assert demo is not None
    users = ids_by_name(kc)
    carol, bob = api["carol"], api["bob"]
    for resp in (
        carol.get("/groups"),
        carol.get(f"/groups/{demo.id}"),
        carol.get("/group-by-path/demo"),
        carol.get(f"/groups/{demo.id}/children"),
        carol.get(f"/groups/{demo.id}/members"),
        carol.post("/groups", json={"name": "carol-org"}),
        carol.get("/users", params={"username": "alice", "exact": "true"}),
        bob.post("/groups", json={"name": "bob-org"}),
        bob.post(f"/groups/{demo.id}/children", json={"name": "x"}),
        bob.put(f"/users/{users['bob']}/groups/{demo.id}"),
        bob.put(f"/groups/{demo.id}", json={"name": "demo"}),
        bob.delete(f"/groups/{demo.id}"),
    ):
        assert resp.status_code == 403, (resp.request.method, resp.request.url, resp.text)
        assert resp.json() == FORBIDDEN
    assert [g["name"] for g in bob.get("/groups").json()] == ["demo"]  # filtered to what he may view
    assert bob.get("/group-by-path/demo").json()["access"] == {
        "view": True,
        "manage": False,
        "manageMembership": False,
        "viewMembers": True,
        "manageMembers": False,
    }


def test_alice_manages_demo_as_owner_and_realm_admin(api: dict[str, Api], kc: KeycloakEmulator) -> None:
    demo = api["alice"].get("/group-by-path/demo").json()
    assert demo["subGroupCount"] == 4
    children = api["alice"].get(f"/groups/{demo['id']}/children").json()
    assert [c["name"] for c in children] == ["admin", "owner", "read", "write"]
    assert demo["access"] == {
        "view": True,
        "viewMembers": True,
        "manageMembers": True,
        "manage": True,
        "manageMembership": True,
    }


# malformed requests ---------------------------------------------------------------------------------------
def test_malformed_admin_requests(api: dict[str, Api]) -> None:
    alice = api["alice"]
    bad_json = alice.post("/groups", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    assert bad_json.json() == {"error": "unknown_error", "error_description": "Cannot parse the JSON"}
    not_object = alice.post("/groups", json=["x"])
    assert not_object.status_code == 400
    wrong_type = alice.post("/groups", data={"name": "x"})
    assert wrong_type.status_code == 415 and wrong_type.json() == {"error": "HTTP 415 Unsupported Media Type"}
    no_name = alice.post("/groups", json={"attributes": {}})
    assert no_name.status_code == 400 and no_name.json() == {"errorMessage": "Group name is missing"}
    blank = alice.post("/groups", json={"name": "  "})
    assert blank.status_code == 400
    bad_attrs = alice.post("/groups", json={"name": "attrs", "attributes": {"a": [1]}})
    assert bad_attrs.status_code == 400
    bad_int = alice.get("/groups", params={"first": "abc"})
    assert bad_int.status_code == 404
    wrong_method = alice.patch("/groups")
    assert wrong_method.status_code == 405
    other_realm = str(alice.base_url).rstrip("/").replace("/realms/hyperota", "/realms/other")
    unknown_realm = httpx.get(f"{other_realm}/groups", headers=alice.headers)
    assert unknown_realm.status_code == 404 and unknown_realm.json() == {"error": "Realm not found."}


# account API ------------------------------------------------------------------------------------------------
def test_account_groups_and_profile(server: RunningServer, tokens: dict, kc: KeycloakEmulator) -> None:
    base = f"{server.url}/realms/hyperota/account"

    def get(path: str, who: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens[who]['access_token']}"} if who else {}
        return httpx.get(base + path, headers={**headers, "Accept": "application/json"})

    bob = get("/groups", "bob")
    assert bob.status_code == 200
    demo = next(g.id for g in kc.realm.groups.values() if g.name == "demo")
    assert [(g["name"], g["path"], g["parentId"]) for g in bob.json()] == [("read", "/demo/read", demo)]
    assert set(bob.json()[0]) == {"id", "name", "path", "parentId"}
    assert get("/groups", "carol").json() == []
    profile = get("", "dave").json()
    assert profile["username"] == "dave" and profile["email"] == "dave@example.com"
    unauthenticated = get("/groups", None)
    assert unauthenticated.status_code == 401
