"""The manifest of a `.hota` archive: what it holds, in one canonical JSON document (format 1).

The manifest names the archive's kind (`package`, or `release`: a package plus the release's values
and target, `domain/archive_release.py`), the optional organisation and application, the package
manifest, the device release config a device would get (a release's: the one its devices got), who made
it, when and with which tool, and every file with its SHA-256 and size, in the order the
files follow in the archive (sorted by path). Its SHA-256 over the canonical bytes is what the seal
records and what a signature vouches for. Parsing is strict: only canonical JSON (sorted keys, no
spaces, no duplicate keys) with exactly the known fields is accepted.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hyperota_desktop.domain import release_config
from hyperota_desktop.domain.archive_release import ReleasePart, release_part_problems
from hyperota_desktop.domain.bundles import EntryRules, Limits, safe_entry_name
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.packages import Manifest, check_sha256

ARCHIVE_FORMAT = 1
PACKAGE_KIND = "package"
RELEASE_KIND = "release"  # release archives: a package + the release's values and target
MANIFEST_MEMBER = "hota/manifest.json"
ENVELOPE_MEMBER = "hota/envelope.json"
PAYLOAD_MEMBER = "hota/payload.bin"
SEAL_MEMBER = "hota/seal.json"
FILES_PREFIX = "hota/files/"
MAX_MANIFEST_SIZE = 64 * 1024 * 1024
_FIELDS = {"format", "kind", "org", "app", "package", "release", "release_config", "created_at",
           "created_by", "tool", "files"}  # fmt: skip
_CONFIG_NAMESPACE = uuid.UUID("7b0e4d1c-5f43-4c1a-9a57-0d3c6b1f2e90")


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value: sorted keys, no whitespace, UTF-8, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValidationError(f"'{next(k for k in keys if keys.count(k) > 1)}' appears twice in an object.")
    return dict(pairs)


def _bad_constant(name: str) -> Any:
    raise ValidationError(f"{name} is not a JSON number.")


def parse_canonical(raw: bytes, what: str) -> dict[str, Any]:
    """A JSON object that must be in canonical form (else ValidationError naming `what`)."""
    try:
        value = json.loads(
            raw.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_bad_constant
        )
    except UnicodeDecodeError:
        raise ValidationError(f"The {what} is not UTF-8.") from None
    except ValidationError as exc:
        raise ValidationError(f"The {what} is not valid: {exc.message}") from None
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"The {what} is not valid JSON ({exc}).") from None
    if not isinstance(value, dict):
        raise ValidationError(f"The {what} is not a JSON object.")
    if canonical_json(value) != raw:
        raise ValidationError(f"The {what} is not in canonical form (it was edited or altered).")
    return value


def iso_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_of(text: str) -> int:
    """Seconds since 1970 of an ISO 8601 time (naive = UTC); ValidationError if it is none."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"'{text}' is not an ISO 8601 time.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def member_name(path: str) -> str:
    return FILES_PREFIX + path


@dataclass(frozen=True)
class ArchiveFile:
    path: str
    sha256: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class ArchiveManifest:
    kind: str
    package: Manifest
    release_config: dict[str, Any]
    created_at: str  # YYYY-MM-DDTHH:MM:SSZ; also every tar header's time
    created_by: str
    tool: str
    files: tuple[ArchiveFile, ...]
    org: str | None = None
    app: str | None = None
    release: dict[str, Any] | None = None
    format: int = ARCHIVE_FORMAT
    _canonical: bytes = field(default=b"", compare=False, repr=False)

    @property
    def release_part(self) -> ReleasePart | None:
        """The release of a release archive (None for a package archive)."""
        return ReleasePart.parse(self.release) if self.release is not None else None

    @property
    def mtime(self) -> int:
        return epoch_of(self.created_at)

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format, "kind": self.kind, "org": self.org, "app": self.app,
            "package": self.package.to_dict(), "release": self.release, "release_config": self.release_config,
            "created_at": self.created_at, "created_by": self.created_by, "tool": self.tool,
            "files": [f.to_dict() for f in self.files],
        }  # fmt: skip

    def canonical(self) -> bytes:
        return self._canonical or canonical_json(self.to_dict())

    def digest(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    @classmethod
    def parse(cls, raw: bytes, limits: Limits) -> ArchiveManifest:
        """The manifest in `raw`, checked for shape, safe paths and limits (not yet against the files)."""
        data = parse_canonical(raw, "archive manifest")
        if data.get("format") != ARCHIVE_FORMAT:
            raise ValidationError(
                f"Unsupported archive format {data.get('format')!r}.",
                hint="It was made by a newer HyperOTA Desktop; update this one.",
            )
        if set(data) != _FIELDS:
            odd = sorted(set(data) ^ _FIELDS)
            raise ValidationError(f"The archive manifest has missing or unknown fields: {', '.join(odd)}.")
        kind = data["kind"]
        if kind not in (PACKAGE_KIND, RELEASE_KIND):
            raise ValidationError(f"Unknown archive kind {kind!r}.")
        for key in ("org", "app"):
            if data[key] is not None and (not isinstance(data[key], str) or not data[key]):
                raise ValidationError(f"The archive manifest's '{key}' must be a name or null.")
        for key in ("created_at", "created_by", "tool"):
            if not isinstance(data[key], str):
                raise ValidationError(f"The archive manifest's '{key}' must be a string.")
        if iso_time(epoch_of(data["created_at"])) != data["created_at"]:
            raise ValidationError("The archive manifest's time must look like 2025-01-31T12:00:00Z.")
        if not isinstance(data["release_config"], dict):
            raise ValidationError("The archive manifest's release config must be an object.")
        if kind == PACKAGE_KIND and data["release"] is not None:
            raise ValidationError("A package archive carries no release (release: null).")
        if kind == RELEASE_KIND:
            ReleasePart.parse(data["release"])  # its shape; its agreement with the config: `release` check
        package = Manifest.from_dict(data["package"])
        if package.to_dict() != data["package"]:
            raise ValidationError("The archive's package manifest has unknown or non-canonical fields.")
        return cls(
            kind=kind, package=package, release_config=data["release_config"],
            created_at=data["created_at"], created_by=data["created_by"], tool=data["tool"],
            files=_parse_files(data["files"], limits), org=data["org"], app=data["app"],
            release=data["release"], _canonical=raw,
        )  # fmt: skip


def _parse_files(raw: Any, limits: Limits) -> tuple[ArchiveFile, ...]:
    if not isinstance(raw, list):
        raise ValidationError("The archive manifest's 'files' must be a list.")
    rules = EntryRules(limits)
    files: list[ArchiveFile] = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"path", "sha256", "size"}:
            raise ValidationError("Each file of the archive manifest needs exactly path, sha256 and size.")
        path, digest, size = item["path"], item["sha256"], item["size"]
        if not isinstance(path, str) or not isinstance(digest, str):
            raise ValidationError("File paths and SHA-256 values in the archive manifest must be strings.")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValidationError(f"The archive manifest gives '{path}' an invalid size.")
        clean = safe_entry_name(path)
        if clean != path:
            raise ValidationError(f"The archive manifest's path '{path}' is not in canonical form.")
        rules.add(path, size)
        files.append(ArchiveFile(path, check_sha256(digest), size))
    rules.finish()
    if [f.path for f in files] != sorted(f.path for f in files):
        raise ValidationError("The archive manifest's files are not sorted by path.")
    return tuple(files)


def default_config_version(package: Manifest) -> str:
    """A release-config version that only depends on the package's content (so rebuilds are identical)."""
    content = canonical_json({"index": package.index, "files": [f.to_dict() for f in package.files]})
    return str(uuid.uuid5(_CONFIG_NAMESPACE, content.decode()))


def package_archive_manifest(
    package: Manifest, *, org: str | None, app: str | None, created_at: str, created_by: str, tool: str
) -> ArchiveManifest:
    """The manifest of an archive of `package`, with the release config a device would get for it with
    the default settings (every file but the index important, no lazy files, no resources)."""
    values = release_config.release_values(package, config_version=default_config_version(package))
    files = tuple(
        ArchiveFile(f.file_path, f.checksum, f.size) for f in sorted(package.files, key=lambda f: f.file_path)
    )
    return ArchiveManifest(
        kind=PACKAGE_KIND, package=package, release_config=release_config.build(values),
        created_at=created_at, created_by=created_by, tool=tool, files=files, org=org, app=app,
    )  # fmt: skip


def _file_set(entries: Iterable[tuple[str, str, int]]) -> set[tuple[str, str, int]]:
    return set(entries)


def package_problems(manifest: ArchiveManifest) -> list[str]:
    """How the package manifest disagrees with the archive's files and names ([] = it agrees)."""
    found: list[str] = []
    package = manifest.package
    listed = _file_set((f.path, f.sha256, f.size) for f in manifest.files)
    declared = _file_set((f.file_path, f.checksum, f.size) for f in package.files)
    for path, _digest, _size in sorted(declared - listed):
        found.append(f"package file '{path}' is not in the archive as the package describes it")
    for path, _digest, _size in sorted(listed - declared):
        found.append(f"archive file '{path}' is not a file of the package")
    if len(package.files) != len(manifest.files):
        found.append("the package lists a file twice")
    if manifest.org is not None and package.org != manifest.org:
        found.append(
            f"the package belongs to organisation '{package.org}', the archive says '{manifest.org}'"
        )
    if manifest.app is not None and package.app != manifest.app:
        found.append(f"the package belongs to application '{package.app}', the archive says '{manifest.app}'")
    return found


def release_config_problems(manifest: ArchiveManifest) -> list[str]:
    """Schema and rules of the release config, and whether it describes exactly this package."""
    doc = manifest.release_config
    found = release_config.problems(doc)
    if found:
        return found
    package = manifest.package
    pkg = doc["package"]
    shipped = [pkg["index"], *pkg["important"], *pkg["lazy"]]
    expected = sorted((f.to_dict() for f in package.files), key=lambda f: f["file_path"])
    if sorted(shipped, key=lambda f: f["file_path"]) != expected:
        found.append("package: its files are not exactly the package's files")
    if pkg["index"]["file_path"] != package.index:
        found.append(
            f"package: the index is '{pkg['index']['file_path']}', the package's is '{package.index}'"
        )
    if pkg["name"] != package.app:
        found.append(f"package: the name is '{pkg['name']}', the package's application is '{package.app}'")
    if pkg["version"] != str(package.version):
        found.append(f"package: the version is {pkg['version']}, the package's is {package.version}")
    if doc["resources"] and manifest.kind == PACKAGE_KIND:
        found.append("resources: a package archive carries no resources")
    return found


def release_problems(manifest: ArchiveManifest) -> list[str]:
    """How a release archive's release disagrees with its release config ([] = it agrees; the
    config itself is `release_config_problems`')."""
    part = manifest.release_part
    if part is None:
        return ["a release archive carries no release"]
    unknown = sorted(set(part.lazy) - {f.file_path for f in manifest.package.files})
    if unknown:
        return [f"its files after boot are not package files: {', '.join(unknown[:5])}"]
    if release_config.problems(manifest.release_config):
        return ["its release config is not valid"]
    return release_part_problems(part, manifest.release_config)


def release_archive_manifest(
    package: Manifest,
    part: ReleasePart,
    device_config: dict[str, Any],
    *,
    org: str,
    app: str,
    created_at: str,
    created_by: str,
    tool: str,
) -> ArchiveManifest:
    """The manifest of an archive of a release: its package, what devices in it got, and its values."""
    files = tuple(
        ArchiveFile(f.file_path, f.checksum, f.size) for f in sorted(package.files, key=lambda f: f.file_path)
    )
    manifest = ArchiveManifest(
        kind=RELEASE_KIND, package=package, release_config=release_config.check(device_config),
        created_at=created_at, created_by=created_by, tool=tool, files=files, org=org, app=app,
        release=part.to_dict(),
    )  # fmt: skip
    problems = release_problems(manifest) + release_config_problems(manifest) + package_problems(manifest)
    if problems:
        raise ValidationError(f"Release {part.id} cannot be archived: {'; '.join(problems[:5])}.")
    return manifest
