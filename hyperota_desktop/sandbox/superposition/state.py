"""In-memory state of the emulated Superposition: organisations, workspaces and their contents."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .engine import EngineContext, EngineGroup
from .errors import bad_argument, db_error

DEFAULT_USER = "user@superposition.io"
_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657  # Twitter's epoch, as the server's snowflake generator
_seq = itertools.count()
_seq_lock = threading.Lock()


def snowflake() -> int:
    with _seq_lock:
        n = next(_seq)
    ms = int(time.time() * 1000) - _SNOWFLAKE_EPOCH_MS
    return (ms << 22) | (n & 0x3FFFFF)


def now() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    return ts.isoformat().replace("+00:00", "Z")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def content_hash(value: Any) -> str:
    return hashlib.blake2b(canonical(value).encode(), digest_size=32).hexdigest()


@dataclass
class Organisation:
    id: str
    name: str
    admin_email: str
    created_by: str
    status: str = "ACTIVE"
    country_code: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    sector: str | None = None
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    updated_by: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "country_code": self.country_code,
            "contact_email": self.contact_email,
            "contact_phone": self.contact_phone,
            "created_by": self.created_by,
            "admin_email": self.admin_email,
            "status": self.status,
            "sector": self.sector,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "updated_by": self.updated_by or self.created_by,
        }


@dataclass
class Workspace:
    org: Organisation
    name: str
    admin_email: str
    created_by: str
    strict_mode: bool = False
    allow_experiment_self_approval: bool = False
    auto_populate_control: bool = True
    enable_context_validation: bool = False
    enable_change_reason_validation: bool = False
    metrics: dict[str, Any] = field(default_factory=lambda: {"enabled": False})
    status: str = "ENABLED"
    mandatory_dimensions: list[str] | None = None
    config_version: str | None = None
    # The v0.74 template defect: the experiments table lacks `experiment_type` (and every later column,
    # and the experiment_groups table), so every query on them fails; see `experiments` below.
    broken: bool = False
    created_at: datetime = field(default_factory=now)
    last_modified_at: datetime = field(default_factory=now)
    last_modified_by: str = ""
    dimensions: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)
    experiment_rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_rows: dict[str, EngineGroup] = field(default_factory=dict)
    audit: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def schema_name(self) -> str:
        return f"{self.org.id}_{self.name}"

    # The experiments and experiment_groups tables. In a broken workspace every read or write of them
    # fails as the server's does: diesel selects every column of its schema (`experiment_type`
    # included), Postgres refuses the query, and result.rs hides the error behind 500 "Something went
    # wrong" (v0.74.0, v0.87.0, v0.117.1 alike). Config endpoints never touch these tables.
    @property
    def experiments(self) -> dict[str, dict[str, Any]]:
        if self.broken:
            raise db_error()
        return self.experiment_rows

    @property
    def groups(self) -> dict[str, EngineGroup]:
        if self.broken:
            raise db_error()
        return self.group_rows

    def to_json(self) -> dict[str, Any]:
        return {
            "organisation_id": self.org.id,
            "organisation_name": self.org.name,
            "workspace_name": self.name,
            "workspace_schema_name": self.schema_name,
            "workspace_status": self.status,
            "workspace_admin_email": self.admin_email,
            "config_version": self.config_version,
            "created_by": self.created_by,
            "last_modified_by": self.last_modified_by or self.created_by,
            "last_modified_at": iso(self.last_modified_at),
            "created_at": iso(self.created_at),
            "mandatory_dimensions": self.mandatory_dimensions,
            "metrics": self.metrics,
            "allow_experiment_self_approval": self.allow_experiment_self_approval,
            "auto_populate_control": self.auto_populate_control,
            "enable_context_validation": self.enable_context_validation,
            "enable_change_reason_validation": self.enable_change_reason_validation,
            "workspace_lock": None,
        }

    def to_json_074(self) -> dict[str, Any]:
        """The v0.74.0 `Workspace` model: no pinning, no experiment settings."""
        out = self.to_json_2025()
        for key in ("config_version", "allow_experiment_self_approval", "auto_populate_control"):
            out.pop(key)
        return out

    def to_json_2025(self) -> dict[str, Any]:
        out = self.to_json()
        for key in ("enable_context_validation", "enable_change_reason_validation", "workspace_lock"):
            out.pop(key)
        out["strict_mode"] = self.strict_mode
        return out

    # --- bookkeeping ---------------------------------------------------------------------------

    def record(self, table: str, action: str, user: str, old: Any, new: Any) -> None:
        verb = {"INSERT": "INSERT INTO", "UPDATE": "UPDATE", "DELETE": "DELETE FROM"}[action]
        self.audit.append(
            {
                "id": str(snowflake()),
                "table_name": table,
                "user_name": user,
                "timestamp": now(),
                "action": action,
                "original_data": copy.deepcopy(old),
                "new_data": copy.deepcopy(new),
                "query": f'{verb} "{self.schema_name}"."{table}"',
            }
        )

    def weight_of(self, condition: dict[str, Any]) -> int:
        return sum(2 ** int(self.dimensions[d]["position"]) for d in condition if d in self.dimensions)

    def engine_contexts(self) -> list[EngineContext]:
        """The contexts as the config carries them: ordered by (stored weight, created_at), and with
        `priority` = `weight` = the 0-based position in that order (helpers.rs `generate_cac` /
        `get_context_data` enumerate the ordered rows, on v0.74.0, v0.87.0 and v0.117.1)."""
        ordered = sorted(self.contexts.values(), key=lambda c: (c["weight"], c["created_at"], c["seq"]))
        return [
            EngineContext(
                id=c["id"],
                condition=c["condition"],
                override_key=c["override_id"],
                priority=index,
                weight=index,
            )
            for index, c in enumerate(ordered)
        ]

    def overrides_map(self) -> dict[str, dict[str, Any]]:
        return {c["override_id"]: c["override"] for c in self.contexts.values()}

    def default_values(self) -> dict[str, Any]:
        return {k: copy.deepcopy(v["value"]) for k, v in sorted(self.default_configs.items())}

    def dimension_info(self) -> dict[str, dict[str, Any]]:
        return {
            name: {
                "schema": d["schema"],
                "position": d["position"],
                "dimension_type": {"REGULAR": {}},
                "dependency_graph": {},
            }
            for name, d in self.dimensions.items()
        }

    def bump_version(self, description: str, user: str) -> str:
        """A config-changing write: snapshot the config as a new version (id returned)."""
        vid = str(snowflake())
        self.versions.append(
            {
                "id": vid,
                "created_at": now(),
                "description": description,
                "tags": None,
                "config": self.snapshot(),
            }
        )
        self.record("config_versions", "INSERT", user, None, {"id": vid, "description": description})
        return vid

    def add_base_version(self) -> None:
        """workspace_template.sql (v0.112+, so v0.117.1): config version 1 records the variantIds
        dimension, inserted only WHERE NOT EXISTS any version (also when a migration runs it)."""
        if self.versions:
            return
        self.versions.append(
            {
                "id": "1",
                "created_at": now(),
                "description": "base config version recording the addition of variantIds dimension",
                "tags": ["dimension", "variantIds"],
                "config": self.snapshot(),
            }
        )

    def snapshot(self) -> dict[str, Any]:
        return {
            "default_configs": self.default_values(),
            "dimensions": self.dimension_info(),
            "contexts": [
                {
                    "id": c.id,
                    "condition": c.condition,
                    "priority": c.priority,
                    "weight": c.weight,
                    "override_with_keys": [c.override_key],
                }
                for c in self.engine_contexts()
            ],
            "overrides": copy.deepcopy(self.overrides_map()),
        }

    def latest_version(self) -> str | None:
        return self.versions[-1]["id"] if self.versions else None


def paginate(items: list[Any], args: Any) -> tuple[list[Any], int, int]:
    """PaginationParams of the server: page from 1, count default 10, all=true for everything."""
    count_raw, page_raw, all_raw = args.get("count"), args.get("page"), args.get("all")
    try:
        count = int(count_raw) if count_raw is not None else None
        page = int(page_raw) if page_raw is not None else None
    except ValueError:
        raise bad_argument("Query deserialize error: invalid digit found in string") from None
    if all_raw is not None and all_raw not in ("true", "false"):
        raise bad_argument("Query deserialize error: provided string was not `true` or `false`")
    want_all = all_raw == "true"
    if want_all and (count is not None or page is not None):
        raise bad_argument(
            "Query deserialize error: When 'all' is true, "
            "'count' and 'page' parameters should not be provided"
        )
    if count is not None and count <= 0:
        raise bad_argument("Query deserialize error: Count should be greater than 0.")
    if page is not None and page <= 0:
        raise bad_argument("Query deserialize error: Page should be greater than 0.")
    total = len(items)
    if want_all:
        return items, 1, total
    count = count or 10
    page = page or 1
    start = (page - 1) * count
    return items[start : start + count], math.ceil(total / count), total


def paged(items: list[Any], args: Any) -> dict[str, Any]:
    data, pages, total = paginate(items, args)
    return {"total_pages": pages, "total_items": total, "data": data}
