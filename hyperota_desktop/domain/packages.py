"""Package manifests (format 1), their S3 keys, and the diff between two packages.

Layout (see the storage spec): `P/{org}/{app}/files/sha256/{hh}/{hex}` for content and
`P/{org}/{app}/packages/{version:08d}.json` for immutable manifests; tags are mutable pointers at
`P/{org}/{app}/tags/{tag}.json`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.jsontext import parse_json
from hyperota_desktop.domain.names import validate_app_name, validate_org_name

MANIFEST_FORMAT = 1
# `fullmatch` / `\Z` only: `$` accepts a trailing newline.
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TAG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_MANIFEST_KEY_RE = re.compile(r"/packages/(\d{8})\.json\Z")


@dataclass(frozen=True)
class AppKeys:
    """Every S3 key of one application, below the profile's optional key prefix."""

    prefix: str
    org: str
    app: str

    def __post_init__(self) -> None:
        # Read paths too: `package list --org ../..` must not list another prefix of the bucket.
        validate_org_name(self.org)
        validate_app_name(self.app)

    @property
    def root(self) -> str:
        base = f"{self.org}/{self.app}/"
        p = self.prefix.strip("/")
        return f"{p}/{base}" if p else base

    @property
    def files_prefix(self) -> str:
        return self.root + "files/"

    @property
    def packages_prefix(self) -> str:
        return self.root + "packages/"

    @property
    def tags_prefix(self) -> str:
        return self.root + "tags/"

    def file_key(self, sha256_hex: str) -> str:
        check_sha256(sha256_hex)
        return f"{self.files_prefix}sha256/{sha256_hex[:2]}/{sha256_hex}"

    def manifest_key(self, version: int) -> str:
        if not 1 <= version <= 99_999_999:
            raise ValidationError(f"Package version must be between 1 and 99999999, got {version}.")
        return f"{self.packages_prefix}{version:08d}.json"

    def tag_key(self, tag: str) -> str:
        check_tag(tag)
        return f"{self.tags_prefix}{tag}.json"


def version_of_key(key: str) -> int | None:
    match = _MANIFEST_KEY_RE.search(key)
    return int(match.group(1)) if match else None


def sha256_of_file_key(key: str) -> str | None:
    tail = key.rsplit("/", 1)[-1]
    return tail if _HEX64.fullmatch(tail) and "/files/sha256/" in key else None


def check_sha256(value: str) -> str:
    if not _HEX64.fullmatch(value):
        raise ValidationError(f"'{value}' is not a lowercase hex SHA-256.")
    return value


def check_tag(tag: str) -> str:
    if not _TAG_RE.fullmatch(tag):
        raise ValidationError(
            f"Tag '{tag}' is not valid.", hint="Use 1-64 letters, digits, '.', '_' or '-' (e.g. 'stable')."
        )
    return tag


def public_url(base_url: str, key: str) -> str:
    return f"{base_url.rstrip('/')}/{key}" if base_url else key


@dataclass(frozen=True)
class PackageFile:
    """The shape devices receive: `{file_path, url, checksum, size}`."""

    file_path: str
    url: str
    checksum: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"file_path": self.file_path, "url": self.url, "checksum": self.checksum, "size": self.size}

    @classmethod
    def from_dict(cls, data: Any) -> PackageFile:
        if not isinstance(data, dict):
            raise ValidationError("A manifest file entry must be an object.")
        try:
            path, url, checksum, size = data["file_path"], data["url"], data["checksum"], data["size"]
        except KeyError as exc:
            raise ValidationError(f"A manifest file entry lacks '{exc.args[0]}'.") from None
        if not (isinstance(path, str) and isinstance(url, str) and isinstance(checksum, str)):
            raise ValidationError("Manifest file entries need string file_path, url and checksum.")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValidationError(f"Manifest entry '{path}' has an invalid size.")
        return cls(path, url, check_sha256(checksum), size)


@dataclass(frozen=True)
class Manifest:
    org: str
    app: str
    version: int
    index: str
    files: tuple[PackageFile, ...]
    created_at: str
    created_by: str
    source: str = ""
    tag: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    format: int = MANIFEST_FORMAT

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    def file(self, path: str) -> PackageFile | None:
        return next((f for f in self.files if f.file_path == path), None)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": self.format,
            "org": self.org,
            "app": self.app,
            "version": self.version,
            "index": self.index,
            "files": [f.to_dict() for f in self.files],
            "properties": dict(self.properties),
            "total_size": self.total_size,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "source": self.source,
        }
        if self.tag:
            data["tag"] = self.tag
        return data

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True).encode("utf-8") + b"\n"

    @classmethod
    def from_json(cls, raw: bytes | str) -> Manifest:
        return cls.from_dict(parse_json(raw, "The package manifest"))

    @classmethod
    def from_dict(cls, data: Any) -> Manifest:
        if not isinstance(data, dict):
            raise ValidationError("A package manifest must be a JSON object.")
        if data.get("format") != MANIFEST_FORMAT:
            raise ValidationError(f"Unsupported package manifest format {data.get('format')!r}.")
        try:
            files = tuple(PackageFile.from_dict(f) for f in data["files"])
            manifest = cls(
                org=str(data["org"]),
                app=str(data["app"]),
                version=int(data["version"]),
                index=str(data["index"]),
                files=files,
                created_at=str(data.get("created_at", "")),
                created_by=str(data.get("created_by", "")),
                source=str(data.get("source", "")),
                tag=data.get("tag") or None,
                properties=dict(data.get("properties") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"The package manifest is incomplete or malformed ({exc}).") from None
        if manifest.file(manifest.index) is None:
            raise ValidationError(f"The manifest's index '{manifest.index}' is not one of its files.")
        if "total_size" in data and data["total_size"] != manifest.total_size:
            raise ValidationError("The manifest's total_size does not match the sum of its file sizes.")
        return manifest


@dataclass(frozen=True)
class PackageSummary:
    """One row of the package list."""

    version: int
    tags: tuple[str, ...]
    index: str
    file_count: int
    total_size: int
    created_at: str
    created_by: str

    @classmethod
    def of(cls, manifest: Manifest, tags: tuple[str, ...] = ()) -> PackageSummary:
        return cls(
            manifest.version,
            tags,
            manifest.index,
            len(manifest.files),
            manifest.total_size,
            manifest.created_at,
            manifest.created_by,
        )

    def matches(self, text: str) -> bool:
        needle = text.strip().lower()
        hay = " ".join((str(self.version), *self.tags, self.index, self.created_by, self.created_at))
        return not needle or needle in hay.lower()


@dataclass(frozen=True)
class FileChange:
    file_path: str
    old: PackageFile | None
    new: PackageFile | None


@dataclass(frozen=True)
class PackageDiff:
    """Moving a device from `old` to `new`: which files appear, vanish or change, and what it downloads."""

    old_version: int
    new_version: int
    added: tuple[PackageFile, ...]
    removed: tuple[PackageFile, ...]
    changed: tuple[FileChange, ...]
    unchanged: int
    download_bytes: int  # bytes of content the device does not already hold (by checksum)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "added": [f.to_dict() for f in self.added],
            "removed": [f.to_dict() for f in self.removed],
            "changed": [
                {"file_path": c.file_path, "old": c.old.to_dict() if c.old else None,
                 "new": c.new.to_dict() if c.new else None}
                for c in self.changed
            ],
            "unchanged": self.unchanged,
            "download_bytes": self.download_bytes,
        }  # fmt: skip


def diff_packages(old: Manifest, new: Manifest) -> PackageDiff:
    old_files = {f.file_path: f for f in old.files}
    new_files = {f.file_path: f for f in new.files}
    added = tuple(new_files[p] for p in sorted(new_files.keys() - old_files.keys()))
    removed = tuple(old_files[p] for p in sorted(old_files.keys() - new_files.keys()))
    changed = tuple(
        FileChange(p, old_files[p], new_files[p])
        for p in sorted(old_files.keys() & new_files.keys())
        if old_files[p].checksum != new_files[p].checksum
    )
    unchanged = len(old_files.keys() & new_files.keys()) - len(changed)
    held = {f.checksum for f in old.files}
    needed: dict[str, int] = {}
    for f in new.files:
        if f.checksum not in held:
            needed[f.checksum] = f.size
    return PackageDiff(
        old.version, new.version, added, removed, changed, unchanged, download_bytes=sum(needed.values())
    )
