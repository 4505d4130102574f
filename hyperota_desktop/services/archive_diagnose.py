"""Say precisely what is wrong when an archive member is not the one the manifest expects next.

The reader compares each member's header with the canonical bytes it expects; on the first difference it
hands the differing header block here. This scans the rest of the archive leniently (headers only, data
skipped, never written anywhere) and names the deviation: a corrupt header, a link or device, an unsafe
path, a duplicate, an extra, a missing or a reordered member, or a member whose size or header fields
differ.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Protocol

from hyperota_desktop.domain.archive_manifest import FILES_PREFIX
from hyperota_desktop.domain.archive_tar import (
    BLOCK,
    MAX_PAX_SIZE,
    PAX,
    RawHeader,
    is_zero_block,
    padding,
    parse_header,
    parse_pax,
)
from hyperota_desktop.domain.errors import ValidationError


class _Source(Protocol):
    def read_up_to(self, size: int) -> bytes: ...


@dataclass(frozen=True)
class Expected:
    name: str  # member name, e.g. hota/files/a.js
    size: int | None  # None: any size (the seal)


@dataclass(frozen=True)
class _Seen:
    name: str
    header: RawHeader


def _unsafe(name: str) -> bool:
    parts = name.split("/")
    return name.startswith("/") or "\\" in name or ".." in parts or (len(name) > 1 and name[1] == ":")


def _skip(src: _Source, size: int) -> bool:
    remaining = size + padding(size)
    while remaining:
        got = len(src.read_up_to(min(remaining, 1024 * 1024)))
        if not got:
            return False
        remaining -= got
    return True


def _scan(block: bytes, src: _Source, limit: int) -> tuple[list[_Seen], bool]:
    """The members from `block` on, and whether the scan reached a proper end (not truncated)."""
    seen: list[_Seen] = []
    while len(seen) <= limit:
        if len(block) < BLOCK:
            return seen, False
        if is_zero_block(block):
            return seen, True
        header = parse_header(block)
        name = header.name
        if header.checksum_ok and header.typeflag == PAX and 0 <= header.size <= MAX_PAX_SIZE:
            data = src.read_up_to(header.size + padding(header.size))
            with contextlib.suppress(ValidationError):
                name = parse_pax(data[: header.size]).get("path", name)
            block = src.read_up_to(BLOCK)
            if len(block) < BLOCK or is_zero_block(block):
                seen.append(_Seen(name, header))
                return seen, len(block) == BLOCK
            header = parse_header(block)
        seen.append(_Seen(name, header))
        if not header.checksum_ok or header.size < 0 or not _skip(src, header.size):
            return seen, False
        block = src.read_up_to(BLOCK)
    return seen, False


def diagnose(block: bytes, src: _Source, expected: list[Expected], consumed: set[str]) -> str:
    """Why `block` (the header found where `expected[0]` belongs) is wrong, in words for a person."""
    want = expected[0]
    first = parse_header(block)
    if not first.checksum_ok:
        return f"the tar header where '{want.name}' belongs is corrupt (its checksum does not match)"
    seen, complete = _scan(block, src, len(expected) + 16)
    for item in seen:
        if item.header.typeflag == PAX or not item.header.regular:
            target = f" to '{item.header.linkname}'" if item.header.linkname else ""
            return f"member '{item.name}' is {item.header.kind}{target}: archives hold only regular files"
        if _unsafe(item.name):
            return f"member '{item.name}' has an unsafe path (absolute, '..' or a drive): refused"
    names = [s.name for s in seen]
    wanted = [e.name for e in expected]
    for name in names:
        if name in consumed or names.count(name) > 1:
            return f"member '{name}' appears twice"
    extra = [n for n in names if n not in wanted]
    if extra:
        where = "not in the manifest" if extra[0].startswith(FILES_PREFIX) else "not part of the format"
        return f"unexpected member '{extra[0]}' ({where})"
    missing = [n for n in wanted if n not in names]
    if missing and complete:
        return f"member '{missing[0]}' is missing"
    if missing:
        return f"the archive is truncated: it ends before member '{missing[0]}'"
    if names[0] != want.name:
        return f"members are out of order: '{names[0]}' comes where '{want.name}' belongs"
    if want.size is not None and first.size != want.size:
        return f"member '{want.name}' is {first.size} bytes in the archive, the manifest says {want.size}"
    return f"the tar header of '{want.name}' is not in canonical form (mode, owner or time was altered)"
