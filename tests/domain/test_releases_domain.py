"""Releases in the domain: targets in both dialects, the ramp mapping, impacts, drafts and their checks,
what devices download, the rollout timeline and the server's variant selection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hyperota_desktop.domain import bucketing as b
from hyperota_desktop.domain.dimensions import Dimension, DimensionKind, check_name, parse_value, schema_for
from hyperota_desktop.domain.errors import IntegrityError, ValidationError
from hyperota_desktop.domain.packages import Manifest, PackageFile
from hyperota_desktop.domain.release_drafts import (
    ReleaseDraft,
    check_draft,
    check_files,
    deep_merge,
    download_diff,
    effective_values,
    inherited_properties,
    parse_properties,
)
from hyperota_desktop.domain.releases import (
    ReleaseAction,
    ReleaseStatus,
    ReleaseSummary,
    impact_of,
    parse_status,
    per_variant_traffic,
    ramp_cap,
    release_from_experiment,
)
from hyperota_desktop.domain.rollout import (
    events_from_audit,
    events_from_release,
    merge_events,
    traffic_series,
)
from hyperota_desktop.domain.targeting import Target, flat_condition, wire_condition


def experiment(status: str = "INPROGRESS", traffic: int = 20, context: Any = None, **extra: Any) -> dict:
    return {
        "id": "42", "name": "shop package 2", "status": status, "traffic_percentage": traffic,
        "context": {"city": "Pune"} if context is None else context, "description": "notes",
        "created_at": "2026-01-01T10:00:00Z", "created_by": "alice@example.com",
        "variants": [
            {"id": "42-control", "variant_type": "CONTROL", "overrides": {"package.version": 1}},
            {"id": "42-experimental", "variant_type": "EXPERIMENTAL", "overrides": {"package.version": 2}},
        ],
        **extra,
    }  # fmt: skip


# -- targets -------------------------------------------------------------------------------------------
def test_targets_round_trip_both_dialects() -> None:
    dims = {"city": "Pune", "tier": "gold"}
    logic = wire_condition(dims, json_logic=True)
    assert logic == {"and": [{"==": [{"var": "city"}, "Pune"]}, {"==": [{"var": "tier"}, "gold"]}]}
    assert flat_condition(logic) == dims == flat_condition(wire_condition(dims, json_logic=False))
    assert flat_condition({"==": ["Pune", {"var": "city"}]}) == {"city": "Pune"}
    assert flat_condition({"and": [{"in": ["1-control", {"var": "variantIds"}]}]}) == {
        "variantIds": "1-control"
    }
    assert wire_condition({}, json_logic=True) == {}
    with pytest.raises(ValidationError, match="'>'"):
        flat_condition({"and": [{">": [{"var": "version"}, 3]}]})
    assert Target.of({"tier": "gold", "city": "Pune"}) == Target.of(dims)
    assert Target.of({"n": 1}).key() != Target.of({"n": 1.0}).key()  # as serde: 1 is not 1.0
    assert Target().describe() == "every device" and Target().short() == "everyone"
    assert Target.of({"beta": True}).describe() == "devices with beta=true"


# -- ramp, actions, impacts ----------------------------------------------------------------------------
def test_share_of_devices_maps_to_the_per_variant_percentage_and_its_cap() -> None:
    assert (ramp_cap(2), ramp_cap(3), ramp_cap(1)) == (50, 33, 100)
    assert per_variant_traffic(30) == 30 and per_variant_traffic(0) == 0 and per_variant_traffic(33, 3) == 33
    for bad in (51, 2.5, "30", True, None, -1):
        with pytest.raises(ValidationError):
            per_variant_traffic(bad)
    with pytest.raises(ValidationError, match="at most 33%"):
        per_variant_traffic(34, 3)


def test_impacts_say_who_is_affected_and_status_guards() -> None:
    release = release_from_experiment(experiment())
    ramp = impact_of(release, ReleaseAction.RAMP, 40)
    assert (ramp.before_percent, ramp.after_percent) == (20, 40) and ramp.affects_devices
    assert ramp.lines[0] == "40% of devices with city=Pune get package 2 (now 20%)."
    assert impact_of(release, ReleaseAction.CONCLUDE).after_percent == 100
    assert "go back to it" in impact_of(release, ReleaseAction.REVERT).lines[0]
    assert impact_of(release, ReleaseAction.PAUSE).after_percent == 0
    again = impact_of(release, ReleaseAction.RESUME)  # a repeat (its answer lost): done, nothing changes
    assert not again.affects_devices and "already ramping (20%): nothing changes" in again.lines[0]
    with pytest.raises(ValidationError, match="is ramping: it cannot be edited"):
        impact_of(release, ReleaseAction.EDIT)
    created = release_from_experiment(experiment("CREATED", 0))
    assert not impact_of(created, ReleaseAction.DISCARD).affects_devices
    assert impact_of(release_from_experiment(experiment("PAUSED")), ReleaseAction.RESUME).after_percent == 20
    assert (
        parse_status("ramping") is ReleaseStatus.INPROGRESS and parse_status("paused") is ReleaseStatus.PAUSED
    )
    with pytest.raises(ValidationError):
        parse_status("done")


def test_experiments_parse_in_either_dialect_and_reverts_are_recognised() -> None:
    legacy = release_from_experiment(experiment(context={"and": [{"==": [{"var": "city"}, "Pune"]}]}))
    assert legacy.target == Target.of({"city": "Pune"}) and legacy.package_version == 2
    reverted = release_from_experiment(experiment("CONCLUDED", chosen_variant="42-control"))
    assert reverted.reverted and reverted.status_text == "reverted" and reverted.devices_percent == 0
    released = release_from_experiment(experiment("CONCLUDED", chosen_variant="42-experimental"))
    assert released.status_text == "released" and released.devices_percent == 100
    row = ReleaseSummary.of(released)
    assert row.matches("city=pune") and row.matches("v2") and row.matches("alice@") and not row.matches("v3")
    with pytest.raises(IntegrityError):
        release_from_experiment(experiment("WHATEVER"))
    with pytest.raises(IntegrityError):
        release_from_experiment({"name": "no id"})


# -- drafts --------------------------------------------------------------------------------------------
def _file(path: str, n: int) -> PackageFile:
    return PackageFile(path, f"https://cdn/{n}", f"{n:064x}", 100 * n)


def test_draft_checks_per_field() -> None:
    dims = [
        Dimension("city", 1, {"type": "string"}),
        Dimension("tier", 2, {"type": "string", "enum": ["gold"]}),
    ]
    draft = ReleaseDraft(target={"city": 3, "tier": "gold", "variantIds": "x"}, boot_timeout=700_000,
                         release_config_timeout=90_000, properties="[1]", notes="n" * 1025)  # fmt: skip
    problems = {(p.field, p.warning) for p in check_draft(draft, dims)}
    assert problems == {("target.city", False), ("target.variantIds", False), ("package", False),
                        ("boot_timeout", False), ("release_config_timeout", True), ("properties", False),
                        ("notes", False)}  # fmt: skip
    assert parse_properties('{"a": 1}') == ({"a": 1}, "") and parse_properties("")[0] == {}
    manifest = Manifest("o", "a", 3, "index.js", (_file("index.js", 1), _file("a.png", 2)), "", "")
    draft = ReleaseDraft(package="3", lazy=("index.js", "b.png"),
                         resources=(_file("a.png", 9), _file("r.txt", 4), _file("r.txt", 4)))  # fmt: skip
    messages = [p.message for p in check_files(draft, manifest)]
    assert any("b.png" in m for m in messages) and any("always fetched before boot" in m for m in messages)
    assert any("'a.png' is a file of the package" in m for m in messages)
    assert any("'r.txt' is listed twice" in m for m in messages)
    assert ReleaseDraft.from_dict(draft.to_dict()) == draft


def test_devices_get_the_release_merged_over_what_they_have() -> None:
    assert deep_merge({"a": {"x": 1, "y": 2}, "l": [1]}, {"a": {"x": 5}, "l": [2]}) == {
        "a": {"x": 5, "y": 2},
        "l": [2],
    }
    today = {"config.properties": {"banner": "old", "theme": "dark"}, "package.version": 1}
    effective = effective_values(today, {"config.properties": {"banner": "new"}, "package.version": 2})
    assert effective["config.properties"] == {"banner": "new", "theme": "dark"}
    assert inherited_properties(today, {"banner": "new"}, "config.properties") == ["theme"]


def test_download_diff_counts_content_the_device_lacks() -> None:
    def values(index: PackageFile, important: list[PackageFile], lazy: list[PackageFile]) -> dict:
        return {"package.index": index.to_dict(), "package.important": [f.to_dict() for f in important],
                "package.lazy": [f.to_dict() for f in lazy], "resources": []}  # fmt: skip

    before = values(_file("index.js", 1), [_file("a.png", 2)], [_file("b.mp3", 3)])
    after = values(_file("index.js", 4), [_file("a.png", 2), _file("c.png", 2)], [_file("b.mp3", 5)])
    diff = download_diff(before, after)
    assert diff.download_bytes == 400 + 500 and diff.before_boot_bytes == 400  # c.png: same content as a.png
    assert (diff.added, diff.removed, diff.changed) == (("c.png",), (), ("b.mp3", "index.js"))
    assert download_diff(None, after).download_bytes == 400 + 200 + 500


# -- the rollout timeline ------------------------------------------------------------------------------
def test_timeline_from_the_audit_log() -> None:
    t0 = datetime(2026, 1, 1, 10, tzinfo=UTC)
    rows = [
        ("INSERT", None, experiment("CREATED", 0), 0),
        ("UPDATE", experiment("CREATED", 0), experiment("INPROGRESS", 10, change_reason="go"), 1),
        ("UPDATE", experiment("INPROGRESS", 10), experiment("INPROGRESS", 30), 2),
        ("UPDATE", experiment("INPROGRESS", 30), experiment("PAUSED", 30), 3),
        ("UPDATE", experiment("PAUSED", 30), experiment("INPROGRESS", 30), 4),
        ("UPDATE", experiment("INPROGRESS", 30), experiment("CONCLUDED", 30, chosen_variant="42-control"), 5),
    ]
    entries = [
        {"table_name": "experiments", "action": a, "user_name": "bob@example.com",
         "timestamp": (t0 + timedelta(minutes=m)).isoformat(), "original_data": old,
         "new_data": {**new, "id": 42}}  # the server's rows carry the id as a number
        for a, old, new, m in reversed(rows)
    ] + [{"table_name": "contexts", "new_data": {"id": "42"}}, {"table_name": "experiments",
          "timestamp": t0.isoformat(), "new_data": {**experiment(), "id": "7"}}]  # fmt: skip
    events = events_from_audit("42", entries)
    assert [e.what for e in events] == ["created", "started at 10%", "ramped 10% → 30%", "paused",
                                        "resumed at 30%", "reverted (concluded on control)"]  # fmt: skip
    assert [p for _, p in traffic_series(events)] == [0, 10, 30, 0, 30, 0]
    assert events[1].why == "go" and events[0].who == "bob@example.com"
    fallback = events_from_release(release_from_experiment(experiment(started_at="2026-01-01T09:00:00Z")))
    assert [e.what for e in merge_events([], fallback)][:1] == ["created"]
    assert merge_events(events, fallback) == events  # the log starts with the creation: nothing to add


# -- dimensions and the server's variant selection -----------------------------------------------------
def test_dimension_kinds_names_and_values() -> None:
    assert schema_for(DimensionKind.ENUM, ("free", " gold ")) == {"type": "string", "enum": ["free", "gold"]}
    assert schema_for(DimensionKind.BOOLEAN) == {"type": "boolean"}
    for bad in ("variantIds", "1st", "a-b", "x" * 65):
        with pytest.raises(ValidationError):
            check_name(bad)
    number = Dimension("version", 1, {"type": "number"})
    assert parse_value(number, "3") == 3 and parse_value(number, "3.5") == 3.5
    assert parse_value(Dimension("beta", 1, {"type": "boolean"}), "TRUE") is True
    with pytest.raises(ValidationError, match="is not one of"):
        parse_value(Dimension("tier", 1, schema_for(DimensionKind.ENUM, ("gold",))), "silver")


def test_variant_selection_reads_the_group_as_the_server_does() -> None:
    group_id = 7312345678901234567
    layout: list[b.Bucket | None] = [None] * 100
    for i in range(60):
        layout[i] = b.Bucket("1", "1-control" if i < 30 else "1-experimental")
    group = b.Group(group_id, {"city": "Pune"}, 60, tuple(layout))
    running = [b.RunningExperiment("1", {"city": "Pune"}, 30, ("1-control", "1-experimental"))]
    seen = {}
    for i in range(300):
        device = f"d{i}"
        picked = b.assign([group], running, {"city": "Pune"}, device)
        bucket = b.server_bucket(device, group_id)
        expected = [] if bucket >= 60 else ["1-control" if bucket < 30 else "1-experimental"]
        assert [a.variant_id for a in picked] == expected
        seen[bucket >= 60] = True
    assert seen == {True: True, False: True}
    assert (
        b.assign([group], running, {"city": "Goa"}, "d1") == [] and b.assign([group], running, {}, "") == []
    )
    assert b.assign([group], [], {"city": "Pune"}, "d1") == []  # paused: not running, no variant
    pairs = [("c", "CONTROL"), ("e", "EXPERIMENTAL")]
    assert [b.toss_variant(20, pairs, t) for t in (0, 19, 20, 39, 40, -1)] == ["c", "c", "e", "e", None, "e"]
    with pytest.raises(ValidationError):
        b.toss_variant(20, pairs, 101)
    with pytest.raises(ValidationError):
        b.group_id_number("abc")
    assert b.condition_applies({"v": 1}, {"v": 1}) and not b.condition_applies({"v": 1}, {"v": 1.0})
    assert not b.condition_applies({"v": 1}, {"v": True})
