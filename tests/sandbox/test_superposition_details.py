# ruff: noqa: F811  (pytest fixtures imported from test_superposition_support)
"""Details where the emulator used to differ from the real server (issue 12, item 4), per build."""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_superposition_builds import condition, make_workspace, release
from test_superposition_experiments import setup
from test_superposition_support import Client, Env, any_build, env  # noqa: F401

RFC2822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [1-9]\d? [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000$")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?\+00:00$")
LONG_AGO = "Mon, 1 Jan 2024 00:00:00 +0000"
FAR_AHEAD = "Fri, 1 Jan 2100 00:00:00 +0000"


def put_context(e: Env, c: Client, dims: dict[str, Any], override: dict[str, Any], **h: str) -> Any:
    body = {"context": condition(e, dims), "override": override, "description": "d", "change_reason": "r"}
    answer = c.put("/context", json=body, headers=h)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_version_latest_pinned_non_integer_and_unknown(any_build: Env) -> None:
    e = any_build
    c = make_workspace(e, "app")
    setup(c)
    first = c.get("/config").headers["x-config-version"]
    update = {"value": "2.0.0", "change_reason": "bump"}
    assert c.put("/default-config/config.version", json=update).status_code == 200
    newest = c.get("/config").headers["x-config-version"]
    assert newest != first
    if e.build != "0.74":  # pinning exists from v0.87
        pin = {"workspace_admin_email": "a@b.c", "config_version": first}
        assert e.client().put("/workspaces/app", json=pin).status_code == 200
        assert c.get("/config").headers["x-config-version"] == first  # no version: the pinned one
    latest = c.get("/config", params={"version": "latest"})
    if e.build == "0.74":
        assert latest.status_code == 400  # v0.74 takes only integers
    else:
        expected = first if e.build == "0.117" else newest  # v0.87: `latest` ignores the pin
        assert latest.headers["x-config-version"] == expected
        assert latest.json()["default_configs"]["config.version"] == (
            "0.0.0" if expected == first else "2.0.0"
        )
    for bad in ("abc", "12.5", '"12"'):
        refused = c.get("/config", params={"version": bad})
        assert (refused.status_code, refused.json()) == (400, {"message": "version is not of type integer"})
    unknown = c.get("/config", params={"version": "12345"})
    assert unknown.status_code == (500 if e.build == "0.117" else 404)


def test_a_fresh_workspace_has_config_version_1_only_on_v0117(any_build: Env) -> None:
    e = any_build
    c = make_workspace(e, "fresh")
    config = c.get("/config")
    versions = c.get("/config/versions").json()
    if e.build == "0.117":
        assert config.headers["x-config-version"] == "1"
        assert versions["total_items"] == 1
        assert versions["data"][0]["description"].startswith("base config version")
    else:
        assert "x-config-version" not in config.headers
        assert versions["total_items"] == 0


def test_prefix_filter_strips_override_keys_and_drops_emptied_contexts(any_build: Env) -> None:
    e = any_build
    c = make_workspace(e, "app")
    setup(c)
    pune = put_context(e, c, {"city": "Pune"}, {"config.version": "9.9.9", "package.version": 3})
    put_context(e, c, {"city": "Delhi"}, {"package.version": 4})
    filtered = c.get("/config", params={"prefix": "config."}).json()
    assert filtered["default_configs"] == {"config.version": "0.0.0"}
    assert [ctx["id"] for ctx in filtered["contexts"]] == [pune["id"]]
    assert list(filtered["overrides"].values()) == [{"config.version": "9.9.9"}]
    resolved = c.get("/config/resolve", params={"prefix": "config.", **_query(e, {"city": "Pune"})})
    assert resolved.json() == {"config.version": "9.9.9"}


def _query(e: Env, dims: dict[str, str]) -> dict[str, str]:
    if e.dialect == "current":
        return {f"dimension[{k}]": v for k, v in dims.items()}
    return dims


def test_context_priority_and_weight_are_positions_in_weight_order(any_build: Env) -> None:
    e = any_build
    c = make_workspace(e, "app")
    setup(c)
    assert c.dimension("os", 2).status_code == 201
    put_context(e, c, {"city": "Pune", "os": "ios"}, {"package.version": 3})  # weight 2 + 4
    put_context(e, c, {"os": "ios"}, {"package.version": 2})  # weight 4
    put_context(e, c, {"city": "Pune"}, {"package.version": 1})  # weight 2
    contexts = c.get("/config").json()["contexts"]
    assert [(x["priority"], x["weight"]) for x in contexts] == [(0, 0), (1, 1), (2, 2)]
    values = [c.get("/config").json()["overrides"][x["override_with_keys"][0]] for x in contexts]
    assert [v["package.version"] for v in values] == [1, 2, 3]  # lowest stored weight first
    stored = {x["override"]["package.version"]: x["weight"] for x in c.get("/context").json()["data"]}
    assert stored == {1: "2", 2: "4", 3: "6"}  # the context API keeps the stored weight


def test_last_modified_formats_and_304(any_build: Env) -> None:
    e = any_build
    c = make_workspace(e, "app")
    empty = c.get("/config", headers={"If-Modified-Since": FAR_AHEAD})
    if e.build == "0.117":  # the base config version counts as a change
        assert empty.status_code == 304
    else:  # no context or default config has ever changed: no header, never 304
        assert empty.status_code == 200 and "last-modified" not in empty.headers
    setup(c)
    got = c.get("/config")
    stamp = got.headers["last-modified"]
    assert RFC2822.match(stamp), stamp
    posted = c.post("/config", json={"context": {}})
    assert RFC3339.match(posted.headers["last-modified"]), posted.headers["last-modified"]
    assert c.get("/config", headers={"If-Modified-Since": stamp}).status_code == 304
    assert not c.get("/config", headers={"If-Modified-Since": stamp}).content
    assert c.get("/config", headers={"If-Modified-Since": LONG_AGO}).status_code == 200
    assert c.get("/config", headers={"If-Modified-Since": "yesterday"}).status_code == 200
    resolve = c.get("/config/resolve", headers={"If-Modified-Since": FAR_AHEAD})
    assert resolve.status_code == 304
    if e.build == "0.117":
        smithy = c.post(
            "/config", json={"context": {}}, headers={"If-Modified-Since": "2100-01-01T00:00:00Z"}
        )
        assert smithy.status_code == 304  # a POST's If-Modified-Since is RFC 3339 on v0.117
        bucketed = c.get("/resolve", params={"identifier": "d"}, headers={"If-Modified-Since": FAR_AHEAD})
        assert bucketed.status_code == 200  # never 304 with an identifier
        version = got.headers["x-config-version"]
        pinned = {"identifier": "d", "version": version}
        assert c.get("/resolve", params=pinned, headers={"If-Modified-Since": FAR_AHEAD}).status_code == 200


def test_change_reason_and_description_are_optional_on_experiments(any_build: Env) -> None:
    e = any_build
    c = make_workspace(e, "app")
    setup(c)
    created = release(e, c)
    assert created.status_code == 200, created.text
    exp = created.json()
    assert exp["description"] == "Description not provided"
    assert exp["change_reason"] == "Change Reason not provided"
    assert c.patch(f"/experiments/{exp['id']}/ramp", json={"traffic_percentage": 10}).status_code == 200
    assert c.patch(f"/experiments/{exp['id']}/pause", json={}).status_code == 200
    assert c.patch(f"/experiments/{exp['id']}/resume", json={}).status_code == 200
    chosen = {"chosen_variant": f"{exp['id']}-experimental"}
    assert c.patch(f"/experiments/{exp['id']}/conclude", json=chosen).status_code == 200
    without = c.put(
        "/context", json={"context": condition(e, {"city": "X"}), "override": {"package.version": 1}}
    )
    assert without.status_code == 400  # contexts still need a change reason


def test_ramp_refuses_a_float(any_build: Env) -> None:
    e = any_build
    c = make_workspace(e, "app")
    setup(c)
    eid = release(e, c).json()["id"]
    for value in (25.0, 12.5):
        refused = c.patch(f"/experiments/{eid}/ramp", json={"traffic_percentage": value})
        assert refused.status_code == 400
        assert f"invalid type: floating point `{value}`, expected i32" in refused.text
    assert c.patch(f"/experiments/{eid}/ramp", json={"traffic_percentage": 25}).status_code == 200


@pytest.mark.parametrize("build", ["0.87", "0.117"])
def test_applicable_variants_without_an_identifier(build: str) -> None:
    e = Env(build=build)
    try:
        c = make_workspace(e, "app")
        setup(c)
        eid = release(e, c).json()["id"]
        assert c.patch(f"/experiments/{eid}/ramp", json={"traffic_percentage": 50}).status_code == 200
        answers = [
            c.post("/experiments/applicable-variants", json={"context": {"city": "Pune"}}),
            c.post("/experiments/applicable-variants", content=b"", headers={"content-type": "text/plain"}),
        ]
        for answer in answers:
            if build == "0.117":  # no readable body: context {} and identifier "", nothing applies here
                assert (answer.status_code, answer.json()) == (200, {"data": []})
            else:
                assert (answer.status_code, answer.json()) == (
                    400,
                    {"message": "Invalid input for the method"},
                )
        with_id = {"context": {"city": "Pune"}, "identifier": "device-1"}
        assert len(c.post("/experiments/applicable-variants", json=with_id).json()["data"]) == 1
    finally:
        e.server.stop()


def test_put_context_always_deep_merges(any_build: Env) -> None:
    e = any_build
    c = make_workspace(e, "app")
    setup(c)
    assert c.default("config.properties", {}, {"type": "object"}).status_code == 200
    first = {"config.properties": {"a": 1, "nested": {"x": 1}}}
    put_context(e, c, {"city": "Pune"}, first)
    second = {"config.properties": {"nested": {"y": 2}}}
    merged = put_context(e, c, {"city": "Pune"}, second, **{"x-merge-strategy": "replace"})
    assert merged["override"] == {"config.properties": {"a": 1, "nested": {"x": 1, "y": 2}}}
    variants = [
        {"id": "control", "variant_type": "CONTROL", "overrides": {"config.properties": {}}},
        {
            "id": "experimental",
            "variant_type": "EXPERIMENTAL",
            "overrides": {"config.properties": {"nested": {"z": 3}}},
        },
    ]
    body = {"name": "r", "context": condition(e, {"city": "Pune"}), "variants": variants}
    eid = c.post("/experiments", json=body).json()["id"]
    assert c.patch(f"/experiments/{eid}/ramp", json={"traffic_percentage": 10}).status_code == 200
    chosen = {"chosen_variant": f"{eid}-experimental"}
    assert c.patch(f"/experiments/{eid}/conclude", json=chosen).status_code == 200
    after = c.get(f"/context/{merged['id']}").json()["override"]
    assert after == {"config.properties": {"a": 1, "nested": {"x": 1, "y": 2, "z": 3}}}


def test_experiment_override_update_field_names_and_order_of_checks(any_build: Env) -> None:
    e = any_build
    c = make_workspace(e, "app")
    setup(c)
    exp = release(e, c).json()
    path = f"/experiments/{exp['id']}/overrides"

    def variants(version: str) -> list[dict[str, Any]]:
        return [{"id": v["id"], "overrides": {"config.version": version}} for v in exp["variants"]]

    assert c.put(path, json={"variants": variants("1.1.0")}).status_code == 200
    assert c.put(path, json={"variant_list": variants("1.2.0")}).status_code == 200
    stored = c.get(f"/experiments/{exp['id']}").json()["variants"]
    assert {v["overrides"]["config.version"] for v in stored} == {"1.2.0"}
    nowhere = "/experiments/7000000000000000000/overrides"
    empty_override = c.put(nowhere, json={"variants": [{"id": "x", "overrides": {}}]})
    assert empty_override.status_code == 400 and "Override should not be empty" in empty_override.text
    empty_list = c.put(nowhere, json={"variants": []})
    assert empty_list.status_code == 400  # refused before the (missing) experiment is read
    assert "Variant not found in request" in empty_list.json()["message"]
    assert c.put(path, json={"change_reason": "x"}).status_code == 400  # no `variants`
