"""Remembered SHA-256 of local files by (path, size, mtime): re-publishing an unchanged bundle hashes nothing.

SQLite in `cache/hashes.sqlite3`; safe to delete (everything is re-hashed). Thread-safe: one connection
behind a lock, since hashing runs in worker threads. A cache written by a newer app version is not
used (files are simply hashed again): a cache must never stop a publish.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from hyperota_desktop.stores.sqlite_schema import Migration, SchemaTooNew, open_database

log = logging.getLogger("hyperota.stores.hash_cache")
MIGRATIONS: tuple[Migration, ...] = (
    (
        """CREATE TABLE IF NOT EXISTS hashes (
            path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL
        )""",
    ),
)


class HashCache:
    """Opened on first use (in the worker thread that needs it), so building one does no I/O."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._usable = True
        self._closed = False

    def _connection(self) -> sqlite3.Connection | None:
        """The open database, or None when the cache is not used (newer schema) or closed."""
        if self._db is None and self._usable and not self._closed:
            try:
                self._db = open_database(self._path, MIGRATIONS)
            except SchemaTooNew as exc:
                log.warning("not using the hash cache: %s", exc.message)
                self._usable = False
        return self._db

    def get(self, path: Path, size: int, mtime_ns: int) -> str | None:
        with self._lock:
            db = self._connection()
            if db is None:
                return None
            row = db.execute(
                "SELECT sha256 FROM hashes WHERE path=? AND size=? AND mtime_ns=?",
                (str(path), size, mtime_ns),
            ).fetchone()
        return str(row[0]) if row else None

    def put(self, path: Path, size: int, mtime_ns: int, sha256: str) -> None:
        with self._lock:
            db = self._connection()
            if db is not None:
                db.execute(
                    "INSERT OR REPLACE INTO hashes(path, size, mtime_ns, sha256) VALUES (?,?,?,?)",
                    (str(path), size, mtime_ns, sha256),
                )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._db is not None:
                self._db.close()
                self._db = None
