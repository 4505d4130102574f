"""The device release config (format "2"): built from a workspace's dotted keys, checked before it ships.

Superposition holds a release as dotted keys (`config.boot_timeout`, `package.important`, ...; see
releases-and-storage.md); nesting the values a device resolves to gives the document of
`release-config.schema.json`. Every config the app creates, previews or exports passes `check()`: the
schema (embedded below, kept equal to the published file by a test) and the rules a schema cannot say
(the index is in neither list, important ∩ lazy = ∅, resources are not package files).
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.packages import Manifest, PackageFile

FORMAT = "2"
DEFAULT_TIMEOUT_MS = 1000
KEYS = (
    "config.version",
    "config.boot_timeout",
    "config.release_config_timeout",
    "config.properties",
    "package.name",
    "package.version",
    "package.index",
    "package.properties",
    "package.important",
    "package.lazy",
    "resources",
)

_FILE: dict[str, Any] = {
    "type": "object",
    "required": ["file_path", "url", "checksum", "size"],
    "additionalProperties": False,
    "properties": {
        "file_path": {"type": "string", "minLength": 1, "not": {"pattern": "(^/|\\\\|(^|/)\\.\\.(/|$))"}},
        "url": {"type": "string", "pattern": "^https?://"},
        "checksum": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "size": {"type": "integer", "minimum": 0},
    },
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "release-config.schema.json",
    "title": "HyperOTA device release config, format 2",
    "type": "object",
    "required": ["version", "config", "package", "resources"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": "2"},
        "config": {
            "type": "object",
            "required": ["version", "boot_timeout", "release_config_timeout", "properties"],
            "additionalProperties": False,
            "properties": {
                "version": {"type": "string", "minLength": 1},
                "boot_timeout": {"type": "integer", "minimum": 0},
                "release_config_timeout": {"type": "integer", "minimum": 0},
                "properties": {"type": "object"},
            },
        },
        "package": {
            "type": "object",
            "required": ["name", "version", "index", "properties", "important", "lazy"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "version": {"type": "string", "pattern": "^[0-9]+$"},
                "index": {"$ref": "#/$defs/file"},
                "properties": {"type": "object"},
                "important": {"type": "array", "items": {"$ref": "#/$defs/file"}},
                "lazy": {"type": "array", "items": {"$ref": "#/$defs/file"}},
            },
        },
        "resources": {"type": "array", "items": {"$ref": "#/$defs/file"}},
    },
    "$defs": {"file": _FILE},
}


def release_values(
    manifest: Manifest,
    *,
    config_version: str,
    lazy: Collection[str] = (),
    resources: Sequence[PackageFile] = (),
    boot_timeout: int = DEFAULT_TIMEOUT_MS,
    release_config_timeout: int = DEFAULT_TIMEOUT_MS,
    properties: Mapping[str, Any] | None = None,
    package_properties: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The dotted keys a release of `manifest` sets: the index stays fixed, `lazy` files are fetched after
    boot, every other file before it. Raises ValidationError for a lazy path that is not a package file."""
    index = manifest.file(manifest.index)
    if index is None:
        raise ValidationError(f"Package {manifest.version} lists no file for its index '{manifest.index}'.")
    paths = {f.file_path for f in manifest.files}
    unknown = sorted(set(lazy) - paths)
    if unknown:
        raise ValidationError(f"Not files of package {manifest.version}: {', '.join(unknown[:5])}.")
    if manifest.index in lazy:
        raise ValidationError(f"The index '{manifest.index}' is always downloaded first; it cannot be lazy.")
    rest = [f for f in manifest.files if f.file_path != manifest.index]
    return {
        "config.version": config_version,
        "config.boot_timeout": boot_timeout,
        "config.release_config_timeout": release_config_timeout,
        "config.properties": dict(properties or {}),
        "package.name": manifest.app,
        "package.version": manifest.version,
        "package.index": index.to_dict(),
        "package.properties": dict(
            package_properties if package_properties is not None else manifest.properties
        ),
        "package.important": [f.to_dict() for f in rest if f.file_path not in lazy],
        "package.lazy": [f.to_dict() for f in rest if f.file_path in lazy],
        "resources": [f.to_dict() for f in resources],
    }


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """The device document for resolved dotted keys (not yet checked: see `check`)."""
    missing = [k for k in KEYS if k not in values]
    if missing:
        raise ValidationError(f"The release config lacks {', '.join(missing)}.")
    if values["package.index"] is None:
        raise ValidationError(
            "No package has been released here yet: the release config has no index file.",
            hint="Create a release with a package first.",
        )
    v = copy.deepcopy(dict(values))
    version = v["package.version"]
    return {
        "version": FORMAT,
        "config": {
            "version": v["config.version"],
            "boot_timeout": v["config.boot_timeout"],
            "release_config_timeout": v["config.release_config_timeout"],
            "properties": v["config.properties"],
        },
        "package": {
            "name": v["package.name"],
            "version": str(version)
            if isinstance(version, int) and not isinstance(version, bool)
            else version,
            "index": v["package.index"],
            "properties": v["package.properties"],
            "important": v["package.important"],
            "lazy": v["package.lazy"],
        },
        "resources": v["resources"],
    }


def problems(document: Any) -> list[str]:
    """Everything wrong with a device release config, worded for a person; [] when it is valid."""
    from jsonschema import Draft202012Validator  # imported on use: not needed to start the app

    found = [
        f"{_where(e.absolute_path)}: {e.message}"
        for e in sorted(
            Draft202012Validator(SCHEMA).iter_errors(document), key=lambda e: list(e.absolute_path)
        )
    ]
    if found:
        return found  # the rules below assume the shape is right
    package = document["package"]
    important = {f["file_path"] for f in package["important"]}
    lazy = {f["file_path"] for f in package["lazy"]}
    index = package["index"]["file_path"]
    if index in important | lazy:
        found.append(f"package: the index '{index}' is also listed as important or lazy")
    for path in sorted(important & lazy):
        found.append(f"package: '{path}' is both important and lazy")
    package_paths = important | lazy | {index}
    for res in document["resources"]:
        if res["file_path"] in package_paths:
            found.append(f"resources: '{res['file_path']}' is a package file")
    for where, files in (
        ("important", package["important"]),
        ("lazy", package["lazy"]),
        ("resources", document["resources"]),
    ):
        paths = [f["file_path"] for f in files]
        for path in sorted({p for p in paths if paths.count(p) > 1}):
            found.append(f"{where}: '{path}' is listed twice")
    return found


def check(document: Any) -> dict[str, Any]:
    """`document` if it is a valid release config; else ValidationError listing every problem."""
    found = problems(document)
    if found:
        raise ValidationError("The release config is not valid: " + "; ".join(found[:10]) + ".")
    assert isinstance(document, dict)
    return document


def build(values: Mapping[str, Any]) -> dict[str, Any]:
    """Nest and check: the exact document a device with these resolved values receives."""
    return check(nest(values))


def _where(path: Any) -> str:
    parts = [str(p) for p in path]
    return ".".join(parts) if parts else "(document)"
