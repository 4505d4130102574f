"""Experiments (`/experiments`): lifecycle, guards, system-generated groups and bucketing."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..http import json_response
from . import buckets, conditions
from .cac import version_header
from .contexts import (
    delete_context,
    replace_context_override,
    upsert_context,
    validate_condition,
    validate_override,
)
from .engine import json_equal
from .errors import Body, bad_argument, deserialize_error, no_records
from .state import Workspace, iso, now, snowflake

if TYPE_CHECKING:
    from .app import Call

STATUSES = ("CREATED", "INPROGRESS", "PAUSED", "CONCLUDED", "DISCARDED")


def exp_json(call: Call, e: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": e["id"],
        "created_at": iso(e["created_at"]),
        "created_by": e["created_by"],
        "last_modified": iso(e["last_modified"]),
        "name": e["name"],
        "experiment_type": "DEFAULT",
        "override_keys": e["override_keys"],
        "status": e["status"],
        "traffic_percentage": e["traffic_percentage"],
        "started_at": iso(e["started_at"]),
        "started_by": e["started_by"],
        "context": conditions.render(e["context"], call.dialect),
        "variants": copy.deepcopy(e["variants"]),
        "last_modified_by": e["last_modified_by"],
        "chosen_variant": e["chosen_variant"],
        "description": e["description"],
        "change_reason": e["change_reason"],
        "metrics": e["metrics"],
        "experiment_group_id": e["experiment_group_id"],
    }
    if not call.build.experiment_groups:
        del out["experiment_group_id"]  # v0.74.0 `ExperimentResponse` has no experiment groups
    return out


def _experiment(call: Call, exp_id: str) -> dict[str, Any]:
    if not exp_id.lstrip("-").isdigit():
        raise bad_argument(f'can not parse "{exp_id}" to a i64')
    e = call.workspace.experiments.get(exp_id)
    if e is None:
        raise no_records()
    return e


def _overrides(v: Body, body: Body) -> dict[str, Any]:
    """`Exp<Overrides>`: an empty map is refused while the body is read (superposition_types config.rs
    `Overrides::validate_data`), before the handler looks at anything else."""
    overrides: dict[str, Any] = v.req("overrides", "object")
    if not overrides:
        raise deserialize_error(f"Override should not be empty at line 1 column {body.col}")
    return overrides


def _variants(body: Body) -> list[dict[str, Any]]:
    raw = body.req("variants", "array")
    out = []
    for item in raw:
        v = Body(item, body.col, "struct Variant")
        overrides = _overrides(v, body)
        out.append(
            {
                "id": v.req("id", "str"),
                "variant_type": v.enum("variant_type", ("CONTROL", "EXPERIMENTAL"), required=True),
                "context_id": None,
                "override_id": None,
                "overrides": overrides,
            }
        )
    return out


def _check_keys(variants: list[dict[str, Any]], capitalised: bool = False) -> list[str]:
    keys = list(variants[0]["overrides"]) if variants else []
    for v in variants:
        if set(v["overrides"]) != set(keys):
            word = "All" if capitalised else "all"
            raise bad_argument(
                f"{word} variants should contain the keys mentioned in override_keys. Check if any of the "
                f"following keys [{','.join(keys)}] are missing from keys in your variants"
            )
    return keys


def _check_control(call: Call, ws: Workspace, context: dict[str, Any], control: dict[str, Any]) -> None:
    """auto_populate_control: the control variant must equal what the context resolves to today."""
    if not ws.auto_populate_control:
        return
    resolved = call.emu.engine.eval_config(
        ws.default_values(),
        ws.engine_contexts(),
        ws.overrides_map(),
        ws.dimension_info(),
        dict(context),
        "MERGE",
    )
    mismatched = {}
    for key, value in control["overrides"].items():
        if key not in resolved:
            raise bad_argument(f"Control variant overrides do not match resolved config for key: {key}")
        if not json_equal(resolved[key], value):
            mismatched[key] = resolved[key]
    if mismatched:
        raise bad_argument(
            "Outdated control variant overrides. Please update the control variant's overrides with: "
            + json.dumps(mismatched, separators=(",", ":"))
            + "."
        )


def _active_experiments(ws: Workspace) -> list[dict[str, Any]]:
    """`validate_experiment` (experiments/helpers.rs, every build) loads the active experiments before
    anything is written: in a broken workspace this read is where create fails (500), so no variant
    context is left behind."""
    return [e for e in ws.experiments.values() if e["status"] in ("CREATED", "INPROGRESS")]


def create(call: Call) -> Response:
    body = call.body()
    name = body.req("name", "str")
    raw_context = body.req("context", "object")
    variants = _variants(body)
    # `ExperimentCreateRequest`: description and change reason are defaulted when absent (every build).
    description = body.description(required=False, default="Description not provided")
    reason = body.change_reason(required=False)
    exp_type = body.enum("experiment_type", ("DEFAULT", "DELETE_OVERRIDES"), default="DEFAULT")
    metrics = body.opt("metrics", "any", {"enabled": False})
    context = conditions.parse(raw_context, call.dialect)
    if "variantIds" in context:
        raise deserialize_error(
            f"experiment's context should not contain variantIds dimension at line 1 column {body.col}"
        )
    if body.opt("experiment_group_id") is not None:
        raise no_records()  # user-created experiment groups are not emulated
    if exp_type != "DEFAULT":
        raise bad_argument("DELETE_OVERRIDES experiments are not supported by this emulator")
    ws = call.workspace
    controls = [v for v in variants if v["variant_type"] == "CONTROL"]
    if len(controls) != 1:
        raise bad_argument(
            "Experiment should have exactly 1 control variant. Ensure only one control variant is present"
        )
    if len(variants) < 2:
        raise bad_argument(
            "Experiment should have at least 1 experimental variant. "
            "Ensure only one control variant is present"
        )
    if len({v["id"] for v in variants}) != len(variants):
        raise bad_argument("Variant ids are expected to be unique. Provide unqiue variant IDs")
    keys = _check_keys(variants)
    _check_control(call, ws, context, controls[0])
    _active_experiments(ws)
    # The variants' contexts go to CAC first (bulk operation, validated there, one new config version).
    validate_condition(ws, context)
    for v in variants:
        validate_override(ws, v["overrides"])
    exp_id = str(snowflake())
    for v in variants:
        v["id"] = f"{exp_id}-{v['id']}"
        ctx = upsert_context(
            ws, {**context, "variantIds": v["id"]}, v["overrides"], description, reason, call.user
        )
        v["context_id"], v["override_id"] = ctx["id"], ctx["override_id"]
    vid = ws.bump_version(description or reason, call.user)
    ts = now()
    e = {
        "id": exp_id,
        "created_at": ts,
        "created_by": call.user,
        "last_modified": ts,
        "last_modified_by": call.user,
        "name": name,
        "override_keys": keys,
        "status": "CREATED",
        "traffic_percentage": 0,
        "started_at": None,
        "started_by": None,
        "context": context,
        "variants": variants,
        "chosen_variant": None,
        "description": description,
        "change_reason": reason,
        "metrics": metrics,
        "experiment_group_id": None,
    }
    ws.experiments[exp_id] = e
    out = exp_json(call, e)
    ws.record("experiments", "INSERT", call.user, None, out)
    return json_response(out, 200, version_header(vid))


def _update(call: Call, ws: Workspace, e: dict[str, Any], reason: str, **changes: Any) -> dict[str, Any]:
    old = exp_json(call, e)
    e.update(changes)
    e["change_reason"] = reason
    e["last_modified"], e["last_modified_by"] = now(), call.user
    out = exp_json(call, e)
    ws.record("experiments", "UPDATE", call.user, old, out)
    return out


def ramp(call: Call, exp_id: str) -> Response:
    body = call.body()
    reason = body.change_reason(required=False)
    # `TrafficPercentage` is `#[serde(try_from = "i32")]`: serde refuses any float, even 25.0.
    traffic = body.req("traffic_percentage", "int")
    if not 0 <= traffic <= 100:
        detail = (
            "Traffic percent cannot be lower than 0 and greater than 100"
            if not call.build.experiment_groups
            else "Traffic percentage must be a number between 0 and 100 (both inclusive)"
        )
        raise deserialize_error(f"{detail} at line 1 column {body.col}")
    ws = call.workspace
    e = _experiment(call, exp_id)
    if e["status"] not in ("CREATED", "INPROGRESS"):
        raise bad_argument("Experiment is not active, cannot ramp a concluded experiment")
    if not ws.allow_experiment_self_approval and e["status"] == "CREATED" and e["created_by"] == call.user:
        raise bad_argument(
            "Experiment creator is not allowed to start experiment, if this is not intended, please change "
            "the workspace settings to allow self-approval"
        )
    if e["status"] == "CREATED":
        control = next(v for v in e["variants"] if v["variant_type"] == "CONTROL")
        _check_control(call, ws, e["context"], control)
    n = len(e["variants"])
    cap = 100 if n < 2 else 100 // n
    if traffic > cap:
        raise bad_argument(
            f"The traffic_percentage cannot exceed {cap}. Provide a traffic percentage less than {cap}"
        )
    if traffic != 0 and traffic == e["traffic_percentage"]:
        if not call.build.experiment_groups:  # v0.74.0 `compare_old` refuses it
            raise bad_argument("The traffic percentage is same as provided")
        return json_response(exp_json(call, e))
    changes: dict[str, Any] = {"traffic_percentage": traffic, "status": "INPROGRESS"}
    if e["status"] == "CREATED":
        changes.update(started_at=now(), started_by=call.user)
    gid = e["experiment_group_id"]
    if not call.build.experiment_groups:
        pass  # v0.74.0: no experiment groups; devices pick a variant with their own `toss`
    elif e["status"] == "CREATED" and gid is None:
        changes["experiment_group_id"] = buckets.create_group(call, ws, e, traffic)
    elif gid is not None:
        buckets.update_group(call, ws, e, gid, traffic)
    return json_response(_update(call, ws, e, reason, **changes))


def _simple_transition(call: Call, exp_id: str, allowed: tuple[str, ...], target: str, verb: str) -> Response:
    body = call.body()
    reason = body.change_reason(required=False)
    ws = call.workspace
    e = _experiment(call, exp_id)
    if e["status"] not in allowed:
        raise bad_argument(f"experiment with id {exp_id} cannot be {verb}")
    return json_response(_update(call, ws, e, reason, status=target))


def pause(call: Call, exp_id: str) -> Response:
    return _simple_transition(call, exp_id, ("INPROGRESS",), "PAUSED", "paused")


def resume(call: Call, exp_id: str) -> Response:
    return _simple_transition(call, exp_id, ("PAUSED",), "INPROGRESS", "resumed")


def discard(call: Call, exp_id: str) -> Response:
    body = call.body()
    reason = body.change_reason(required=False)
    ws = call.workspace
    e = _experiment(call, exp_id)
    if e["status"] not in ("CREATED", "INPROGRESS", "PAUSED"):
        raise bad_argument(f"experiment with id {exp_id} cannot be discarded")
    for v in e["variants"]:
        if v["context_id"] in ws.contexts:
            delete_context(ws, v["context_id"], call.user)
    vid = ws.bump_version(reason, call.user)
    buckets.detach(call, ws, e)
    out = _update(call, ws, e, reason, status="DISCARDED", experiment_group_id=None)
    return json_response(out, 200, version_header(vid))


def conclude(call: Call, exp_id: str) -> Response:
    body = call.body()
    chosen = body.req("chosen_variant", "str")
    reason = body.change_reason(required=False)
    description = body.description(required=False)
    ws = call.workspace
    e = _experiment(call, exp_id)
    if e["status"] != "INPROGRESS":
        raise bad_argument(f"experiment with id {exp_id} is {e['status']}, and cannot be concluded")
    winner = next((v for v in e["variants"] if v["id"] == chosen), None)
    if winner is None:
        raise bad_argument(
            "winner variant not found. A wrong variant id may have been sent, check and try again"
        )
    if e["context"]:
        upsert_context(
            ws, e["context"], winner["overrides"], description or e["description"], reason, call.user
        )
    else:
        for key, value in winner["overrides"].items():
            dc = ws.default_configs.get(key)
            if dc is not None:
                old = dict(dc)
                dc["value"] = copy.deepcopy(value)
                dc["last_modified_at"], dc["last_modified_by"] = now(), call.user
                ws.record(
                    "default_configs",
                    "UPDATE",
                    call.user,
                    {"key": key, "value": old["value"]},
                    {"key": key, "value": value},
                )
    for v in e["variants"]:
        if v["context_id"] in ws.contexts:
            delete_context(ws, v["context_id"], call.user)
    vid = ws.bump_version(reason, call.user)
    buckets.detach(call, ws, e)
    out = _update(call, ws, e, reason, status="CONCLUDED", chosen_variant=chosen, experiment_group_id=None)
    return json_response(out, 200, version_header(vid))


def update_overrides(call: Call, exp_id: str) -> Response:
    # `OverrideKeysUpdateRequest` (superposition_types/src/api/experiments.rs, v0.74.0 to v0.117.1):
    # the field is `variants`, with the alias `variant_list`; each variant's overrides are an
    # `Exp<Overrides>`, so an empty one is refused while reading the body; then an empty list is
    # refused before the experiment is read (experiments/handlers.rs `update_overrides`).
    body = call.body()
    field = "variant_list" if body.has("variant_list") and not body.has("variants") else "variants"
    raw = body.req(field, "array")
    updates = []
    for item in raw:
        v = Body(item, body.col, "struct VariantUpdateRequest")
        updates.append({"id": v.req("id", "str"), "overrides": _overrides(v, body)})
    description = body.description(required=False)
    reason = body.change_reason(required=False)
    if not updates:
        raise bad_argument("Variant not found in request. Provide at least one entry in variant's list")
    ws = call.workspace
    e = _experiment(call, exp_id)
    if e["status"] != "CREATED":
        raise bad_argument("Only experiments in CREATED state can be updated")
    if len(updates) != len(e["variants"]):
        raise bad_argument(
            "Number of variants passed in the request does not match with existing experiment variants"
        )
    existing = {v["id"]: v for v in e["variants"]}
    if {u["id"] for u in updates} != set(existing):
        raise bad_argument(
            "Some variant ids do not match with exisiting experiment variants. "
            "Provide all existing variants of the experiment"
        )
    keys = _check_keys(updates, capitalised=True)
    control = next(v for v in e["variants"] if v["variant_type"] == "CONTROL")
    new_control = next(u for u in updates if u["id"] == control["id"])
    _check_control(call, ws, e["context"], {"overrides": new_control["overrides"]})
    for u in updates:
        v = existing[u["id"]]
        if v["context_id"] not in ws.contexts:
            raise no_records()
        # `ContextAction::Replace` with the variant's context id (experiments/handlers.rs, v0.117.1)
        ctx = replace_context_override(
            ws, v["context_id"], u["overrides"], description or e["description"], reason, call.user
        )
        v["overrides"], v["override_id"] = copy.deepcopy(u["overrides"]), ctx["override_id"]
    vid = ws.bump_version(reason, call.user)
    changes: dict[str, Any] = {"override_keys": keys}
    if description is not None:
        changes["description"] = description
    return json_response(_update(call, ws, e, reason, **changes), 200, version_header(vid))


def get(call: Call, exp_id: str) -> Response:
    return json_response(exp_json(call, _experiment(call, exp_id)))
