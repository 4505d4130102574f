"""A release being prepared (the wizard's state), its checks per field, and what it changes for devices.

Devices resolve with Superposition's MERGE strategy: a release's values are merged over what less
specific contexts give (objects key by key, anything else replaced). So the document a device receives is
`deep_merge(what the target gets today, the release's values)`; the review shows exactly that.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hyperota_desktop.domain.dimensions import Dimension, value_problem
from hyperota_desktop.domain.packages import Manifest, PackageFile
from hyperota_desktop.domain.release_config import DEFAULT_TIMEOUT_MS, KEYS
from hyperota_desktop.domain.targeting import VARIANT_DIMENSION

MAX_NOTES = 1024  # Superposition's limit on an experiment description
MAX_TIMEOUT_MS = 600_000
SLOW_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class FieldProblem:
    """Something wrong (or worth a second look, `warning`) with one field of the wizard."""

    field: str  # target, target.<dimension>, package, lazy, resources, boot_timeout,
    #             release_config_timeout, properties, notes
    message: str
    warning: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, "warning": self.warning}


@dataclass(frozen=True)
class ReleaseDraft:
    target: Mapping[str, Any] = field(default_factory=dict)  # dimension -> typed value; {} = everyone
    package: str = ""  # a version number ("12") or a tag ("beta")
    lazy: tuple[str, ...] = ()  # package files fetched after boot; the rest (but the index) before
    resources: tuple[PackageFile, ...] = ()
    boot_timeout: int = DEFAULT_TIMEOUT_MS
    release_config_timeout: int = DEFAULT_TIMEOUT_MS
    properties: Mapping[str, Any] | str = field(default_factory=dict)  # an object, or JSON text
    notes: str = ""  # Markdown

    def with_changes(self, **changes: Any) -> ReleaseDraft:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": dict(self.target),
            "package": self.package,
            "lazy": list(self.lazy),
            "resources": [f.to_dict() for f in self.resources],
            "boot_timeout": self.boot_timeout,
            "release_config_timeout": self.release_config_timeout,
            "properties": self.properties if isinstance(self.properties, str) else dict(self.properties),
            "notes": self.notes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReleaseDraft:
        return cls(
            target=dict(data.get("target") or {}),
            package=str(data.get("package") or ""),
            lazy=tuple(data.get("lazy") or ()),
            resources=tuple(PackageFile.from_dict(f) for f in data.get("resources") or ()),
            boot_timeout=data.get("boot_timeout", DEFAULT_TIMEOUT_MS),
            release_config_timeout=data.get("release_config_timeout", DEFAULT_TIMEOUT_MS),
            properties=data.get("properties") or {},
            notes=str(data.get("notes") or ""),
        )


def parse_properties(value: Mapping[str, Any] | str) -> tuple[dict[str, Any] | None, str]:
    """The remote properties as an object, or (None, why not)."""
    if isinstance(value, str):
        text = value.strip() or "{}"
        try:
            value = json.loads(text)
        except ValueError as exc:
            return None, f"Not valid JSON: {exc}."
    if not isinstance(value, Mapping):
        return None, f"Remote properties must be a JSON object, not {type(value).__name__}."
    return dict(value), ""


def _timeout_problems(name: str, value: Any) -> list[FieldProblem]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [FieldProblem(name, f"A timeout is a whole number of milliseconds, not {value!r}.")]
    if not 0 <= value <= MAX_TIMEOUT_MS:
        return [FieldProblem(name, f"Use 0 to {MAX_TIMEOUT_MS} ms (10 minutes), not {value}.")]
    if value > SLOW_TIMEOUT_MS:
        return [FieldProblem(name, f"{value / 1000:.0f} s is a long wait for an app start.", warning=True)]
    return []


def check_draft(draft: ReleaseDraft, dimensions: Sequence[Dimension]) -> list[FieldProblem]:
    """Every problem that needs no backend: target rows, timeouts, properties, notes."""
    found: list[FieldProblem] = []
    known = {d.name: d for d in dimensions}
    for name, value in draft.target.items():
        where = f"target.{name}"
        if name == VARIANT_DIMENSION:
            found.append(FieldProblem(where, "A release cannot target Superposition's variantIds."))
        elif name not in known:
            found.append(FieldProblem(where, f"There is no dimension '{name}' in this application."))
        elif problem := value_problem(known[name], value):
            found.append(FieldProblem(where, problem))
    if not (isinstance(draft.package, str) and draft.package.strip()):
        found.append(FieldProblem("package", "Choose a package version or tag."))
    found += _timeout_problems("boot_timeout", draft.boot_timeout)
    found += _timeout_problems("release_config_timeout", draft.release_config_timeout)
    properties, why = parse_properties(draft.properties)
    if properties is None:
        found.append(FieldProblem("properties", why))
    if len(draft.notes) > MAX_NOTES:
        found.append(
            FieldProblem("notes", f"Release notes are at most {MAX_NOTES} characters ({len(draft.notes)}).")
        )
    return found


def check_files(draft: ReleaseDraft, manifest: Manifest) -> list[FieldProblem]:
    """Problems of the file split and the extra resources against the chosen package."""
    found: list[FieldProblem] = []
    paths = {f.file_path for f in manifest.files}
    unknown = sorted(set(draft.lazy) - paths)
    if unknown:
        found.append(
            FieldProblem("lazy", f"Not files of package {manifest.version}: {', '.join(unknown[:5])}.")
        )
    if manifest.index in draft.lazy:
        found.append(FieldProblem("lazy", f"The index '{manifest.index}' is always fetched before boot."))
    seen: set[str] = set()
    for res in draft.resources:
        if res.file_path in paths:
            found.append(FieldProblem("resources", f"'{res.file_path}' is a file of the package already."))
        if res.file_path in seen:
            found.append(FieldProblem("resources", f"'{res.file_path}' is listed twice."))
        seen.add(res.file_path)
        if not res.url.startswith(("https://", "http://")):
            found.append(FieldProblem("resources", f"'{res.file_path}' needs an absolute http(s) URL."))
    return found


# -- what devices receive ------------------------------------------------------------------------------
def deep_merge(base: Any, patch: Any) -> Any:
    """Superposition's merge: objects key by key (recursively), anything else replaced."""
    if isinstance(base, Mapping) and isinstance(patch, Mapping):
        merged = {k: copy.deepcopy(v) for k, v in base.items()}
        for key, value in patch.items():
            merged[key] = deep_merge(merged.get(key), value)
        return merged
    return copy.deepcopy(patch)


def effective_values(today: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """What a device in the release's variant resolves to: `overrides` merged over `today`."""
    result = {k: copy.deepcopy(v) for k, v in today.items()}
    for key, value in overrides.items():
        result[key] = deep_merge(result.get(key), value)
    return result


def inherited_properties(today: Mapping[str, Any], chosen: Mapping[str, Any], key: str) -> list[str]:
    """Property names devices keep from `today` although the release does not set them."""
    before = today.get(key)
    if not isinstance(before, Mapping):
        return []
    return sorted(k for k in before if k not in chosen)


@dataclass(frozen=True)
class ValueChange:
    key: str
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "before": self.before, "after": self.after}


def value_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[ValueChange, ...]:
    """The release-config keys whose value differs (in KEYS order)."""
    return tuple(
        ValueChange(k, before.get(k), after.get(k))
        for k in KEYS
        if json.dumps(before.get(k), sort_keys=True) != json.dumps(after.get(k), sort_keys=True)
    )


@dataclass(frozen=True)
class DeviceFile:
    file_path: str
    size: int
    checksum: str
    url: str
    when: str  # "index", "before boot", "after boot", "resource"

    def to_dict(self) -> dict[str, Any]:
        return {"file_path": self.file_path, "size": self.size, "checksum": self.checksum,
                "url": self.url, "when": self.when}  # fmt: skip


def device_files(values: Mapping[str, Any]) -> tuple[DeviceFile, ...]:
    """The files a device with these resolved values downloads, in download order."""
    out: list[DeviceFile] = []
    groups: list[tuple[str, Any]] = [
        ("index", [values.get("package.index")] if values.get("package.index") else []),
        ("before boot", values.get("package.important") or []),
        ("after boot", values.get("package.lazy") or []),
        ("resource", values.get("resources") or []),
    ]
    for when, files in groups:
        for f in files:
            if isinstance(f, Mapping):
                out.append(
                    DeviceFile(
                        str(f.get("file_path", "")),
                        int(f.get("size") or 0),
                        str(f.get("checksum", "")),
                        str(f.get("url", "")),
                        when,
                    )
                )
    return tuple(out)


@dataclass(frozen=True)
class DownloadDiff:
    """Moving a device from what it has to the release: what it downloads (content it lacks)."""

    files: int
    total_bytes: int
    download_bytes: int
    before_boot_bytes: int  # of download_bytes: the index and important files (the app waits for them)
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files, "total_bytes": self.total_bytes, "download_bytes": self.download_bytes,
            "before_boot_bytes": self.before_boot_bytes, "added": list(self.added),
            "removed": list(self.removed), "changed": list(self.changed),
        }  # fmt: skip


def download_diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> DownloadDiff:
    old = device_files(before or {})
    new = device_files(after)
    held = {f.checksum for f in old}
    fetched: dict[str, DeviceFile] = {}
    for f in new:
        if f.checksum not in held:
            fetched.setdefault(f.checksum, f)
    early = sum(f.size for f in fetched.values() if f.when in ("index", "before boot"))
    old_by_path = {f.file_path: f for f in old}
    new_by_path = {f.file_path: f for f in new}
    return DownloadDiff(
        files=len(new),
        total_bytes=sum(f.size for f in new),
        download_bytes=sum(f.size for f in fetched.values()),
        before_boot_bytes=early,
        added=tuple(sorted(new_by_path.keys() - old_by_path.keys())),
        removed=tuple(sorted(old_by_path.keys() - new_by_path.keys())),
        changed=tuple(
            sorted(
                p
                for p in new_by_path.keys() & old_by_path.keys()
                if new_by_path[p].checksum != old_by_path[p].checksum
            )
        ),
    )
