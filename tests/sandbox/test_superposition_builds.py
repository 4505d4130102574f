# ruff: noqa: F811  (pytest fixtures imported from test_superposition_support)
"""The emulator as each Superposition build (v0.74.0, v0.87.0, v0.117.1), and the broken workspace.

Every expectation here is the real server's, read from its source at that tag (see the comments in
`hyperota_desktop/sandbox/superposition/`)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from test_superposition_experiments import setup
from test_superposition_support import Client, Env, any_build, env  # noqa: F401

from hyperota_desktop.sandbox.superposition import SuperpositionEmulator

HIDDEN = {"message": "Something went wrong"}


def make_workspace(e: Env, name: str) -> Client:
    """A workspace with the body each build needs (the client's job; here spelled out)."""
    body: dict[str, Any] = {"workspace_name": name, "workspace_admin_email": "a@b.c"}
    if e.build == "0.74":
        body["workspace_strict_mode"] = False
    elif e.build == "0.87":
        body.update(workspace_strict_mode=False, allow_experiment_self_approval=True)
        body["auto_populate_control"] = False
    else:
        body.update(allow_experiment_self_approval=True, auto_populate_control=False)
    assert e.client().post("/workspaces", json=body).status_code == 200
    return e.client(name)


def condition(e: Env, dims: dict[str, Any]) -> dict[str, Any]:
    if e.dialect == "current" or not dims:
        return dims
    return {"and": [{"==": [{"var": k}, v]} for k, v in dims.items()]}


def release(e: Env, c: Client, dims: dict[str, Any] | None = None, **extra: Any) -> httpx.Response:
    body = {
        "name": "release",
        "context": condition(e, dims if dims is not None else {"city": "Pune"}),
        "variants": [
            {"id": "control", "variant_type": "CONTROL", "overrides": {"config.version": "0.0.0"}},
            {"id": "experimental", "variant_type": "EXPERIMENTAL", "overrides": {"config.version": "1"}},
        ],
        **extra,
    }
    return c.post("/experiments", json=body)


# --- 12.2: the broken workspace ------------------------------------------------------------------


def test_broken_workspace_fails_every_experiment_request_with_the_hidden_error(any_build: Env) -> None:
    e = any_build
    e.sp.set_broken_workspace_template(True)
    c = make_workspace(e, "old")
    e.sp.set_broken_workspace_template(False)
    setup(c)
    versions = c.get("/config/versions").json()["total_items"]
    contexts = c.get("/context").json()["total_items"]

    created = release(e, c, description="d", change_reason="r")
    assert (created.status_code, created.json()) == (500, HIDDEN)
    assert "experiment_type" not in created.text  # no build shows the database error
    probes = {
        "list": c.get("/experiments"),
        "get": c.get("/experiments/7000000000000000000"),
        "variants": c.get("/experiments/applicable-variants", params={"toss": "5", "identifier": "d"}),
        "ramp": c.patch("/experiments/7000000000000000000/ramp", json={"traffic_percentage": 5}),
    }
    assert {k: (r.status_code, r.json()) for k, r in probes.items()} == {k: (500, HIDDEN) for k in probes}
    # config endpoints keep working, and the failed create wrote nothing
    assert c.get("/config").status_code == 200
    assert c.get("/default-config").status_code == 200
    assert c.get("/config/versions").json()["total_items"] == versions
    assert c.get("/context").json()["total_items"] == contexts

    migrated = e.client().post("/workspaces/old/db/migrate")
    if e.build == "0.74":
        assert migrated.status_code == 404  # v0.74.0 has no repair endpoint
        return
    assert migrated.status_code == 200 and migrated.json()["workspace_name"] == "old"
    assert c.get("/experiments").json()["total_items"] == 0
    assert release(e, c).status_code == 200
    assert c.get("/config/versions").json()["total_items"] == versions + 1  # migrate adds none


# --- 12.3: what each build speaks ----------------------------------------------------------------


def test_dialect_names_are_aliases_of_builds() -> None:
    assert SuperpositionEmulator(dialect="2025").server_version == "v0.74.0"
    assert SuperpositionEmulator(dialect="current").server_version == "v0.117.1"
    assert SuperpositionEmulator(build="0.87").server_version == "v0.87.0"
    assert SuperpositionEmulator(build="v0.117.1").build.key == "0.117"
    assert SuperpositionEmulator().server_version == "v0.117.1"
    with pytest.raises(ValueError, match="build"):
        SuperpositionEmulator(build="0.99")
    with pytest.raises(ValueError, match="either"):
        SuperpositionEmulator(build="0.74", dialect="2025")


def test_workspace_create_body_of_each_build(any_build: Env) -> None:
    e, c = any_build, any_build.client()
    seed = {
        "workspace_admin_email": "a@b.c",
        "workspace_name": "seed",
        "workspace_status": "ENABLED",
        "workspace_strict_mode": False,
    }  # exactly what the mid-2025 deployments send
    answer = c.post("/workspaces", json=seed)
    assert answer.headers["X-SERVER-VERSION"] == {"0.74": "v0.74.0", "0.87": "v0.87.0"}.get(
        e.build, "v0.117.1"
    )
    if e.build == "0.87":  # v0.87 requires both experiment flags
        assert answer.status_code == 400
        assert "missing field `allow_experiment_self_approval`" in answer.text
    else:
        assert answer.status_code == 200, answer.text
    minimal = c.post("/workspaces", json={"workspace_admin_email": "a@b.c", "workspace_name": "min"})
    assert minimal.status_code == (200 if e.build == "0.117" else 400)
    everything = {  # unknown fields are ignored by every build (no `deny_unknown_fields`)
        **seed,
        "workspace_name": "all",
        "allow_experiment_self_approval": True,
        "auto_populate_control": False,
        "enable_context_validation": False,
    }
    made = c.post("/workspaces", json=everything)
    assert made.status_code == 200, made.text
    shape = made.json()
    assert ("allow_experiment_self_approval" in shape) is (e.build != "0.74")
    assert ("strict_mode" in shape) is (e.build != "0.117")
    assert e.raw().get("/health").text == "Health is good :D"


def test_headers_methods_and_routes_of_each_build(any_build: Env) -> None:
    e = any_build
    ws = make_workspace(e, "shop")
    current = e.build == "0.117"
    only_new = e.raw(**{"x-workspace": "shop"}).get("/dimension")
    assert only_new.status_code == (200 if current else 400)
    patched = e.raw().patch("/workspaces/shop", json={"workspace_admin_email": "x@y.z"})
    assert patched.status_code == (200 if current else 404)
    assert e.raw("shop").post("/experiments/list", json={}).status_code == (200 if current else 404)
    assert e.raw("shop").get("/resolve", params={"identifier": "d"}).status_code == (200 if current else 404)
    setup(ws)
    exp = release(e, ws).json()  # two variant contexts in Pune
    assert exp["context"] == condition(e, {"city": "Pune"})
    delhi = {"context": condition(e, {"city": "Delhi"}), "override": {"config.version": "9"}}
    assert ws.put("/context", json={**delhi, "description": "d", "change_reason": "r"}).status_code == 200
    plain = e.raw("shop").get("/config", params={"city": "Pune"}).json()  # plain query dimensions
    bracketed = e.raw("shop").get("/config", params={"dimension[city]": "Pune"}).json()
    assert len(plain["contexts"]) == (3 if current else 2)  # current reads no plain dimension
    assert len(bracketed["contexts"]) == (2 if current else 3)  # older builds: a dimension "dimension[city]"
    assert ("experiment_group_id" in exp) is (e.build != "0.74")
    assert ("dimensions" in plain) is current


def test_v074_assigns_variants_by_the_clients_toss() -> None:
    e = Env(build="0.74")
    try:
        c = make_workspace(e, "app")
        setup(c)
        exp = release(e, c).json()
        eid = exp["id"]
        pune = {"city": "Pune"}

        def picked(toss: int, dims: dict[str, Any] = pune) -> list[str]:
            answer = c.get("/experiments/applicable-variants", params={**dims, "toss": str(toss)})
            assert answer.status_code == 200, answer.text
            return [v["id"] for v in answer.json()]

        assert picked(10) == []  # CREATED: traffic 0
        assert picked(-1) == [f"{eid}-experimental"]  # a negative toss forces the experimental variant
        ramped = c.patch(f"/experiments/{eid}/ramp", json={"traffic_percentage": 20})
        assert ramped.status_code == 200 and "experiment_group_id" not in ramped.json()
        assert picked(0) == [f"{eid}-control"] and picked(19) == [f"{eid}-control"]
        assert picked(20) == [f"{eid}-experimental"] and picked(39) == [f"{eid}-experimental"]
        assert picked(40) == [] and picked(99) == []
        assert picked(5, {"city": "Delhi"}) == []
        again = c.patch(f"/experiments/{eid}/ramp", json={"traffic_percentage": 20})
        assert again.status_code == 400 and "same as provided" in again.json()["message"]
        assert c.get("/experiments/applicable-variants", params={"toss": "101"}).status_code == 400
        assert c.get("/experiments/applicable-variants", params={"identifier": "d"}).status_code == 400
        c.patch(f"/experiments/{eid}/pause", json={})
        assert picked(0) == []
        with pytest.raises(httpx.TransportError):  # the v0.74 server dies on this request
            c.post("/experiments/applicable-variants", json={"context": pune, "toss": 3})
        assert c.get("/health").status_code == 200  # (the emulator only drops the connection)
    finally:
        e.server.stop()


def test_v074_in_prod_stops_the_creator_from_starting_an_experiment() -> None:
    e = Env(build="0.74", app_env="PROD")
    try:
        c = make_workspace(e, "app")
        setup(c)
        eid = release(e, c).json()["id"]
        refused = c.patch(f"/experiments/{eid}/ramp", json={"traffic_percentage": 20})
        assert refused.status_code == 400 and "creator" in refused.json()["message"].lower()
    finally:
        e.server.stop()
