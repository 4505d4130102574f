"""What a Superposition server speaks, from the version in its `X-SERVER-VERSION` header.

Each rule names the server version it comes from (github.com/juspay/superposition, read at the tags
v0.74.0, v0.87.0, v0.117.1 and the ones between where a rule changed). The header is the deployment's
`SUPERPOSITION_VERSION` setting; when it is missing or unreadable the client sends what every build
accepts (serde ignores fields a build does not know; no build denies unknown fields).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.targeting import wire_condition

_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")

JSON_LOGIC_UNTIL = (0, 87)  # v0.88 replaced JSON Logic conditions with flat maps
MIGRATE_FROM = (0, 87)  # POST /workspaces/{name}/db/migrate (workspace/handlers.rs, v0.87.0)
SELF_APPROVAL_FROM = (0, 77)  # `allow_experiment_self_approval`, required until v0.96
AUTO_CONTROL_FROM = (0, 86)  # `auto_populate_control`, required until v0.88
NO_STRICT_MODE_FROM = (0, 98)  # `workspace_strict_mode` required until v0.97, gone from v0.98
IDENTIFIER_FROM = (0, 82)  # identifier bucketing (experiment groups) replaced the client's `toss`
RESOLVE_FROM = (0, 96)  # `/resolve?identifier=` (resolve/handlers.rs)


def _query_value(value: Any) -> str:
    if not isinstance(value, str):
        return json.dumps(value)
    try:
        json.loads(value)
    except ValueError:
        return value  # read back as this very string
    return json.dumps(value)  # "123", "true": quoted, or the server would read a number or a bool


def parse_version(text: str) -> tuple[int, int] | None:
    match = _VERSION_RE.search(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


@dataclass(frozen=True)
class Dialect:
    """What a server version speaks; `version` None = not known (yet)."""

    version: tuple[int, int] | None = None

    @property
    def known(self) -> bool:
        return self.version is not None

    @property
    def label(self) -> str:
        return f"v{self.version[0]}.{self.version[1]}" if self.version else "an unknown version"

    @property
    def legacy(self) -> bool:
        """JSON Logic conditions and plain query dimensions (v0.87 and older)."""
        return self.version is not None and self.version <= JSON_LOGIC_UNTIL

    @property
    def can_migrate(self) -> bool:
        """Whether `POST /workspaces/{name}/db/migrate` exists (unknown version: try it)."""
        return self.version is None or self.version >= MIGRATE_FROM

    # Unknown version: assume a current server (these choose what to ask, not what to send).
    @property
    def assigns_by_toss(self) -> bool:
        """Variants come from the device's `toss` (v0.74 `decide_variant`), not its identifier."""
        return self.version is not None and self.version < IDENTIFIER_FROM

    @property
    def has_resolve(self) -> bool:
        return self.version is None or self.version >= RESOLVE_FROM

    @property
    def update_method(self) -> str:
        return "PUT"  # every build takes PUT on updates; PATCH arrives in v0.92

    def condition(self, dimensions: dict[str, Any]) -> dict[str, Any]:
        """A targeting condition for `{dimension: value}` in this server's dialect."""
        return wire_condition(dimensions, json_logic=self.legacy)

    def query_dimensions(self, dimensions: dict[str, Any]) -> list[tuple[str, str]]:
        """Dimensions as query parameters. Every build reads a query value as JSON when it parses, else
        as a string (superposition_types/src/custom_query.rs `QueryMap`, v0.74.0 to v0.117.1), so a
        value is sent as its JSON text, and a string that would parse as something else is quoted."""
        fmt = "{}" if self.legacy else "dimension[{}]"
        return [(fmt.format(k), _query_value(v)) for k, v in dimensions.items()]

    def workspace_create_body(self, name: str, admin_email: str) -> dict[str, Any]:
        """`CreateWorkspaceRequest` of this version, for a workspace released by one person: the creator
        may start their own experiments and the control variant is not checked against today's config.

        v0.74.0: `{workspace_admin_email, workspace_name, workspace_status, workspace_strict_mode}` and
        nothing else; v0.77 adds `allow_experiment_self_approval`, v0.86 `auto_populate_control` (both
        required then); v0.98 drops the strict mode."""
        body: dict[str, Any] = {
            "workspace_admin_email": admin_email,
            "workspace_name": name,
            "workspace_status": "ENABLED",
        }
        version = self.version
        if version is None or version < NO_STRICT_MODE_FROM:
            body["workspace_strict_mode"] = False
        if version is None or version >= SELF_APPROVAL_FROM:
            body["allow_experiment_self_approval"] = True
        if version is None or version >= AUTO_CONTROL_FROM:
            body["auto_populate_control"] = False
        return body
