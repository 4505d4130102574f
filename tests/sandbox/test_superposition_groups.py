# ruff: noqa: F811  (pytest fixtures imported from test_superposition_support)
"""Experiment groups, device bucketing and conditional experiment listing, as the server does them."""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime, timedelta

import pytest
from test_superposition_support import Env, env, legacy  # noqa: F401

from hyperota_desktop.domain.bucketing import server_bucket


def setup(c) -> dict:
    assert c.dimension("city", 1).status_code == 201
    assert c.default("config.version", "0.0.0", {"type": "string"}).status_code == 200
    e = c.experiment(
        {"city": "Pune"}, {"config.version": "0.0.0"}, {"config.version": "1.0.0"}, name="shop v2"
    )
    assert e.status_code == 200, e.text
    return e.json()


def _groups(c) -> list[dict]:
    return c.get("/experiment-groups", params={"all": "true"}).json()["data"]


def _layout(group: dict) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, b in enumerate(group["buckets"]):
        if b is not None:
            out.setdefault(b["variant_id"].rsplit("-", 1)[1], []).append(i)
    return out


def test_a_system_group_is_made_on_the_first_ramp_filled_from_the_front_and_dropped_on_conclude(
    env: Env,
) -> None:
    c = env.workspace()
    e = setup(c)
    assert _groups(c) == []  # CREATED: no group yet
    c.act(e["id"], "ramp", traffic_percentage=10)
    [group] = _groups(c)  # checked against the published schema by the client
    exp = c.get(f"/experiments/{e['id']}").json()
    assert exp["experiment_group_id"] == group["id"]
    assert group["group_type"] == "SYSTEM_GENERATED" and group["member_experiment_ids"] == [e["id"]]
    assert (
        group["name"] == "shop v2"
        and group["traffic_percentage"] == 20
        and group["context"] == {"city": "Pune"}
    )
    assert group["description"] == "Experiment group for experiment shop v2"
    assert _layout(group) == {"control": list(range(10)), "experimental": list(range(10, 20))}
    c.act(e["id"], "ramp", traffic_percentage=25)
    [group] = _groups(c)
    assert group["traffic_percentage"] == 50
    assert _layout(group) == {
        "control": [*range(10), *range(20, 35)],
        "experimental": [*range(10, 20), *range(35, 50)],
    }
    c.act(e["id"], "ramp", traffic_percentage=5)  # excess buckets are freed from the back
    assert _layout(_groups(c)[0]) == {"control": list(range(5)), "experimental": list(range(10, 15))}
    assert c.get(f"/experiment-groups/{group['id']}").json()["id"] == group["id"]
    c.act(e["id"], "conclude", chosen_variant=f"{e['id']}-experimental")
    assert _groups(c) == []
    assert c.get(f"/experiment-groups/{group['id']}").status_code == 404
    audit = c.get("/audit", params={"table": "experiment_groups", "all": "true"}).json()["data"]
    assert sorted(a["action"] for a in audit) == ["DELETE", "INSERT", "UPDATE", "UPDATE"]


@pytest.mark.parametrize("build", ["0.117", "0.87"])
def test_devices_are_bucketed_with_the_servers_hash(build: str) -> None:
    e_ = Env(build=build)
    try:
        c = e_.workspace()
        context = {"city": "Pune"} if build == "0.117" else {"and": [{"==": [{"var": "city"}, "Pune"]}]}
        assert c.dimension("city", 1).status_code == 201
        assert c.default("config.version", "0.0.0", {"type": "string"}).status_code == 200
        e = c.experiment(context, {"config.version": "0.0.0"}, {"config.version": "1.0.0"}).json()
        c.act(e["id"], "ramp", traffic_percentage=30)
        group = c.get("/experiment-groups", params={"all": "true"}).json()["data"][0]
        future = email.utils.format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
        again = c.http.get("/experiment-groups", headers={**c.headers, "If-Modified-Since": future})
        assert again.status_code == (304 if build == "0.117" else 200)  # v0.87's group list: no 304
        for i in range(200):
            device = f"dev-{i}"
            bucket = server_bucket(device, int(group["id"]))
            held = group["buckets"][bucket] if bucket <= group["traffic_percentage"] else None
            got = c.post("/experiments/applicable-variants",
                         json={"context": {"city": "Pune"}, "identifier": device}).json()["data"]  # fmt: skip
            assert [v["id"] for v in got] == ([held["variant_id"]] if held else []), (device, bucket)
    finally:
        e_.server.stop()


def test_v074_has_no_experiment_groups() -> None:
    """Groups arrive in v0.87 (experiment_groups/handlers.rs); v0.74 assigns by toss (builds tests)."""
    e_ = Env(build="0.74")
    try:
        c = e_.workspace()
        assert c.dimension("city", 1).status_code == 201
        assert c.default("config.version", "0.0.0", {"type": "string"}).status_code == 200
        logic = {"and": [{"==": [{"var": "city"}, "Pune"]}]}
        e = c.experiment(logic, {"config.version": "0.0.0"}, {"config.version": "1.0.0"}).json()
        c.act(e["id"], "ramp", traffic_percentage=20)
        assert "experiment_group_id" not in c.get(f"/experiments/{e['id']}").json()
        assert c.http.get("/experiment-groups", headers=c.headers).status_code == 404
    finally:
        e_.server.stop()


def test_the_current_listing_says_last_modified_and_answers_304_to_the_same_second(env: Env) -> None:
    c = env.workspace()
    e = setup(c)
    first = c.get("/experiments")
    stamp = first.headers["Last-Modified"]
    assert stamp.endswith(" +0000") and first.headers.get("Date")  # chrono's to_rfc2822, actix's Date
    parsed = email.utils.parsedate_to_datetime(stamp)
    raw = c.http.get("/experiments", headers={**c.headers, "If-Modified-Since": stamp})
    assert raw.status_code == 304 and raw.content == b""
    older = email.utils.format_datetime(parsed - timedelta(seconds=1), usegmt=True)
    assert c.http.get("/experiments", headers={**c.headers, "If-Modified-Since": older}).status_code == 200
    smithy = c.http.post("/experiments/list", headers=c.headers)
    assert "T" in smithy.headers["Last-Modified"]  # RFC 3339 for the POST (smithy) form
    again = c.http.post(
        "/experiments/list", headers={**c.headers, "If-Modified-Since": smithy.headers["Last-Modified"]}
    )
    assert again.status_code == 304
    time.sleep(1.05)
    c.act(e["id"], "ramp", traffic_percentage=10)
    assert c.http.get("/experiments", headers={**c.headers, "If-Modified-Since": stamp}).status_code == 200


def test_the_v074_listing_has_no_last_modified_and_304s_only_strictly_after(legacy: Env) -> None:
    c = legacy.workspace()
    assert c.dimension("city", 1).status_code == 201
    assert c.default("config.version", "0.0.0", {"type": "string"}).status_code == 200
    logic = {"and": [{"==": [{"var": "city"}, "Pune"]}]}
    assert c.experiment(logic, {"config.version": "0.0.0"}, {"config.version": "1"}).status_code == 200
    listing = c.get("/experiments")
    assert "Last-Modified" not in listing.headers
    served = email.utils.parsedate_to_datetime(listing.headers["Date"])
    later = email.utils.format_datetime(served + timedelta(seconds=2), usegmt=True)
    earlier = email.utils.format_datetime(served - timedelta(seconds=30), usegmt=True)
    assert c.http.get("/experiments", headers={**c.headers, "If-Modified-Since": later}).status_code == 304
    assert c.http.get("/experiments", headers={**c.headers, "If-Modified-Since": earlier}).status_code == 200
