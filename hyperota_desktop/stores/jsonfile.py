"""Atomic JSON files: a crash mid-write leaves the old file, never half of a new one."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hyperota_desktop.stores.private import private_dir
from hyperota_desktop.stores.untrusted import MissingFile, read_json_file

STORE_LIMIT = 8 * 1024 * 1024  # far above any real profiles or settings file


def read_json(path: Path, default: Any) -> Any:
    """The JSON in `path` (`default` when missing); `ValidationError` when it is not readable JSON."""
    try:
        return read_json_file(path, limit=STORE_LIMIT)
    except MissingFile:
        return default


def write_json(path: Path, data: Any) -> None:
    private_dir(path.parent)
    import tempfile  # only when writing: the GUI reads its settings before its first paint

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
