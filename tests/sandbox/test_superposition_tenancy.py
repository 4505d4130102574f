# ruff: noqa: F811  (pytest fixtures imported from test_superposition_support)
"""Organisations, workspaces, tenancy headers, auth and request decoding of the Superposition emulator."""

from __future__ import annotations

from test_superposition_support import Env, env, legacy  # noqa: F401

from hyperota_desktop.sandbox.http import serve
from hyperota_desktop.sandbox.superposition import SuperpositionEmulator


def test_organisations_page_beyond_100(env: Env) -> None:
    c = env.client()
    for i in range(104):
        assert (
            c.post(
                "/superposition/organisations", json={"name": f"org{i}", "admin_email": "a@b.c"}
            ).status_code
            == 200
        )
    first = c.get("/superposition/organisations", params={"count": 100}).json()
    assert (first["total_items"], first["total_pages"], len(first["data"])) == (105, 2, 100)
    second = c.get("/superposition/organisations", params={"count": 100, "page": 2}).json()
    assert len(second["data"]) == 5
    ids = {o["id"] for o in first["data"]} | {o["id"] for o in second["data"]}
    assert len(ids) == 105 and all(i.startswith("orgid") for i in ids)
    everything = c.get("/superposition/organisations", params={"all": "true"}).json()
    assert everything["total_pages"] == 1 and len(everything["data"]) == 105
    assert c.get("/superposition/organisations", params={"all": "true", "count": 5}).status_code == 400
    assert c.get("/superposition/organisations", params={"count": 0}).status_code == 400
    assert c.get("/superposition/organisations", params={"page": "x"}).status_code == 400


def test_organisation_get_update_status(env: Env) -> None:
    c = env.client()
    org = c.get(f"/superposition/organisations/{env.org}").json()
    assert org["status"] == "ACTIVE"
    upd = c.patch(f"/superposition/organisations/{env.org}", json={"status": "PENDING_KYB", "sector": "fin"})
    assert upd.json()["status"] == "PENDING_KYB" and upd.json()["sector"] == "fin"
    bad = c.patch(f"/superposition/organisations/{env.org}", json={"status": "Active"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/plain")
    assert c.get("/superposition/organisations/orgid0").status_code == 404
    missing = c.post("/superposition/organisations", json={"name": "x"})
    assert missing.status_code == 400 and "missing field `admin_email`" in missing.text


def test_workspace_rules(env: Env) -> None:
    c = env.client()
    base = {"workspace_admin_email": "a@b.c"}
    assert c.post("/workspaces", json={**base, "workspace_name": "bad-name"}).status_code == 400
    too_long = c.post("/workspaces", json={**base, "workspace_name": "a" * 26})
    assert too_long.status_code == 400 and "25 characters" in too_long.json()["message"]
    ok = c.post("/workspaces", json={**base, "workspace_name": "a" * 25})
    assert ok.status_code == 200
    ws = ok.json()
    assert ws["auto_populate_control"] is True and ws["allow_experiment_self_approval"] is False
    assert c.post("/workspaces", json={**base, "workspace_name": "a" * 25}).status_code == 409
    app = env.workspace("shop")
    dims = app.get("/dimension").json()["data"]
    assert [(d["dimension"], d["position"]) for d in dims] == [("variantIds", 0)]
    upd = c.patch("/workspaces/shop", json={"workspace_status": "DISABLED"})
    assert upd.json()["workspace_status"] == "DISABLED"
    assert c.put("/workspaces/shop", json={"workspace_status": "ENABLED"}).status_code == 200
    assert c.patch("/workspaces/shop", json={"workspace_status": "PAUSED"}).status_code == 400
    assert c.get("/workspaces/nope").status_code == 404
    assert c.get("/workspaces", params={"count": 1}).json()["total_pages"] == 2


def test_tenancy_headers(env: Env) -> None:
    env.workspace("shop")
    no_org = env.client().get("/dimension", headers={"x-org-id": ""})
    assert no_org.status_code == 400 and "org id is required" in no_org.json()["message"]
    no_ws = env.client().get("/dimension")
    assert no_ws.status_code == 400 and "workspace id is required" in no_ws.json()["message"]
    assert env.client("nope").get("/dimension").status_code == 404
    assert env.client("shop", **{"x-org-id": "orgid1"}).get("/dimension").status_code == 404
    # current servers fall back to x-tenant
    assert env.client(**{"x-tenant": "shop"}).get("/dimension").status_code == 200
    assert env.client("shop").get("/no/such/route").status_code == 404


def test_legacy_dialect_workspaces(legacy: Env) -> None:
    """ "2025" is the seed's build, v0.74.0: the four-field create, PUT-only updates, `x-tenant` only."""
    c = legacy.client()
    base = {"workspace_name": "shop", "workspace_admin_email": "a@b.c"}
    missing = c.post(
        "/workspaces", json={**base, "allow_experiment_self_approval": True, "auto_populate_control": False}
    )
    assert missing.status_code == 400 and "missing field `workspace_strict_mode`" in missing.text
    assert missing.headers["X-SERVER-VERSION"] == "v0.74.0"
    only_alias = c.post("/workspaces", json={**base, "strict_mode": True})  # no alias before v0.77
    assert only_alias.status_code == 400
    seed = c.post("/workspaces", json={**base, "workspace_status": "ENABLED", "workspace_strict_mode": False})
    assert seed.status_code == 200, seed.text
    assert seed.json()["strict_mode"] is False
    assert "allow_experiment_self_approval" not in seed.json() and "config_version" not in seed.json()
    ws = legacy.client("shop")
    assert c.patch("/workspaces/shop", json={"workspace_admin_email": "b@c.d"}).status_code == 404  # PUT only
    assert (
        c.put("/workspaces/shop", json={"workspace_status": "DISABLED"}).status_code == 400
    )  # email required
    assert c.put("/workspaces/shop", json={"workspace_admin_email": "b@c.d"}).status_code == 200
    assert ws.get("/dimension").status_code == 200
    only_new_header = legacy.client(**{"x-workspace": "shop"}).get("/dimension")
    assert only_new_header.status_code == 400
    assert ws.patch("/dimension/variantIds", json={"change_reason": "x"}).status_code == 404
    assert c.post("/workspaces/shop/db/migrate").status_code == 404  # arrives in v0.87.0


def test_bearer_auth() -> None:
    def verify(token: str) -> dict[str, str]:
        if token != "good":
            raise ValueError("bad token")
        return {"email": "rm@example.com"}

    sp = SuperpositionEmulator(token_verifier=verify)
    server = serve(sp.wsgi, "sp-auth")
    try:
        import httpx

        with httpx.Client(base_url=server.url) as c:
            assert c.get("/superposition/organisations").status_code == 401
            assert (
                c.get("/superposition/organisations", headers={"Authorization": "Bearer bad"}).status_code
                == 401
            )
            ok = c.post(
                "/superposition/organisations",
                headers={"Authorization": "Bearer good"},
                json={"name": "o", "admin_email": "a@b.c"},
            )
            assert ok.status_code == 200 and ok.json()["created_by"] == "rm@example.com"
    finally:
        server.stop()


def test_never_crashes_on_garbage(env: Env) -> None:
    c = env.workspace()
    bodies = [b"", b"null", b"[]", b'"x"', b"{", b'{"dimension": 1}', b"\xff\xfe", b'{"a":' * 50]
    paths = ["/dimension", "/default-config", "/context", "/experiments", "/workspaces", "/experiments/list"]
    for path in paths:
        for body in bodies:
            for method in ("POST", "PUT", "PATCH"):
                resp = c.request(method, path, content=body, headers={"content-type": "application/json"})
                allowed = (200, 400, 404) if path == "/experiments/list" else (400, 404)
                assert resp.status_code in allowed, (method, path, body, resp.text)
    assert (
        c.post("/dimension", content=b"{}", headers={"content-type": "text/plain"}).text
        == "Content type error"
    )
