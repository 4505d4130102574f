"""Keycloak emulator under abuse: junk on every route never yields a 500, and concurrent writers
cannot create duplicate groups (state is guarded by a lock in a threaded server).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from hyperota_desktop.sandbox.http import RunningServer, serve
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator
from hyperota_desktop.sandbox.keycloak.emulator import ROUTES

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture(scope="module")
def kc() -> KeycloakEmulator:
    return KeycloakEmulator(auto_approve="alice")


@pytest.fixture(scope="module")
def server(kc: KeycloakEmulator) -> Iterator[RunningServer]:
    running = serve(kc.wsgi, "keycloak-robustness-test")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def alice(kc: KeycloakEmulator, server: RunningServer) -> dict[str, str]:
    oidc = f"{server.url}/realms/hyperota/protocol/openid-connect"
    grant = httpx.post(f"{oidc}/auth/device", data={"client_id": "hyperota-desktop"}).json()
    data = {"grant_type": DEVICE_GRANT, "client_id": "hyperota-desktop", "device_code": grant["device_code"]}
    token = httpx.post(f"{oidc}/token", data=data).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture(scope="module")
def real_ids(kc: KeycloakEmulator) -> dict[str, str]:
    """Ids of a throwaway group and user (junk DELETEs and PUTs may change them, not the seed)."""
    with kc.realm.lock:
        target = kc.realm.add_group("junk-target")
        kc.realm.add_group("child", target)
        user = kc.realm.add_user("junk-user", "junk@example.com", "Junk", "User")
        permissions = kc.realm.clients["admin-permissions"].id
    return {
        "realm": "hyperota",
        "group_id": target.id,
        "user_id": user.id,
        "path": "junk-target",
        "client_uuid": permissions,
        "role": "query-groups",
        "kind": "policy",
        "key": "group",
        "ptype": "group",
        "policy_id": "no-such-policy",
    }


def concrete(rule: str, real: dict[str, str]) -> list[str]:
    """The rule with its placeholders filled with real ids and with junk."""
    junk = {
        "realm": "hyperota",
        "group_id": "%00junk",
        "user_id": "..",
        "path": "a/../b",
        "client_uuid": "%ff",
        "role": "..",
        "kind": "permission",
        "key": "%00",
        "ptype": "scope",
        "policy_id": "..",
    }
    return [re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=values: v[m.group(1)], rule) for values in (real, junk)]


BODIES = [
    {},
    {"content": b"\x00\xff{{{", "headers": {"Content-Type": "application/json"}},
    {"content": b"%%%\xff=&&==", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
    {"json": {"name": 7, "attributes": "x", "id": ["x"]}},
    {"json": {"name": "ok", "attributes": {"k": {"nested": 1}}}},
    {"data": {"grant_type": DEVICE_GRANT, "client_id": "hyperota-desktop", "device_code": "x" * 5000}},
    {"content": b"x" * 20_000, "headers": {"Content-Type": "text/plain"}},
]


@pytest.mark.parametrize(("rule", "methods", "endpoint"), ROUTES, ids=[r[2] for r in ROUTES])
def test_junk_never_crashes(
    rule: str,
    methods: list[str],
    endpoint: str,
    real_ids: dict,
    server: RunningServer,
    alice: dict,
    http: httpx.Client,
) -> None:
    for path in concrete(rule, real_ids):
        for method in [*methods, "PATCH"]:
            for body in BODIES:
                for headers in (alice, {"Authorization": "Bearer \x7f"}):
                    extra = {**body.get("headers", {}), **headers}
                    kwargs = {k: v for k, v in body.items() if k != "headers"}
                    if method in ("GET", "DELETE"):
                        kwargs = {}
                    resp = http.request(
                        method,
                        f"{server.url}{path}",
                        params={"first": "-1", "max": "x"},
                        headers=extra,
                        **kwargs,
                    )
                    assert resp.status_code < 500, (method, path, body, resp.text)
                    kind = resp.headers.get("Content-Type", "")
                    assert (
                        resp.status_code in (200, 201, 204, 302)
                        or kind.startswith(("application/json", "text/html"))
                        or not resp.content  # authz search without a name: Keycloak's bodiless 400
                    ), (method, path, resp.status_code, kind)


def test_concurrent_creates_yield_one_group(server: RunningServer, alice: dict) -> None:
    url = f"{server.url}/admin/realms/hyperota/groups"

    def create(_: int) -> int:
        return httpx.post(url, json={"name": "race"}, headers=alice).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(create, range(24)))
    assert statuses.count(201) == 1
    assert statuses.count(409) == 23


def test_concurrent_device_flows_issue_distinct_codes(server: RunningServer) -> None:
    url = f"{server.url}/realms/hyperota/protocol/openid-connect/auth/device"

    def start(_: int) -> str:
        return str(httpx.post(url, data={"client_id": "hyperota-desktop"}).json()["user_code"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(start, range(20)))
    assert len(set(codes)) == 20
