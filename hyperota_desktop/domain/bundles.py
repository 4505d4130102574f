"""What a dropped bundle is and whether it is safe: layout recognition and the path/size rules.

Pure rules only. Reading folders and zips happens in `services.bundle_scan`, which feeds these
functions the entry names, sizes and the first bytes of candidate index files.
"""

from __future__ import annotations

import json
import posixpath
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from hyperota_desktop.domain.errors import ValidationError

# Hermes bytecode files start with this 8-byte magic (0x1F1903C103BC1FC6, little-endian).
HERMES_MAGIC = bytes.fromhex("c61fbc03c103191f")
RN_INDEX_NAMES = ("index.android.bundle", "main.jsbundle")
_SCRIPT_SUFFIXES = (".js", ".mjs", ".cjs", ".bundle", ".jsbundle", ".hbc")
SCRIPT_SUFFIXES = _SCRIPT_SUFFIXES  # what can be an index: JavaScript or Hermes bytecode bundles


class BundleKind(StrEnum):
    REACT_NATIVE = "react-native"
    EXPO = "expo"
    HERMES = "hermes"
    GENERIC = "generic"


@dataclass(frozen=True)
class Limits:
    """Refuse bundles beyond these (zip bombs, accidental drops of a whole disk)."""

    max_total_size: int = 2 * 1024**3
    max_files: int = 50_000
    max_ratio: int = 200  # uncompressed / compressed size of one zip entry
    ratio_min_size: int = 1024 * 1024  # the ratio check applies to entries at least this large


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class BundleEntry:
    """One file of a bundle: its path inside the bundle (POSIX, relative) and size in bytes."""

    path: str
    size: int


@dataclass(frozen=True)
class BundleLayout:
    kind: BundleKind
    index: str
    platform: str = ""  # "android" | "ios" | "" when unknown
    warnings: tuple[str, ...] = ()


class IndexRequired(ValidationError):
    """The bundle is fine but its index is not clear: the person must pick one of `files`.

    `candidates` are the likely ones (bundles of several platforms), `files` every path of the bundle.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str,
        candidates: tuple[str, ...],
        files: tuple[str, ...],
        gui_hint: str = "",
    ):
        super().__init__(message, hint=hint, gui_hint=gui_hint)
        self.candidates = candidates
        self.files = files


@dataclass
class EntryRules:
    """Collects entries one by one, refusing unsafe names, duplicates and oversize totals."""

    limits: Limits = DEFAULT_LIMITS
    entries: list[BundleEntry] = field(default_factory=list)
    _seen: dict[str, str] = field(default_factory=dict)
    _total: int = 0

    def add(self, raw_name: str, size: int) -> BundleEntry:
        name = safe_entry_name(raw_name)
        folded = unicodedata.normalize("NFC", name)
        if folded in self._seen:
            raise ValidationError(
                f"The bundle contains '{name}' twice.", hint="Remove the duplicate entry and try again."
            )
        self._seen[folded] = name
        if size < 0:
            raise ValidationError(f"'{name}' has a negative size.")
        self._total += size
        if self._total > self.limits.max_total_size:
            raise ValidationError(
                f"The bundle is larger than {self.limits.max_total_size // 1024**2} MiB uncompressed.",
                hint="This looks like a zip bomb or the wrong folder.",
            )
        if len(self.entries) >= self.limits.max_files:
            raise ValidationError(f"The bundle has more than {self.limits.max_files} files.")
        entry = BundleEntry(name, size)
        self.entries.append(entry)
        return entry

    def finish(self) -> list[BundleEntry]:
        """Check the whole set: not empty, no file that is also a folder of another entry."""
        if not self.entries:
            raise ValidationError("The bundle is empty: it contains no files.")
        names = {e.path for e in self.entries}
        for entry in self.entries:
            parent = posixpath.dirname(entry.path)
            while parent:
                if parent in names:
                    raise ValidationError(f"'{parent}' is both a file and a folder in the bundle.")
                parent = posixpath.dirname(parent)
        return sorted(self.entries, key=lambda e: e.path)

    @property
    def total_size(self) -> int:
        return self._total


def invisible_characters(name: str) -> list[str]:
    """Characters that change how a name reads without being seen: bidirectional overrides and
    isolates (U+202E makes "evil\u202egpj.js" show as "eviljs.jpg"), zero-width and other format
    characters (Unicode category Cf), and C1 controls. Named once each, e.g. "U+202E RIGHT-TO-LEFT
    OVERRIDE"."""
    found: dict[str, str] = {}
    for ch in name:
        if unicodedata.category(ch) in ("Cf", "Cc") and ch not in found:
            found[ch] = f"U+{ord(ch):04X} {unicodedata.name(ch, 'CONTROL CHARACTER')}"
    return list(found.values())


def shown_name(name: str) -> str:
    """`name` with every invisible character written as an escape, so a warning cannot be spoofed."""
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cf", "Cc") else ch for ch in name)


MAX_NAME_BYTES = 255  # one path component: NAME_MAX of Linux, macOS and Windows (NTFS: 255 UTF-16 units)


def safe_entry_name(name: str) -> str:
    """A relative POSIX path inside the bundle, or ValidationError for anything that could escape it."""
    if not name or "\x00" in name:
        raise ValidationError("The bundle has an entry with an empty or NUL-containing name.")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            f"The bundle has a file name that is not valid UTF-8: {name.encode('utf-8', 'replace')!r}.",
            hint="Rename the file.",
        ) from None
    if "\\" in name:
        raise ValidationError(f"Entry '{name}' uses backslashes; bundle paths must use '/'.")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ValidationError(f"Entry '{name}' has an absolute path.", hint="Refusing an unsafe archive.")
    parts = name.split("/")
    if ".." in parts:
        raise ValidationError(f"Entry '{name}' contains '..'.", hint="Refusing an unsafe archive.")
    clean = [p for p in parts if p not in ("", ".")]
    if not clean:
        raise ValidationError(f"Entry '{name}' names no file.")
    if any(ord(c) < 32 for c in name):
        raise ValidationError(f"Entry '{name!r}' contains control characters.")
    long = next((p for p in clean if len(p.encode("utf-8")) > MAX_NAME_BYTES), None)
    if long is not None:
        raise ValidationError(
            f"Entry '{shown_name(long[:60])}…' has a name longer than {MAX_NAME_BYTES} bytes.",
            hint="No file system can store it; rename the file.",
        )
    return "/".join(clean)


def check_ratio(name: str, size: int, compressed: int, limits: Limits = DEFAULT_LIMITS) -> None:
    if size >= limits.ratio_min_size and size > limits.max_ratio * max(compressed, 1):
        raise ValidationError(
            f"Zip entry '{name}' expands {size // max(compressed, 1)}x (limit {limits.max_ratio}x).",
            hint="This looks like a zip bomb; nothing was uploaded.",
        )


def is_hermes_bytecode(head: bytes) -> bool:
    return head[:8] == HERMES_MAGIC


def _platform_of(path: str) -> str:
    lowered = path.lower()
    if "android" in lowered:
        return "android"
    if "ios" in lowered or lowered.endswith(".jsbundle"):
        return "ios"
    return ""


def expo_index_candidates(paths: set[str], metadata: bytes | None) -> list[str]:
    """Bundles named by `metadata.json` (fileMetadata.<platform>.bundle), else `_expo/static/js/*/…`."""
    found: list[str] = []
    if metadata:
        try:
            doc = json.loads(metadata)
            for info in (doc.get("fileMetadata") or {}).values():
                bundle = str(info.get("bundle", "")) if isinstance(info, dict) else ""
                if bundle in paths:
                    found.append(bundle)
        except (ValueError, AttributeError, RecursionError):
            pass
    if not found:
        found = [p for p in paths if p.startswith("_expo/static/js/") and p.endswith((".js", ".hbc"))]
    return sorted(set(found))


def recognise(
    entries: list[BundleEntry],
    *,
    index: str | None = None,
    heads: dict[str, bytes] | None = None,
    metadata: bytes | None = None,
) -> BundleLayout:
    """Work out what was dropped and which file is the index (the entry bundle the app loads).

    `heads` maps candidate index paths to their first bytes (for the Hermes magic); `metadata` is the
    content of an Expo `metadata.json` if present. An explicit `index` wins but must exist.
    """
    heads = heads or {}
    paths = {e.path for e in entries}
    warnings: list[str] = []
    kind = BundleKind.GENERIC
    candidates: list[str] = []
    if "metadata.json" in paths and any(p.startswith("_expo/") for p in paths):
        kind = BundleKind.EXPO
        candidates = expo_index_candidates(paths, metadata)
    else:
        rn = [p for p in paths if posixpath.basename(p) in RN_INDEX_NAMES]
        if rn:
            kind = BundleKind.REACT_NATIVE
            candidates = sorted(rn)
        else:
            candidates = sorted(p for p in paths if p.endswith((".hbc", ".bundle", ".jsbundle")))
            if not candidates and len(paths) == 1:
                candidates = sorted(paths)
    if index is not None:
        index = safe_entry_name(index)
        if index not in paths:
            raise ValidationError(
                f"The index file '{index}' is not in the bundle.", hint="Pick one of the bundle's files."
            )
        chosen = index
    elif len(candidates) == 1:
        chosen = candidates[0]
    elif not candidates:
        raise IndexRequired(
            "No index file found: this is not a React Native, Expo or Hermes output.",
            hint="Choose the index (entry bundle) file yourself (--index FILE).",
            gui_hint="Choose the index (entry bundle) file in the list of the bundle's files.",
            candidates=tuple(sorted(p for p in paths if p.endswith(_SCRIPT_SUFFIXES))),
            files=tuple(sorted(paths)),
        )
    else:
        raise IndexRequired(
            f"Several possible index files: {', '.join(candidates[:5])}.",
            hint="Choose the one this package is for (--index FILE).",
            gui_hint="Choose the one this package is for in the list of the bundle's files.",
            candidates=tuple(candidates),
            files=tuple(sorted(paths)),
        )
    if is_hermes_bytecode(heads.get(chosen, b"")):
        if kind is BundleKind.GENERIC:
            kind = BundleKind.HERMES
    elif chosen.endswith(".hbc"):
        warnings.append(f"'{chosen}' is named .hbc but does not start with the Hermes bytecode magic.")
    by_path = {e.path: e for e in entries}
    if by_path[chosen].size == 0:
        warnings.append(f"The index file '{chosen}' is empty.")
    if kind is BundleKind.REACT_NATIVE and not any("/" in p or p.startswith("drawable") for p in paths):
        warnings.append("No asset folders next to the bundle (images will not be part of this package).")
    for entry in entries:
        base = posixpath.basename(entry.path)
        if base in (".DS_Store", "Thumbs.db") or base.endswith(".map"):
            warnings.append(f"'{entry.path}' is usually not meant to ship to devices.")
        hidden = invisible_characters(entry.path)
        if hidden:
            warnings.append(
                f"'{shown_name(entry.path)}' contains {', '.join(hidden)}: the name a person sees is not "
                "the name that is stored. Rename the file unless you meant it."
            )
    return BundleLayout(kind=kind, index=chosen, platform=_platform_of(chosen), warnings=tuple(warnings))


_CONTENT_TYPES = {
    ".js": "application/javascript",
    ".bundle": "application/javascript",
    ".jsbundle": "application/javascript",
    ".hbc": "application/octet-stream",
    ".json": "application/json",
    ".map": "application/json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".html": "text/html",
    ".css": "text/css",
    ".txt": "text/plain",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
    ".xml": "application/xml",
}


def content_type(path: str) -> str:
    _root, ext = posixpath.splitext(path.lower())
    return _CONTENT_TYPES.get(ext, "application/octet-stream")
