"""Remembered SHA-256 of local files by (path, size, mtime): re-publishing an unchanged bundle hashes nothing.

A large file also has the SHA-256 of each of its multipart parts (`part_sums`, for one part size),
computed in the same read as its whole-file hash: the upload (or its resume after a crash) sends each
part with the checksum of the bytes that were hashed, without reading the file once more for it.

SQLite in `cache/hashes.sqlite3`; safe to delete (everything is re-hashed). Thread-safe: one connection
behind a lock, since hashing runs in worker threads. A cache written by a newer app version is not
used (files are simply hashed again): a cache must never stop a publish. A bundle is looked up and
recorded in batches (`get_many`, `put_many`: one query per few hundred files, one transaction), and
commits are not flushed to disk one by one (`synchronous=NORMAL`): losing the last entries in a power
cut only means hashing those files again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from hyperota_desktop.stores.sqlite_schema import Migration, SchemaTooNew, open_database

log = logging.getLogger("hyperota.stores.hash_cache")
_BATCH = 500  # paths per lookup query (SQLite allows 32766 parameters)
MIGRATIONS: tuple[Migration, ...] = (
    (
        """CREATE TABLE IF NOT EXISTS hashes (
            path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL
        )""",
    ),
    (
        """CREATE TABLE IF NOT EXISTS part_sums (
            path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
            part_size INTEGER NOT NULL, sums TEXT NOT NULL
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
                self._db.execute("PRAGMA synchronous=NORMAL")
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

    def get_many(self, entries: list[tuple[Path, int, int]]) -> dict[Path, str]:
        """The known SHA-256 of each (path, size, mtime) that is in the cache, by path."""
        found: dict[Path, str] = {}
        with self._lock:
            db = self._connection()
            if db is None:
                return found
            for start in range(0, len(entries), _BATCH):
                batch = entries[start : start + _BATCH]
                wanted = {str(path): (path, size, mtime) for path, size, mtime in batch}
                marks = ",".join("?" * len(wanted))
                rows = db.execute(
                    f"SELECT path, size, mtime_ns, sha256 FROM hashes WHERE path IN ({marks})",  # noqa: S608 - only ? marks
                    list(wanted),
                ).fetchall()
                for path, size, mtime, sha256 in rows:
                    entry = wanted.get(path)
                    if entry is not None and (entry[1], entry[2]) == (size, mtime):
                        found[entry[0]] = str(sha256)
        return found

    def put_many(self, rows: list[tuple[Path, int, int, str]]) -> None:
        """Remember (path, size, mtime, SHA-256) of many files in one transaction."""
        self._write_many(
            "INSERT OR REPLACE INTO hashes(path, size, mtime_ns, sha256) VALUES (?,?,?,?)",
            [(str(path), size, mtime, sha256) for path, size, mtime, sha256 in rows],
        )

    def _write_many(self, statement: str, rows: list[tuple[object, ...]]) -> None:
        """`statement` for each row, in one transaction (nothing without a usable cache)."""
        if not rows:
            return
        with self._lock:
            db = self._connection()
            if db is None:
                return
            db.execute("BEGIN")
            try:
                db.executemany(statement, rows)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def get_part_sums(self, path: Path, size: int, mtime_ns: int, part_size: int) -> tuple[str, ...]:
        """The base64 SHA-256 of each `part_size` part of this (path, size, mtime); () when unknown."""
        with self._lock:
            db = self._connection()
            if db is None:
                return ()
            row = db.execute(
                "SELECT sums FROM part_sums WHERE path=? AND size=? AND mtime_ns=? AND part_size=?",
                (str(path), size, mtime_ns, part_size),
            ).fetchone()
        return tuple(str(row[0]).split(",")) if row else ()

    def put_part_sums(self, rows: list[tuple[Path, int, int, int, tuple[str, ...]]]) -> None:
        """Remember (path, size, mtime, part size, part checksums) of a few large files in one transaction."""
        self._write_many(
            "INSERT OR REPLACE INTO part_sums(path, size, mtime_ns, part_size, sums) VALUES (?,?,?,?,?)",
            [(str(path), size, mtime, part, ",".join(sums)) for path, size, mtime, part, sums in rows],
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._db is not None:
                self._db.close()
                self._db = None
