"""Take `.hota` archives apart and put them back together, for tamper and zip-slip corpora."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hyperota_desktop.domain.archive_tar import (
    BLOCK,
    END_OF_ARCHIVE,
    end_padding,
    member_header,
    padding,
    parse_header,
    parse_pax,
)


@dataclass
class Member:
    name: str
    data: bytes
    offset: int = 0  # of its first header byte in the file
    data_offset: int = 0


def split(raw: bytes) -> list[Member]:
    """The regular members of an archive (pax paths applied), with their offsets."""
    found: list[Member] = []
    pos = 0
    while pos + BLOCK <= len(raw):
        block = raw[pos : pos + BLOCK]
        if not any(block):
            break
        start = pos
        head = parse_header(block)
        name = head.name
        if head.typeflag == "x":
            data = raw[pos + BLOCK : pos + BLOCK + head.size]
            name = parse_pax(data)["path"]
            pos += BLOCK + head.size + padding(head.size)
            head = parse_header(raw[pos : pos + BLOCK])
        data_at = pos + BLOCK
        found.append(Member(name, raw[data_at : data_at + head.size], start, data_at))
        pos = data_at + head.size + padding(head.size)
    return found


def join(members: list[Member], mtime: int) -> bytes:
    """Canonical archive bytes of these members (whatever they are) and a proper end."""
    out = bytearray()
    for m in members:
        out += member_header(m.name, len(m.data), mtime) + m.data + bytes(padding(len(m.data)))
    out += bytes(end_padding(len(out)))
    assert out.endswith(END_OF_ARCHIVE)
    return bytes(out)


def mtime_of(raw: bytes) -> int:
    return parse_header(raw[:BLOCK]).mtime


def flipped(raw: bytes, offset: int, mask: int = 0x01) -> bytes:
    data = bytearray(raw)
    data[offset] ^= mask
    return bytes(data)


def write(path: Path, raw: bytes) -> Path:
    path.write_bytes(raw)
    return path
