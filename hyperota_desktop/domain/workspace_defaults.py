"""The default configs every application workspace starts with (releases-and-storage.md).

Each key has a JSON Schema that Superposition enforces on every value, so a release cannot put a
malformed File into a device's config.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

FILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "file_path": {"type": "string", "minLength": 1},
        "url": {"type": "string", "minLength": 1},
        "checksum": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "size": {"type": "integer", "minimum": 0},
    },
    "required": ["file_path", "url", "checksum", "size"],
}
FILE_LIST_SCHEMA: dict[str, Any] = {"type": "array", "items": FILE_SCHEMA}
TIMEOUT_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 0}


@dataclass(frozen=True)
class DefaultConfig:
    key: str
    value: Any
    schema: dict[str, Any]
    description: str


def default_configs(app_name: str) -> list[DefaultConfig]:
    """The keys of a new application's workspace, in creation order, with fresh (unshared) values."""
    table: list[tuple[str, Any, dict[str, Any], str]] = [
        ("config.version", "0.0.0", {"type": "string"}, "Release-config version (a new UUID per release)."),
        ("config.boot_timeout", 1000, TIMEOUT_SCHEMA, "Milliseconds the app waits for important files."),
        (
            "config.release_config_timeout",
            1000,
            TIMEOUT_SCHEMA,
            "Milliseconds the app waits for this config.",
        ),
        ("config.properties", {}, {"type": "object"}, "Remote-config properties handed to the app."),
        ("package.name", app_name, {"type": "string"}, "Package name."),
        ("package.version", 0, {"type": "integer", "minimum": 0}, "Package manifest version (0 = none)."),
        ("package.index", None, {"anyOf": [FILE_SCHEMA, {"type": "null"}]}, "Entry bundle of the package."),
        ("package.properties", {}, {"type": "object"}, "Package properties."),
        ("package.important", [], FILE_LIST_SCHEMA, "Files downloaded before boot."),
        ("package.lazy", [], FILE_LIST_SCHEMA, "Files downloaded after boot."),
        ("resources", [], FILE_LIST_SCHEMA, "Extra files outside the package."),
    ]
    return [DefaultConfig(k, copy.deepcopy(v), copy.deepcopy(s), d) for k, v, s, d in table]
