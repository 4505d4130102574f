"""Organisations (`/superposition/organisations`) and workspaces (`/workspaces`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..http import json_response
from .errors import ApiError, bad_argument, no_records
from .state import Organisation, Workspace, now, paged, snowflake

if TYPE_CHECKING:
    from .app import Call

ORG_STATUSES = ("ACTIVE", "INACTIVE", "PENDING_KYB")
WORKSPACE_STATUSES = ("ENABLED", "DISABLED")
# Superposition checks `^[a-zA-Z0-9]+$` with Rust's regex crate, whose `$` is end of text (no
# trailing-newline exception): `fullmatch` is the faithful Python equivalent.
WORKSPACE_NAME = re.compile(r"[a-zA-Z0-9]+")
CONFLICT = "The data you are trying to create already exists"


def new_organisation(emu: Any, name: str, admin_email: str, user: str, **extra: Any) -> Organisation:
    if not name:
        raise ApiError(400, "Json deserialize error: empty string not allowed", plain=True)
    org_id = f"orgid{snowflake() % 10**18:018d}"
    while org_id in emu.orgs:
        org_id = f"orgid{snowflake() % 10**18:018d}"
    org = Organisation(
        id=org_id, name=name, admin_email=admin_email, created_by=user, updated_by=user, **extra
    )
    emu.orgs[org_id] = org
    return org


def _org(call: Call, org_id: str) -> Organisation:
    org = call.emu.orgs.get(org_id)
    if org is None:
        raise no_records()
    return org


def org_create(call: Call) -> Response:
    body = call.body()
    name = body.req("name", "str")
    admin_email = body.req("admin_email", "str")
    extra = {k: body.opt(k, "str") for k in ("country_code", "contact_email", "contact_phone", "sector")}
    org = new_organisation(call.emu, name, admin_email, call.user, **extra)
    return json_response(org.to_json())


def org_list(call: Call) -> Response:
    orgs = sorted(call.emu.orgs.values(), key=lambda o: o.created_at, reverse=True)
    return json_response(paged([o.to_json() for o in orgs], call.args))


def org_get(call: Call, org_id: str) -> Response:
    return json_response(_org(call, org_id).to_json())


def org_update(call: Call, org_id: str) -> Response:
    body = call.body()
    fields = {
        k: body.opt(k, "str")
        for k in ("country_code", "contact_email", "contact_phone", "admin_email", "sector")
    }
    status = body.enum("status", ORG_STATUSES)
    org = _org(call, org_id)
    for key, value in fields.items():
        if value is not None:
            setattr(org, key, value)
    if status is not None:
        org.status = status
    org.updated_at, org.updated_by = now(), call.user
    return json_response(org.to_json())


# --- workspaces ----------------------------------------------------------------------------------


def _render(call: Call, ws: Workspace) -> dict[str, Any]:
    if call.build.workspace_body == "0.74":
        return ws.to_json_074()
    return ws.to_json() if call.current else ws.to_json_2025()


def _workspace(call: Call, name: str) -> Workspace:
    ws = call.emu.workspaces.get((call.organisation.id, name))
    if ws is None:
        raise no_records()
    return ws


def _validate_name(name: str) -> None:
    if len(name.encode()) > 25:
        raise bad_argument("the workspace name cannot be larger than 25 characters")
    if not WORKSPACE_NAME.fullmatch(name):
        raise bad_argument("the workspace name can only contain letters and numbers")


def ws_create(call: Call) -> Response:
    # `CreateWorkspaceRequest` (superposition_types/src/api/workspace.rs) of each build; serde ignores
    # fields a build does not know (no build denies unknown fields), and reports the first missing
    # field in declaration order.
    body = call.body()
    admin_email = body.req("workspace_admin_email", "str")
    name = body.req("workspace_name", "str")
    body.enum("workspace_status", WORKSPACE_STATUSES)
    ctx_validation = reason_validation = False
    if call.build.workspace_body == "0.117":
        metrics = body.opt("metrics", "object")
        self_approval = body.opt("allow_experiment_self_approval", "bool", False)
        auto_control = body.opt("auto_populate_control", "bool", True)
        ctx_validation = body.opt("enable_context_validation", "bool", False)
        reason_validation = body.opt("enable_change_reason_validation", "bool", False)
        strict = False
    elif call.build.workspace_body == "0.87":
        # v0.87.0: `strict_mode` (alias `workspace_strict_mode`) and both flags are required.
        strict = body.req(
            "workspace_strict_mode" if body.has("workspace_strict_mode") else "strict_mode", "bool"
        )
        metrics = body.opt("metrics", "object")
        self_approval = body.req("allow_experiment_self_approval", "bool")
        auto_control = body.req("auto_populate_control", "bool")
    else:
        # v0.74.0: `workspace_strict_mode` is required (no alias); the workspace has no experiment
        # settings. Its rules, in the emulator's terms: the creator may start an experiment unless
        # APP_ENV is PROD (experiments/handlers.rs `user_allowed_to_ramp`), and no control check.
        strict = body.req("workspace_strict_mode", "bool")
        metrics = body.opt("metrics", "object")
        self_approval = call.emu.app_env != "PROD"
        auto_control = False
    org = call.org
    if org is None:
        raise no_records()
    _validate_name(name)
    if (org.id, name) in call.emu.workspaces:
        raise ApiError(409, CONFLICT)
    ws = Workspace(
        org=org,
        name=name,
        admin_email=admin_email,
        created_by=call.user,
        last_modified_by=call.user,
        strict_mode=strict,
        allow_experiment_self_approval=self_approval,
        auto_populate_control=auto_control,
        enable_context_validation=ctx_validation,
        enable_change_reason_validation=reason_validation,
        broken=call.emu.broken_template,
    )
    if metrics is not None:
        ws.metrics = metrics
    ts = now()
    ws.dimensions["variantIds"] = {
        "dimension": "variantIds",
        "position": 0,
        "schema": {"type": "string", "pattern": ".*"},
        "description": "variantIds are used by experimentation module to manage and select "
        "variations in configurations.",
        "change_reason": "Initial dimension",
        "created_at": ts,
        "created_by": call.user,
        "last_modified_at": ts,
        "last_modified_by": call.user,
    }
    if call.build.base_config_version:
        ws.add_base_version()
    call.emu.workspaces[(org.id, name)] = ws
    return json_response(_render(call, ws))


def ws_list(call: Call) -> Response:
    wanted = call.args.get("workspace_name")
    items = [
        ws
        for (org_id, _), ws in call.emu.workspaces.items()
        if org_id == call.organisation.id and (not wanted or wanted in ws.name)
    ]
    items.sort(key=lambda w: w.created_at, reverse=True)
    return json_response(paged([_render(call, w) for w in items], call.args))


def ws_get(call: Call, name: str) -> Response:
    return json_response(_render(call, _workspace(call, name)))


def ws_update(call: Call, name: str) -> Response:
    # `UpdateWorkspaceRequest`: the admin email is required before v0.117; v0.74 knows only the email,
    # status, mandatory dimensions and metrics (no pinning, no experiment settings).
    body = call.body()
    admin_email = (
        body.req("workspace_admin_email", "str")
        if not call.current
        else body.opt("workspace_admin_email", "str")
    )
    status = body.enum("workspace_status", WORKSPACE_STATUSES)
    mandatory = body.opt("mandatory_dimensions", "array")
    config_version = body.opt("config_version") if call.build.workspace_pinning else None
    flag_names = {
        "0.74": (),
        "0.87": ("allow_experiment_self_approval", "auto_populate_control"),
        "0.117": (
            "allow_experiment_self_approval",
            "auto_populate_control",
            "enable_context_validation",
            "enable_change_reason_validation",
        ),
    }[call.build.workspace_body]
    flags = {k: body.opt(k, "bool") for k in flag_names}
    metrics = body.opt("metrics", "object")
    ws = _workspace(call, name)
    if mandatory is not None:
        missing = [d for d in mandatory if d not in ws.dimensions]
        if missing:
            raise bad_argument(
                "The following mandatory dimensions do not exist in the workspace: "
                + "["
                + ", ".join(f'"{d}"' for d in missing)
                + "]"
            )
        ws.mandatory_dimensions = list(mandatory)
    if config_version is not None:
        if config_version == "null":
            ws.config_version = None
        elif not any(v["id"] == str(config_version) for v in ws.versions):
            raise no_records()
        else:
            ws.config_version = str(config_version)
    if admin_email is not None:
        ws.admin_email = admin_email
    if status is not None:
        ws.status = status
    for key, value in flags.items():
        if value is not None:
            setattr(ws, key, value)
    if metrics is not None:
        ws.metrics = metrics
    ws.last_modified_at, ws.last_modified_by = now(), call.user
    return json_response(_render(call, ws))


def ws_migrate(call: Call, name: str) -> Response:
    """`POST /workspaces/{name}/db/migrate` (v0.87.0+, superposition/src/workspace/handlers.rs
    `migrate_workspace_schema`): runs workspace_template.sql again on the workspace's schema, which
    adds what is missing (`ADD COLUMN IF NOT EXISTS experiment_type`, …) and changes nothing else. The
    workspace row is not updated; the answer is the workspace as it was read."""
    ws = _workspace(call, name)
    ws.broken = False
    if call.build.base_config_version:
        ws.add_base_version()  # v0.117.1's template: version 1 WHERE NOT EXISTS any version
    return json_response(_render(call, ws))
