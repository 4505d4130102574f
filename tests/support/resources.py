"""Count what a process holds open: httpx clients not closed, files (SQLite databases) under a folder.

Used to prove that quitting closes everything the app built (issue 13): counted from the outside
(the garbage collector's view of httpx clients, /proc/self/fd), not by asking the
objects that are supposed to have closed themselves.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import httpx


def open_http_clients() -> set[int]:
    """Ids of every httpx client in this process that is not closed."""
    gc.unfreeze()  # what the GUI froze (start-up, a profile's boto3 client) is invisible to get_objects()
    gc.collect()
    return {
        id(obj)
        for obj in gc.get_objects()
        if isinstance(obj, httpx.AsyncClient | httpx.Client) and not obj.is_closed
    }


def _fd_targets() -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue  # closed meanwhile (the listing's own fd)
    return found


def open_files_under(root: Path) -> list[str]:
    """Paths under `root` this process has open (SQLite databases, their WAL files, ...)."""
    prefix = str(root.resolve())
    return [t for t in _fd_targets() if t.startswith(prefix)]
