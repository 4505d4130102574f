"""The three Superposition builds the emulator can be, and what differs between them.

Each flag below is read from the server's source at that tag (github.com/juspay/superposition); the
comment names the file. The builds: v0.74.0 (the Hyper OTA deployments of May 2025), v0.87.0 (the first
build with `POST /workspaces/{name}/db/migrate`) and v0.117.1 (current). A flag says nothing about the
versions between these three.
"""

from __future__ import annotations

from dataclasses import dataclass

from .conditions import CURRENT, LEGACY


@dataclass(frozen=True)
class Build:
    key: str  # "0.74", "0.87", "0.117"
    version: str  # what X-SERVER-VERSION says
    dialect: str  # conditions.LEGACY (JSON Logic, plain query dimensions) or conditions.CURRENT
    # Workspace header: v0.74/v0.87 read only `x-tenant` (service_utils/src/extensions.rs).
    workspace_headers: tuple[str, ...]
    # PUT and PATCH on updates (v0.117 `#[routes] #[put] #[patch]`), else PUT only.
    patch_updates: bool
    # Workspace create body (superposition_types/src/api/workspace.rs `CreateWorkspaceRequest`):
    # "0.74": `workspace_strict_mode` required, no experiment flags; "0.87": `strict_mode` (alias
    # `workspace_strict_mode`), `allow_experiment_self_approval` and `auto_populate_control` required;
    # "0.117": no strict mode, every flag defaulted.
    workspace_body: str
    # `config_version` on the workspace (pinning) exists from v0.87 (`UpdateWorkspaceRequest`).
    workspace_pinning: bool
    # `POST /workspaces/{name}/db/migrate` (superposition/src/workspace/handlers.rs), from v0.87.
    db_migrate: bool
    # Experiment groups with server-side bucketing by `identifier`; v0.74 assigns variants by the
    # client's `toss` (experimentation_platform/src/api/experiments/helpers.rs `decide_variant`).
    experiment_groups: bool
    # workspace_template.sql inserts config version 1 into a fresh workspace (from v0.112).
    base_config_version: bool
    # `?version=latest`: "invalid" (v0.74: not an integer → 400), "latest" (v0.87: the newest version,
    # pin ignored), "pinned" (v0.117: the workspace's pinned version when set).
    latest_version: str
    # An integer version that does not exist: 404 on v0.74/v0.87 (`db_error!` of NotFound), 500 on
    # v0.117 (read_through_cache maps it to `unexpected_error!`).
    unknown_version_status: int
    # Last-Modified of /config comes from the event log of contexts and default configs (v0.74/v0.87
    # `get_max_created_at`) or from the newest config version (v0.117 config/helpers.rs).
    last_modified_from: str
    # `/config` carries `dimensions` (v0.117 `Config`); v0.74/v0.87 have contexts/overrides/defaults.
    config_dimensions: bool
    # POST /config without a body: 400 on v0.74 (`body.ok_or(bad_argument!(…))`), default on later builds.
    post_config_needs_body: bool
    # `exclude_prefix` is a filter on v0.117 only; older builds read only `prefix`.
    exclude_prefix: bool
    # If-Modified-Since of a POST is RFC 3339 on v0.117 (service_utils/src/helpers.rs), RFC 2822 before.
    smithy_if_modified_since: bool
    # The experiment list's If-Modified-Since (experiments/handlers.rs): "strict" on v0.74/v0.87
    # (`list_experiments`: 304 when the newest event is strictly older than the RFC 2822 header, no
    # Last-Modified sent), "shared" on v0.117 (`list_handler` and the experiment groups' `list_handler`:
    # service_utils `is_not_modified` and `AppHeader::add_last_modified`, as for the config).
    list_if_modified_since: str
    # `prefix` / `exclude_prefix` trim the experiment list's override keys from v0.102
    # (superposition_types/src/api/experiments.rs `ExperimentListFilters`); absent on v0.74/v0.87.
    experiment_list_prefix: bool
    # The audit log without dates (context_aware_config/src/api/audit_log/handlers.rs): the last 24 hours
    # on v0.74/v0.87, the last 7 days on v0.117.
    audit_default_hours: int

    @property
    def current(self) -> bool:
        return self.dialect == CURRENT


BUILDS: dict[str, Build] = {
    "0.74": Build(
        key="0.74",
        version="v0.74.0",
        dialect=LEGACY,
        workspace_headers=("x-tenant",),
        patch_updates=False,
        workspace_body="0.74",
        workspace_pinning=False,
        db_migrate=False,
        experiment_groups=False,
        base_config_version=False,
        latest_version="invalid",
        unknown_version_status=404,
        last_modified_from="event_log",
        config_dimensions=False,
        post_config_needs_body=True,
        exclude_prefix=False,
        smithy_if_modified_since=False,
        list_if_modified_since="strict",
        experiment_list_prefix=False,
        audit_default_hours=24,
    ),
    "0.87": Build(
        key="0.87",
        version="v0.87.0",
        dialect=LEGACY,
        workspace_headers=("x-tenant",),
        patch_updates=False,
        workspace_body="0.87",
        workspace_pinning=True,
        db_migrate=True,
        experiment_groups=True,
        base_config_version=False,
        latest_version="latest",
        unknown_version_status=404,
        last_modified_from="event_log",
        config_dimensions=False,
        post_config_needs_body=False,
        exclude_prefix=False,
        smithy_if_modified_since=False,
        list_if_modified_since="strict",
        experiment_list_prefix=False,
        audit_default_hours=24,
    ),
    "0.117": Build(
        key="0.117",
        version="v0.117.1",
        dialect=CURRENT,
        workspace_headers=("x-workspace", "x-tenant"),
        patch_updates=True,
        workspace_body="0.117",
        workspace_pinning=True,
        db_migrate=True,
        experiment_groups=True,
        base_config_version=True,
        latest_version="pinned",
        unknown_version_status=500,
        last_modified_from="config_versions",
        config_dimensions=True,
        post_config_needs_body=False,
        exclude_prefix=True,
        smithy_if_modified_since=True,
        list_if_modified_since="shared",
        experiment_list_prefix=True,
        audit_default_hours=7 * 24,
    ),
}

# The dialect names used before builds existed: "current" is v0.117.1, "2025" the seed's v0.74.0.
DIALECT_BUILDS = {CURRENT: "0.117", LEGACY: "0.74"}


def resolve_build(build: str | None = None, dialect: str | None = None) -> Build:
    """The build for `build=` ("0.74", "v0.87.0", …) or the older `dialect=` ("current", "2025")."""
    if build is not None and dialect is not None:
        raise ValueError("give either build= or dialect=, not both")
    if build is None:
        name = dialect or CURRENT
        if name not in DIALECT_BUILDS:
            raise ValueError(f"unknown dialect {name!r}: use 'current' or '2025'")
        return BUILDS[DIALECT_BUILDS[name]]
    key = build.lstrip("v")
    key = key[:-2] if key.count(".") == 2 and key.endswith((".0", ".1")) else key
    if key not in BUILDS:
        raise ValueError(f"unknown build {build!r}: use one of {', '.join(BUILDS)}")
    return BUILDS[key]
