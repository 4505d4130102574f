"""Folders and files the app writes are the owner's alone (0700 / 0600), whatever the umask says.

Under `umask 000` a plain `mkdir()` makes 0777 folders and `open()` 0666 files; tokens never touch disk,
but the journal, logs, profiles and checkpoints still say who works on what. Every store creates its
folders with `private_dir` and its files with `private_file` (or an opener from `private_opener`).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as 0700 and tighten it if it exists; returns `path`.

    Parents that already exist are left alone (they may be the person's home or a shared folder)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=DIR_MODE)
        os.chmod(folder, DIR_MODE)  # mkdir's mode is masked by the umask
    if path.is_dir() and (path.stat().st_mode & 0o777) != DIR_MODE:
        os.chmod(path, DIR_MODE)
    return path


def private_opener(path: str, flags: int) -> int:
    """An `opener=` for `open()` that creates files as 0600 (and tightens an existing one)."""
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return fd


def private_file(path: Path) -> Path:
    """Make sure `path` exists as a 0600 file before a library (SQLite) opens it; returns `path`."""
    private_dir(path.parent)
    os.close(private_opener(str(path), os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)))
    return path
