"""Read a small file that someone else may have made: never block, never read without a bound.

Every reader of a file from outside (profile import, endpoints files, our own JSON stores, which a
person can edit) goes through `read_small_file`: it opens without blocking (a FIFO would otherwise wait
forever for a writer), refuses anything but a regular file (`/dev/zero`, pipes, sockets, folders), and
reads at most `limit` bytes (a file that grows while read is caught too), like the bundle scanner does
for bundles.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.jsontext import parse_json
from hyperota_desktop.domain.units import human_size

SMALL_FILE_LIMIT = 1024 * 1024  # profiles, endpoints files, settings: a few KiB in practice
_CHUNK = 64 * 1024


class UnreadableFile(ValidationError):
    """The file cannot or must not be read (missing, not a regular file, too large, no permission)."""


class MissingFile(UnreadableFile):
    """The file does not exist."""


def read_small_file(path: Path, *, limit: int = SMALL_FILE_LIMIT) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; `UnreadableFile` otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise MissingFile(f"{path} does not exist.") from None
    except OSError as exc:
        raise UnreadableFile(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a device, pipe or socket"
            raise UnreadableFile(f"{path} is not a regular file ({kind}).")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
        raise UnreadableFile(
            f"{path} is larger than {human_size(limit)}; this is not a file the app would read."
        )
    except OSError as exc:
        raise UnreadableFile(f"Cannot read {path}: {exc.strerror or exc}.") from None
    finally:
        os.close(fd)


def read_json_file(path: Path, *, limit: int = SMALL_FILE_LIMIT, what: str = "") -> Any:
    """The JSON value of a small untrusted file (see `read_small_file`, `parse_json`)."""
    return parse_json(read_small_file(path, limit=limit), what or str(path))
