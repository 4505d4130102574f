"""Remembered SHA-256 of local files by (path, size, mtime): re-publishing an unchanged bundle hashes nothing.

SQLite in `cache/hashes.sqlite3`; safe to delete (everything is re-hashed). Thread-safe: one connection
behind a lock, since hashing runs in worker threads.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from hyperota_desktop.stores.private import private_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS hashes (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL
);
"""


class HashCache:
    def __init__(self, path: Path) -> None:
        private_file(path)  # SQLite gives its -wal/-shm files the database file's mode
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def get(self, path: Path, size: int, mtime_ns: int) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT sha256 FROM hashes WHERE path=? AND size=? AND mtime_ns=?",
                (str(path), size, mtime_ns),
            ).fetchone()
        return str(row[0]) if row else None

    def put(self, path: Path, size: int, mtime_ns: int, sha256: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO hashes(path, size, mtime_ns, sha256) VALUES (?,?,?,?)",
                (str(path), size, mtime_ns, sha256),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
