# ruff: noqa: F811  (pytest fixtures imported from test_superposition_support)
"""Dimensions, default configs, contexts, /config, versions, audit, request decoding, engine parity."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from test_superposition_support import Env, env  # noqa: F401

from hyperota_desktop.sandbox.superposition.engine import (
    BindingsEngine,
    EngineContext,
    EngineExperiment,
    EngineGroup,
    EngineVariant,
    PythonEngine,
)


def test_dimension_positions(env: Env) -> None:
    c = env.workspace()
    assert c.dimension("zero", 0).status_code == 400
    assert c.dimension("far", 2).status_code == 400
    created = c.dimension("city", 1)
    assert created.status_code == 201 and "x-config-version" in created.headers
    assert c.dimension("os", 1).status_code == 201  # inserted before city, which shifts up
    assert c.dimension("city", 1).status_code == 409
    positions = {d["dimension"]: d["position"] for d in c.get("/dimension").json()["data"]}
    assert positions == {"variantIds": 0, "os": 1, "city": 2}
    assert c.dimension("obj", 3, {"type": "object"}).status_code == 400
    deleted = c.delete("/dimension/os")
    assert deleted.status_code == 200 and deleted.content == b""
    assert c.get("/dimension/city").json()["position"] == 1
    assert c.delete("/dimension/os").status_code == 404
    c.default("k", 1, {"type": "integer"})
    c.put(
        "/context",
        json={"context": {"city": "x"}, "override": {"k": 2}, "description": "d", "change_reason": "r"},
    )
    used = c.delete("/dimension/city")
    assert used.status_code == 400 and "already in use" in used.json()["message"]


def test_default_configs_and_contexts(env: Env) -> None:
    c = env.workspace()
    c.dimension("city", 1, {"type": "string", "enum": ["Pune", "Goa"]})
    assert c.default("n", "one", {"type": "integer"}).status_code == 400
    assert c.default("n", 1, {}).status_code == 400
    assert c.default("n", 1, {"type": "integer", "minimum": 0}).status_code == 200
    assert c.default("n", 1, {"type": "integer"}).status_code == 409
    ctx = {"context": {"city": "Pune"}, "override": {"n": 5}, "description": "d", "change_reason": "r"}
    assert c.put("/context", json={**ctx, "override": {"m": 1}}).status_code == 400
    assert c.put("/context", json={**ctx, "override": {"n": -1}}).status_code == 400
    assert c.put("/context", json={**ctx, "context": {"city": "Paris"}}).status_code == 400
    assert c.put("/context", json={**ctx, "context": {"planet": "x"}}).status_code == 400
    made = c.put("/context", json=ctx)
    assert made.status_code == 200 and made.json()["weight"] == "2"
    assert c.get(f"/context/{made.json()['id']}").json()["override"] == {"n": 5}
    assert c.post("/context/validate", json={"context": {"city": "Goa"}}).status_code == 200
    assert c.post("/context/validate", json={"context": {"city": "Rome"}}).status_code == 400
    used = c.delete("/default-config/n")
    assert used.status_code == 400
    assert c.delete(f"/context/{made.json()['id']}").status_code == 204
    assert c.delete("/default-config/n").status_code == 200
    assert c.get("/default-config").json()["total_items"] == 0


def test_resolution_order_and_merge_strategy(env: Env) -> None:
    c = env.workspace()
    c.dimension("city", 1)
    c.dimension("os", 2)
    c.default("props", {"a": 1, "b": 1}, {"type": "object"})
    for cond, props in (({"os": "ios"}, {"b": 3}), ({"city": "Pune"}, {"a": 2})):
        c.put(
            "/context",
            json={"context": cond, "override": {"props": props}, "description": "d", "change_reason": "r"},
        )
    query = {"dimension[city]": "Pune", "dimension[os]": "ios"}
    assert c.get("/config/resolve", params=query).json() == {"props": {"a": 2, "b": 3}}
    replaced = c.get("/config/resolve", params=query, headers={"x-merge-strategy": "replace"})
    assert replaced.json() == {"props": {"b": 3}}  # os (weight 4) wins over city (weight 2)
    upper = c.get("/config/resolve", params=query, headers={"x-merge-strategy": "REPLACE"})
    assert upper.json() == {"props": {"a": 2, "b": 3}}  # anything but lowercase is merge
    posted = c.post("/config/resolve", json={"context": {"city": "Pune"}})
    assert posted.json() == {"props": {"a": 2, "b": 1}}
    config = c.post("/config", json={})
    version = config.headers["x-config-version"]
    assert len(config.json()["contexts"]) == 2
    got = c.get(f"/config/version/{version}")
    assert got.status_code == 200 and got.json()["id"] == version
    assert c.get("/version/" + version).status_code == 404
    versions = c.get("/config/versions", params={"count": 2}).json()
    assert versions["data"][0]["id"] == version and "config" not in versions["data"][0]


def test_request_decoding_errors(env: Env) -> None:
    c = env.workspace()
    bad = c.post("/dimension", content=b'{"dimension": ', headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/plain")
    assert bad.text.startswith("Json deserialize error:")
    long_reason = {
        "dimension": "city",
        "position": 1,
        "schema": {"type": "string"},
        "description": "d",
        "change_reason": "r" * 256,
    }
    resp = c.post("/dimension", json=long_reason)
    assert resp.status_code == 400 and "Reason longer than 255" in resp.text
    resp = c.post("/dimension", json={**long_reason, "change_reason": "ok", "description": "d" * 1025})
    assert resp.status_code == 400 and "Description longer than 1024" in resp.text
    assert (
        c.post(
            "/dimension", json={**long_reason, "change_reason": "ok", "description": "d" * 1024}
        ).status_code
        == 201
    )


def test_audit_records_every_change(env: Env) -> None:
    c = env.workspace()
    c.dimension("city", 1)
    c.default("k", 1, {"type": "integer"})
    c.put(
        "/context",
        json={"context": {"city": "x"}, "override": {"k": 2}, "description": "d", "change_reason": "r"},
    )
    everything = c.get("/audit", params={"all": "true"}).json()
    tables = {a["table_name"] for a in everything["data"]}
    assert {"dimensions", "default_configs", "contexts", "config_versions"} <= tables
    dims = c.get("/audit", params={"table": "dimensions", "action": "INSERT"}).json()
    assert dims["total_items"] == 1 and dims["data"][0]["user_name"] == "user@superposition.io"
    assert c.get("/audit", params={"username": "nobody"}).json()["total_items"] == 0
    assert c.get("/audit", params={"from_date": "2999-01-01T00:00:00Z"}).json()["total_items"] == 0
    assert c.get("/audit", params={"action": "UPSERT"}).status_code == 400


# --- engine parity: Superposition's own core vs the Python port -----------------------------------

DIMS = {
    "variantIds": {"schema": {"type": "string"}, "position": 0},
    "city": {"schema": {"type": "string"}, "position": 1},
    "os": {"schema": {"type": "string"}, "position": 2},
}
VALUES = st.one_of(
    st.integers(-5, 5),
    st.text("ab", max_size=2),
    st.booleans(),
    st.dictionaries(st.sampled_from("xyz"), st.integers(0, 3), max_size=2),
)
CONDITIONS = st.dictionaries(
    st.sampled_from(["city", "os"]), st.sampled_from(["Pune", "Goa", "ios"]), min_size=1
)
QUERIES = st.dictionaries(st.sampled_from(["city", "os", "other"]), st.sampled_from(["Pune", "Goa", "ios"]))


@settings(max_examples=150, deadline=None)
@given(
    defaults=st.dictionaries(st.sampled_from(["k1", "k2", "k3"]), VALUES, min_size=1),
    contexts=st.lists(
        st.tuples(CONDITIONS, st.dictionaries(st.sampled_from(["k1", "k2", "k4"]), VALUES, min_size=1)),
        max_size=4,
    ),
    query=QUERIES,
    strategy=st.sampled_from(["MERGE", "REPLACE"]),
)
def test_eval_parity(defaults: dict, contexts: list, query: dict, strategy: str) -> None:
    bindings, python = BindingsEngine(), PythonEngine()
    ctxs = [
        EngineContext(id=f"c{i}", condition=cond, override_key=f"o{i}")
        for i, (cond, _) in enumerate(contexts)
    ]
    overrides = {f"o{i}": ov for i, (_, ov) in enumerate(contexts)}
    args = (defaults, ctxs, overrides, DIMS, query, strategy)
    assert bindings.eval_config(*args) == python.eval_config(*args)


@settings(max_examples=40, deadline=None)
@given(
    traffic=st.integers(0, 50),
    group_id=st.integers(1, 10**18),
    context=st.sampled_from([{}, {"city": "Pune"}]),
    query=QUERIES,
    running=st.booleans(),
)
def test_bucketing_parity(traffic: int, group_id: int, context: dict, query: dict, running: bool) -> None:
    bindings, python = BindingsEngine(), PythonEngine()
    variants = [EngineVariant("e-c", "CONTROL", {"k": 1}), EngineVariant("e-x", "EXPERIMENTAL", {"k": 2})]
    exp = EngineExperiment("e", traffic, variants, context, "INPROGRESS" if running else "PAUSED")
    buckets = [("e", "e-c")] * traffic + [("e", "e-x")] * traffic + [None] * (100 - 2 * traffic)
    group = EngineGroup(str(group_id), context, 2 * traffic, ["e"], buckets)
    for i in range(50):
        ident = f"device-{i}"
        assert bindings.applicable_variants([exp], [group], DIMS, query, ident) == python.applicable_variants(
            [exp], [group], DIMS, query, ident
        )
