"""The tar container of `.hota` archives: canonical member headers, padding and end, and a strict parser.

A `.hota` file is a POSIX tar (so `tar -tvf` lists it and `tar -xf` unpacks an unencrypted one), written
in exactly one canonical form: ustar headers with fixed mode 0644, owner 0/0, empty user and group names
and the archive's time; a pax header (`././@PaxHeader`, one `path` record) only for paths that do not
fit ustar's ASCII name and prefix fields; zero padding to 512 bytes; two zero blocks; zero padding to a
whole 10240-byte record. A reader builds the header it expects and compares bytes, so any deviation
(another mode, a link, a reordered or extra member, a flipped bit) is found. Pure bytes, no I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from hyperota_desktop.domain.errors import ValidationError

BLOCK = 512
RECORD = 20 * BLOCK  # tar's default blocking factor; the file is padded to a whole record
END_OF_ARCHIVE = bytes(2 * BLOCK)
MAX_MEMBER_SIZE = 8**11 - 1  # what 11 octal digits hold (8 GiB - 1)
MAX_PAX_SIZE = 64 * 1024
PAX_NAME = "././@PaxHeader"
REGULAR = "0"
PAX = "x"
_MAGIC = b"ustar\x0000"
_TYPE_NAMES = {
    "0": "a regular file", "\x00": "a regular file", "1": "a hard link", "2": "a symbolic link",
    "3": "a character device", "4": "a block device", "5": "a directory", "6": "a FIFO",
    "7": "a contiguous file", "x": "a pax header", "g": "a global pax header", "L": "a GNU long name",
    "K": "a GNU long link name", "S": "a sparse file",
}  # fmt: skip


def padding(size: int) -> int:
    """Zero bytes that follow `size` bytes of member data."""
    return (-size) % BLOCK


def end_padding(offset: int) -> int:
    """Bytes from `offset` (where the end-of-archive marker starts) to the end of the file."""
    return len(END_OF_ARCHIVE) + (-(offset + len(END_OF_ARCHIVE))) % RECORD


def _octal(value: int, width: int) -> bytes:
    """`width - 1` octal digits and a NUL (ustar numeric field)."""
    if not 0 <= value < 8 ** (width - 1):
        raise ValidationError(f"{value} does not fit a tar header field of {width} bytes.")
    return f"{value:0{width - 1}o}".encode("ascii") + b"\x00"


def _field(text: bytes, width: int) -> bytes:
    return text + bytes(width - len(text))


def _ustar(name: str, prefix: str, size: int, mtime: int, typeflag: str) -> bytes:
    header = b"".join(
        (
            _field(name.encode("ascii"), 100),
            _octal(0o644, 8),
            _octal(0, 8),
            _octal(0, 8),
            _octal(size, 12),
            _octal(mtime, 12),
            b" " * 8,  # checksum, filled below
            typeflag.encode("ascii"),
            bytes(100),  # linkname
            _MAGIC,
            bytes(64),  # uname, gname
            _octal(0, 8),
            _octal(0, 8),
            _field(prefix.encode("ascii"), 155),
            bytes(12),
        )
    )
    checksum = f"{sum(header):06o}".encode("ascii") + b"\x00 "
    return header[:148] + checksum + header[156:]


def _ustar_split(name: str) -> tuple[str, str] | None:
    """(prefix, name) when `name` fits ustar's ASCII fields, else None (a pax header is needed)."""
    if not name.isascii():
        return None
    if len(name) <= 100:
        return "", name
    for cut in range(len(name) - 1, 0, -1):
        if name[cut] == "/" and cut <= 155 and len(name) - cut - 1 <= 100:
            return name[:cut], name[cut + 1 :]
    return None


def pax_record(key: str, value: str) -> bytes:
    """`"<length> key=value\\n"`, the length counting the whole record including its own digits."""
    body = f" {key}={value}\n".encode()
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length += 1
    return str(length).encode("ascii") + body


def member_header(name: str, size: int, mtime: int) -> bytes:
    """Every byte that precedes a regular member's data, in the canonical form described above."""
    if not 0 <= size <= MAX_MEMBER_SIZE:
        raise ValidationError(f"'{name}' is too large for the archive ({size} bytes).")
    split = _ustar_split(name)
    if split is not None:
        return _ustar(split[1], split[0], size, mtime, REGULAR)
    record = pax_record("path", name)
    fallback = "@LongName-" + hashlib.sha256(name.encode()).hexdigest()[:40]
    return (
        _ustar(PAX_NAME, "", len(record), mtime, PAX)
        + record
        + bytes(padding(len(record)))
        + _ustar(fallback, "", size, mtime, REGULAR)
    )


@dataclass(frozen=True)
class RawHeader:
    """What one 512-byte header block says, parsed leniently (to describe a deviation)."""

    name: str
    size: int
    mtime: int
    mode: int
    typeflag: str
    linkname: str
    checksum_ok: bool
    ustar: bool

    @property
    def kind(self) -> str:
        return _TYPE_NAMES.get(self.typeflag, f"an unknown member type {self.typeflag!r}")

    @property
    def regular(self) -> bool:
        return self.typeflag in (REGULAR, "\x00")


def _text(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("utf-8", "replace")


def _number(raw: bytes) -> int:
    if raw[:1] in (b"\x80", b"\xff"):  # GNU base-256: not canonical, described as unreadable
        return -1
    digits = raw.replace(b"\x00", b" ").strip()
    try:
        return int(digits, 8) if digits else 0
    except ValueError:
        return -1


def is_zero_block(block: bytes) -> bool:
    return not any(block)


def parse_header(block: bytes) -> RawHeader:
    """Parse one header block; never raises for bad content (a `RawHeader` describes what is there)."""
    if len(block) != BLOCK:
        raise ValidationError("A tar header must be 512 bytes.")
    stored = _number(block[148:156])
    computed = sum(block[:148]) + 8 * 0x20 + sum(block[156:])
    prefix = _text(block[345:500]) if block[257:263] == b"ustar\x00" else ""
    name = _text(block[:100])
    return RawHeader(
        name=f"{prefix}/{name}" if prefix else name,
        size=_number(block[124:136]),
        mtime=_number(block[136:148]),
        mode=_number(block[100:108]),
        typeflag=chr(block[156]),
        linkname=_text(block[157:257]),
        checksum_ok=stored == computed,
        ustar=block[257:265] == _MAGIC,
    )


def parse_pax(data: bytes) -> dict[str, str]:
    """Records of a pax extended header; ValidationError when malformed."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0 or not data[pos:space].isdigit():
            raise ValidationError("A pax header record has no length.")
        length = int(data[pos:space])
        record = data[pos : pos + length]
        if length <= space - pos + 1 or len(record) != length or not record.endswith(b"\n"):
            raise ValidationError("A pax header record has a wrong length.")
        key, sep, value = record[space - pos + 1 : -1].partition(b"=")
        if not sep:
            raise ValidationError("A pax header record has no '='.")
        try:
            records[key.decode("utf-8")] = value.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("A pax header record is not valid UTF-8.") from None
        pos += length
    return records
