"""Checkpoints of multipart uploads, so a publish interrupted by a crash continues where it stopped.

SQLite in `data/upload_checkpoints.sqlite3`, committed after every finished part: the upload id of each
unfinished multipart upload (by bucket and key) with the local file it reads (path, size, mtime) and
every finished part with its ETag and SHA-256 checksum. Written from worker threads (one connection
behind a lock) and by several processes (SQLite file locking, WAL).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from hyperota_desktop.stores.sqlite_schema import Migration, open_database

MIGRATIONS: tuple[Migration, ...] = (
    (
        """CREATE TABLE IF NOT EXISTS uploads (
            bucket TEXT NOT NULL, key TEXT NOT NULL, upload_id TEXT NOT NULL, path TEXT NOT NULL,
            size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, part_size INTEGER NOT NULL,
            created_at REAL NOT NULL, PRIMARY KEY (bucket, key)
        )""",
        """CREATE TABLE IF NOT EXISTS parts (
            upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, etag TEXT NOT NULL, checksum TEXT NOT NULL,
            size INTEGER NOT NULL, PRIMARY KEY (upload_id, part_number)
        )""",
    ),
)


@dataclass(frozen=True)
class PartRecord:
    part_number: int
    etag: str
    checksum: str  # base64 SHA-256 of the part, as S3 wants it
    size: int


@dataclass
class UploadCheckpoint:
    bucket: str
    key: str
    upload_id: str
    path: str
    size: int
    mtime_ns: int
    part_size: int
    created_at: float
    parts: dict[int, PartRecord] = field(default_factory=dict)


class UploadCheckpoints:
    """Opened on first use (in the worker thread that needs it), so building one does no I/O. A file
    written by a newer app raises `SchemaTooNew` then: never guessed at."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._open: sqlite3.Connection | None = None

    @property
    def _db(self) -> sqlite3.Connection:
        """The open database (call with the lock held)."""
        if self._open is None:
            self._open = open_database(self._path, MIGRATIONS)
        return self._open

    def get(self, bucket: str, key: str) -> UploadCheckpoint | None:
        with self._lock:
            row = self._db.execute(
                "SELECT bucket, key, upload_id, path, size, mtime_ns, part_size, created_at FROM uploads"
                " WHERE bucket=? AND key=?",
                (bucket, key),
            ).fetchone()
            if row is None:
                return None
            cp = UploadCheckpoint(*row)
            for number, etag, checksum, size in self._db.execute(
                "SELECT part_number, etag, checksum, size FROM parts WHERE upload_id=?", (cp.upload_id,)
            ):
                cp.parts[number] = PartRecord(number, etag, checksum, size)
        return cp

    def begin(self, cp: UploadCheckpoint) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO uploads VALUES (?,?,?,?,?,?,?,?)",
                (cp.bucket, cp.key, cp.upload_id, cp.path, cp.size, cp.mtime_ns, cp.part_size, cp.created_at),
            )

    def part_done(self, upload_id: str, part: PartRecord) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO parts VALUES (?,?,?,?,?)",
                (upload_id, part.part_number, part.etag, part.checksum, part.size),
            )

    def finish(self, bucket: str, key: str) -> None:
        """Forget an upload (completed or aborted)."""
        with self._lock:
            row = self._db.execute(
                "SELECT upload_id FROM uploads WHERE bucket=? AND key=?", (bucket, key)
            ).fetchone()
            self._db.execute("DELETE FROM uploads WHERE bucket=? AND key=?", (bucket, key))
            if row:
                self._db.execute("DELETE FROM parts WHERE upload_id=?", (row[0],))

    def upload_ids(self, bucket: str, key_prefix: str = "") -> dict[str, str]:
        """upload id → key of every checkpointed upload under a prefix."""
        with self._lock:
            rows = self._db.execute(
                "SELECT upload_id, key FROM uploads WHERE bucket=? AND substr(key, 1, ?)=?",
                (bucket, len(key_prefix), key_prefix),
            ).fetchall()
        return {str(u): str(k) for u, k in rows}

    def close(self) -> None:
        """Close the file; a later call opens it again (closing twice is harmless)."""
        with self._lock:
            if self._open is not None:
                self._open.close()
                self._open = None


def now() -> float:
    return time.time()
