# ruff: noqa: F811  (pytest fixtures imported from test_superposition_support)
"""Experiments: guards, lifecycle, bucketing, the broken-workspace defect, the 2025 dialect."""

from __future__ import annotations

import httpx
import pytest
from test_superposition_support import Client, Env, env, legacy  # noqa: F401

ACTIONS = ("ramp", "pause", "resume", "conclude", "discard", "overrides")
ALLOWED = {
    "CREATED": {"ramp", "discard", "overrides"},
    "INPROGRESS": {"ramp", "pause", "conclude", "discard"},
    "PAUSED": {"resume", "discard"},
    "CONCLUDED": set(),
    "DISCARDED": set(),
}


def setup(c: Client) -> None:
    assert c.dimension("city", 1).status_code == 201
    assert c.default("config.version", "0.0.0", {"type": "string"}).status_code == 200
    assert c.default("package.version", 0, {"type": "integer"}).status_code == 200


def new_experiment(c: Client, context: dict | None = None) -> dict:
    resp = c.experiment(
        context if context is not None else {"city": "Pune"},
        {"config.version": "0.0.0"},
        {"config.version": "1.0.0"},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def in_state(c: Client, state: str) -> dict:
    e = new_experiment(c)
    if state in ("INPROGRESS", "PAUSED", "CONCLUDED"):
        assert c.act(e["id"], "ramp", traffic_percentage=10).status_code == 200
    if state == "PAUSED":
        assert c.act(e["id"], "pause").status_code == 200
    if state == "CONCLUDED":
        assert c.act(e["id"], "conclude", chosen_variant=f"{e['id']}-control").status_code == 200
    if state == "DISCARDED":
        assert c.act(e["id"], "discard").status_code == 200
    assert c.get(f"/experiments/{e['id']}").json()["status"] == state
    return e


def attempt(c: Client, e: dict, action: str) -> int:
    if action == "overrides":
        body = {
            "change_reason": "o",
            "variant_list": [{"id": v["id"], "overrides": v["overrides"]} for v in e["variants"]],
        }
        return c.patch(f"/experiments/{e['id']}/overrides", json=body).status_code
    extra = {"traffic_percentage": 20} if action == "ramp" else {}
    if action == "conclude":
        extra = {"chosen_variant": f"{e['id']}-experimental"}
    return c.act(e["id"], action, **extra).status_code


def test_every_transition_guard(env: Env) -> None:
    c = env.workspace()
    setup(c)
    for state, allowed in ALLOWED.items():
        for action in ACTIONS:
            e = in_state(c, state)
            expected = 200 if action in allowed else 400
            assert attempt(c, e, action) == expected, (state, action)


def test_create_guards_and_id_rewrite(env: Env) -> None:
    c = env.workspace()
    setup(c)
    v = {"config.version": "1.0.0"}
    assert c.experiment({"city": "Pune"}, {}, v).status_code == 400  # empty overrides (plain text)
    assert (
        c.experiment({"city": "Pune"}, {"config.version": "0.0.0"}, {"package.version": 1}).status_code == 400
    )
    assert c.experiment({"city": "Pune"}, {"nope": 1}, {"nope": 2}).status_code == 400
    assert c.experiment({"variantIds": "x"}, {"config.version": "0.0.0"}, v).status_code == 400
    assert c.experiment({"country": "IN"}, {"config.version": "0.0.0"}, v).status_code == 400
    assert (
        c.experiment({"city": "Pune"}, {"package.version": "one"}, {"package.version": 2}).status_code == 400
    )
    two_controls = {
        "name": "x",
        "context": {},
        "description": "d",
        "change_reason": "r",
        "variants": [
            {"id": "a", "variant_type": "CONTROL", "overrides": v},
            {"id": "b", "variant_type": "CONTROL", "overrides": v},
        ],
    }
    assert "exactly 1 control" in c.post("/experiments", json=two_controls).json()["message"]
    e = new_experiment(c)
    assert {x["id"] for x in e["variants"]} == {f"{e['id']}-control", f"{e['id']}-experimental"}
    assert e["status"] == "CREATED" and e["traffic_percentage"] == 0
    # the server does not forbid a second unfinished experiment on the same context (flags default to true)
    assert c.experiment({"city": "Pune"}, {"config.version": "0.0.0"}, v).status_code == 200
    # variants are realised as contexts with variantIds conditions
    contexts = c.get("/context", params={"all": "true"}).json()["data"]
    assert {"city": "Pune", "variantIds": f"{e['id']}-experimental"} in [x["value"] for x in contexts]


def test_ramp_cap_self_approval_and_control_check(env: Env) -> None:
    c = env.workspace("strict", allow_experiment_self_approval=False, auto_populate_control=True)
    setup(c)
    stale = c.experiment({"city": "Pune"}, {"config.version": "9.9.9"}, {"config.version": "1.0.0"})
    assert stale.status_code == 400 and "Outdated control" in stale.json()["message"]
    e = new_experiment(c)
    denied = c.act(e["id"], "ramp", traffic_percentage=10)
    assert denied.status_code == 400 and "self-approval" in denied.json()["message"]
    c2 = env.workspace()
    setup(c2)
    e = new_experiment(c2)
    assert c2.act(e["id"], "ramp", traffic_percentage=51).status_code == 400
    assert c2.act(e["id"], "ramp", traffic_percentage=101).status_code == 400
    assert c2.act(e["id"], "ramp", traffic_percentage=50).json()["traffic_percentage"] == 50


def test_conclude_moves_overrides(env: Env) -> None:
    c = env.workspace()
    setup(c)
    e = new_experiment(c)
    c.act(e["id"], "ramp", traffic_percentage=50)
    assert c.act(e["id"], "conclude", chosen_variant="wrong").status_code == 400
    done = c.act(e["id"], "conclude", chosen_variant=f"{e['id']}-experimental")
    assert done.json()["chosen_variant"] == f"{e['id']}-experimental" and "x-config-version" in done.headers
    resolved = c.get("/config/resolve", params={"dimension[city]": "Pune"}).json()
    assert resolved["config.version"] == "1.0.0"
    assert c.get("/config/resolve", params={"dimension[city]": "Goa"}).json()["config.version"] == "0.0.0"
    contexts = c.get("/context", params={"all": "true"}).json()["data"]
    assert [x["value"] for x in contexts] == [{"city": "Pune"}]
    g = new_experiment(c, context={})
    c.act(g["id"], "ramp", traffic_percentage=10)
    c.act(g["id"], "conclude", chosen_variant=f"{g['id']}-experimental")
    assert c.get("/default-config/config.version").json()["value"] == "1.0.0"
    assert c.get("/context", params={"all": "true"}).json()["total_items"] == 1


def test_bucketing_is_stable_and_proportional(env: Env) -> None:
    c = env.workspace()
    setup(c)
    e = new_experiment(c)
    c.act(e["id"], "ramp", traffic_percentage=25)
    seen = {"0.0.0": 0, "1.0.0": 0}
    first = {}
    for i in range(2000):
        r = c.http.get(
            "/resolve", headers=c.headers, params={"dimension[city]": "Pune", "identifier": f"dev-{i}"}
        )
        seen[r.json()["config.version"]] += 1
        if i < 50:
            first[i] = r.json()["config.version"]
    assert 400 <= seen["1.0.0"] <= 600, seen  # ~25 % experimental
    for i, value in first.items():
        again = c.get("/resolve", params={"dimension[city]": "Pune", "identifier": f"dev-{i}"})
        assert again.json()["config.version"] == value
    # no identifier, or /config/resolve (which has no identifier on the server): no variant
    assert c.get("/resolve", params={"dimension[city]": "Pune"}).json()["config.version"] == "0.0.0"
    assert (
        c.get("/config/resolve", params={"dimension[city]": "Pune", "identifier": "dev-1"}).json()[
            "config.version"
        ]
        == "0.0.0"
    )
    variants = c.post(
        "/experiments/applicable-variants", json={"context": {"city": "Pune"}, "identifier": "dev-3"}
    )
    assert isinstance(variants.json()["data"], list)
    c.act(e["id"], "pause")
    assert all(
        c.get("/resolve", params={"dimension[city]": "Pune", "identifier": f"dev-{i}"}).json()[
            "config.version"
        ]
        == "0.0.0"
        for i in range(30)
    )


def test_experiment_list_pages_beyond_100(env: Env) -> None:
    c = env.workspace()
    setup(c)
    ids = [new_experiment(c, {"city": f"c{i}"})["id"] for i in range(103)]
    c.act(ids[0], "discard")
    page1 = c.post("/experiments/list", params={"count": 100}).json()
    page2 = c.post("/experiments/list", params={"count": 100, "page": 2}).json()
    assert page1["total_items"] == 103 and len(page1["data"]) + len(page2["data"]) == 103
    created = c.get("/experiments", params={"status": "CREATED", "all": "true"}).json()
    assert created["total_items"] == 102
    by_context = c.post("/experiments/list", json={"context": {"city": "c5"}}).json()
    assert [x["id"] for x in by_context["data"]] == [ids[5]]
    assert c.get(f"/experiments/{ids[3]}").json()["id"] == ids[3]
    assert c.get("/experiments/1").status_code == 404
    assert c.get("/experiments/abc").status_code == 400


def test_broken_workspace_until_migrated(env: Env) -> None:
    env.sp.set_broken_workspace_template(True)
    c = env.workspace("old")
    env.sp.set_broken_workspace_template(False)
    setup(c)
    contexts_before = c.get("/context").json()["total_items"]
    broken = c.experiment({"city": "Pune"}, {"config.version": "0.0.0"}, {"config.version": "1.0.0"})
    assert broken.status_code == 500
    assert broken.json() == {"message": "Something went wrong"}  # the database error stays hidden
    assert c.get("/context").json()["total_items"] == contexts_before  # failed before writing
    assert c.get("/experiments").status_code == 500  # every read fails too
    assert c.get("/config").status_code == 200  # config endpoints do not touch the experiments table
    assert env.client().post("/workspaces/old/db/migrate").status_code == 200
    assert c.get("/experiments").json()["total_items"] == 0
    assert new_experiment(c)["status"] == "CREATED"
    fresh = env.workspace("other")
    setup(fresh)
    env.sp.break_workspace(env.org, "other")
    assert fresh.experiment({}, {"config.version": "0.0.0"}, {"config.version": "1.0.0"}).status_code == 500


def test_legacy_dialect_experiments(legacy: Env) -> None:
    c = legacy.workspace()
    setup(c)
    logic = {"and": [{"==": [{"var": "city"}, "Pune"]}]}
    assert (
        c.experiment({"city": "Pune"}, {"config.version": "0.0.0"}, {"config.version": "1"}).status_code
        == 400
    )
    e = c.experiment(logic, {"config.version": "0.0.0"}, {"config.version": "1.0.0"}).json()
    assert e["context"] == logic
    assert (
        c.patch(
            f"/experiments/{e['id']}/overrides", json={"change_reason": "x", "variant_list": []}
        ).status_code
        == 404
    )
    c.act(e["id"], "ramp", traffic_percentage=50)
    got = {
        c.get("/config/resolve", params={"city": "Pune", "variantIds": f'["{v}"]'}).json()["config.version"]
        for v in (f"{e['id']}-control", f"{e['id']}-experimental")
    }
    assert got == {"0.0.0", "1.0.0"}
    picked = c.get("/experiments/applicable-variants", params={"city": "Pune", "toss": "42"}).json()
    assert len(picked) == 1
    config = c.get("/config").json()
    assert any("and" in ctx["condition"] for ctx in config["contexts"])
    assert "/resolve" and c.get("/resolve", params={"identifier": "x"}).status_code == 404


def test_workspace_template_switch_over_http(env: Env) -> None:
    """For a sandbox in another process (`hyperota sandbox up`): the switch and the defect over HTTP."""
    control = httpx.Client(base_url=f"{env.url}/__sandbox__", timeout=10)
    assert control.get("/workspace-template").json() == {"broken": False}
    assert control.put("/workspace-template", json={"broken": True}).json() == {"broken": True}
    try:
        c = env.workspace("remoteold")
    finally:
        assert control.put("/workspace-template", json={"broken": False}).json() == {"broken": False}
    setup(c)
    broken = c.experiment({}, {"config.version": "0.0.0"}, {"config.version": "1.0.0"})
    assert broken.status_code == 500 and broken.json() == {"message": "Something went wrong"}
    assert env.client().post("/workspaces/remoteold/db/migrate").status_code == 200
    assert new_experiment(c)["status"] == "CREATED"
    fresh = env.workspace("remotefresh")
    setup(fresh)
    target = {"org_id": env.org, "workspace": "remotefresh"}
    assert control.post("/broken-workspaces", json=target).status_code == 204
    assert fresh.experiment({}, {"config.version": "0.0.0"}, {"config.version": "1.0.0"}).status_code == 500
    missing = control.post("/broken-workspaces", json={**target, "workspace": "nope"})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PUT", "/workspace-template", b"not json", 400),
        ("PUT", "/workspace-template", b'{"broken": "yes"}', 400),
        ("PUT", "/workspace-template", b'{"broken": true, "extra": 1}', 400),
        ("PUT", "/workspace-template", b"[true]", 400),
        ("DELETE", "/workspace-template", b"", 405),
        ("POST", "/broken-workspaces", b'{"workspace": "x"}', 400),
        ("GET", "/broken-workspaces", b"", 405),
        ("GET", "/nothing-here", b"", 404),
    ],
)
def test_bad_control_requests_are_answered_not_crashed(
    env: Env, method: str, path: str, body: bytes, status: int
) -> None:
    response = httpx.request(method, f"{env.url}/__sandbox__{path}", content=body, timeout=10)
    assert response.status_code == status, response.text
    assert "message" in response.json()
    assert env.sp.broken_template is False
