"""The release part of a release archive (manifest kind `release`): what a release adds to its package.

A release archive carries a package (its files and manifest, as a package archive does) plus, in the
manifest's `release` object, what makes the release: its target, the file split, the extra resources,
the timeouts, the remote properties, the notes and its `config.version`; and in `release_config` the
exact document devices in the release received where it was exported (the release's values merged
over what its target had). Importing it creates the same release, not started, in another environment;
its `config_version` is kept, so an import finds a release it made before and creates nothing new.

`release_part_problems` checks that the release part is well formed and says exactly what the release
config says (split, resources, timeouts, version, properties): an archive whose two halves disagree is
refused, whoever sealed it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hyperota_desktop.domain.dimensions import check_name
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.packages import PackageFile
from hyperota_desktop.domain.release_drafts import MAX_NOTES, MAX_TIMEOUT_MS, ReleaseDraft, deep_merge
from hyperota_desktop.domain.targeting import VARIANT_DIMENSION, Target

_FIELDS = {"id", "status", "config_version", "target", "lazy", "resources", "boot_timeout",
           "release_config_timeout", "properties", "notes"}  # fmt: skip
_STATUSES = {"CREATED", "INPROGRESS", "PAUSED", "CONCLUDED", "DISCARDED"}


@dataclass(frozen=True)
class ReleasePart:
    """The release of a release archive. `id` and `status` say where it came from (information);
    the rest is what an import creates."""

    id: str
    status: str
    config_version: str
    target: dict[str, Any] = field(default_factory=dict)
    lazy: tuple[str, ...] = ()
    resources: tuple[PackageFile, ...] = ()
    boot_timeout: int = 1000
    release_config_timeout: int = 1000
    properties: dict[str, Any] = field(default_factory=dict)
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "status": self.status, "config_version": self.config_version,
            "target": dict(self.target), "lazy": list(self.lazy),
            "resources": [r.to_dict() for r in self.resources], "boot_timeout": self.boot_timeout,
            "release_config_timeout": self.release_config_timeout, "properties": dict(self.properties),
            "notes": self.notes,
        }  # fmt: skip

    def draft(self, package: str) -> ReleaseDraft:
        """The draft an import reviews and creates, for `package` (the imported version)."""
        return ReleaseDraft(
            target=dict(self.target), package=package, lazy=self.lazy, resources=self.resources,
            boot_timeout=self.boot_timeout, release_config_timeout=self.release_config_timeout,
            properties=dict(self.properties), notes=self.notes,
        )  # fmt: skip

    def describe(self) -> str:
        lazy = f", {len(self.lazy)} file(s) after boot" if self.lazy else ""
        res = f", {len(self.resources)} resource(s)" if self.resources else ""
        return f"release {self.id} to {Target.of(self.target).short()}{lazy}{res}"

    @classmethod
    def parse(cls, data: Any) -> ReleasePart:
        """The release part of a manifest, checked for shape (ValidationError saying what is wrong)."""
        if not isinstance(data, dict):
            raise ValidationError("The archive's release must be an object.")
        if set(data) != _FIELDS:
            odd = ", ".join(sorted(set(data) ^ _FIELDS))
            raise ValidationError(f"The archive's release has missing or unknown fields: {odd}.")
        for key in ("id", "config_version", "notes"):
            if not isinstance(data[key], str):
                raise ValidationError(f"The archive's release '{key}' must be a string.")
        if not data["id"] or not data["config_version"]:
            raise ValidationError("The archive's release needs an id and a config version.")
        if data["status"] not in _STATUSES:
            raise ValidationError(f"The archive's release has an unknown status {data['status']!r}.")
        if len(data["notes"]) > MAX_NOTES:
            raise ValidationError(f"The archive's release notes are longer than {MAX_NOTES} characters.")
        for key in ("boot_timeout", "release_config_timeout"):
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIMEOUT_MS:
                raise ValidationError(f"The archive's release '{key}' must be 0 to {MAX_TIMEOUT_MS} ms.")
        if not isinstance(data["properties"], dict):
            raise ValidationError("The archive's release properties must be an object.")
        lazy = data["lazy"]
        if not isinstance(lazy, list) or not all(isinstance(p, str) for p in lazy):
            raise ValidationError("The archive's release 'lazy' must be a list of file paths.")
        if not isinstance(data["resources"], list):
            raise ValidationError("The archive's release 'resources' must be a list of files.")
        try:
            resources = tuple(PackageFile.from_dict(r) for r in data["resources"])
        except (KeyError, TypeError, ValueError, ValidationError):
            raise ValidationError("A resource of the archive's release is not a valid file.") from None
        if [r.to_dict() for r in resources] != data["resources"]:
            raise ValidationError("A resource of the archive's release has unknown or odd fields.")
        return cls(
            id=data["id"], status=data["status"], config_version=data["config_version"],
            target=_target(data["target"]), lazy=tuple(lazy), resources=resources,
            boot_timeout=data["boot_timeout"], release_config_timeout=data["release_config_timeout"],
            properties=data["properties"], notes=data["notes"],
        )  # fmt: skip


def _target(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValidationError("The archive's release target must be an object of dimension values.")
    for name, value in raw.items():
        if name == VARIANT_DIMENSION:
            raise ValidationError("The archive's release targets Superposition's variantIds.")
        try:
            check_name(name)
        except ValidationError:
            raise ValidationError(f"The archive's release targets an invalid dimension {name!r}.") from None
        if value is None or isinstance(value, dict | list):
            raise ValidationError(f"The archive's release target {name} must be a string, number or bool.")
    return dict(raw)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def release_part_problems(part: ReleasePart, release_config: Mapping[str, Any]) -> list[str]:
    """How the release part disagrees with the device release config beside it ([] = they agree).
    The config must already be valid (schema and rules)."""
    found: list[str] = []
    config, package = release_config["config"], release_config["package"]
    lazy = [f["file_path"] for f in package["lazy"]]
    if sorted(lazy) != sorted(part.lazy) or len(set(part.lazy)) != len(part.lazy):
        found.append(f"its files after boot are {sorted(part.lazy)}, the release config's {sorted(lazy)}")
    if not _same([r.to_dict() for r in part.resources], release_config["resources"]):
        found.append("its resources are not the release config's")
    for key in ("boot_timeout", "release_config_timeout"):
        if getattr(part, key) != config[key]:
            found.append(f"its {key} is {getattr(part, key)}, the release config's {config[key]}")
    if part.config_version != config["version"]:
        found.append(f"its config version is {part.config_version}, the release config's {config['version']}")
    # Devices got the release's properties merged over their target's: merging them again changes nothing.
    if not _same(deep_merge(config["properties"], part.properties), config["properties"]):
        found.append("its remote properties are not in the release config's")
    return found
