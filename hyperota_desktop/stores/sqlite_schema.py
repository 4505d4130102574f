"""Schema versions of the SQLite stores: `PRAGMA user_version` and an ordered list of migrations.

Each store declares its migrations once (version N is `migrations[N - 1]`); opening a database runs the
ones it has not seen, each in its own `BEGIN IMMEDIATE` transaction that also records the new version,
so two processes opening the same file at once never run a step twice and a crash leaves a consistent
version. A database written by a newer app (a version this one does not know) is refused with
`SchemaTooNew`, never guessed at. A migration is a tuple of SQL statements or a function of the
connection (for steps that must look before they change, like adding a column an older build added ad hoc).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.stores.private import private_file

Migration = tuple[str, ...] | Callable[[sqlite3.Connection], None]


class SchemaTooNew(ValidationError):
    """The file was written by a newer HyperOTA Desktop; this one does not know its schema."""


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration], *, path: Path) -> int:
    """Bring `db` (opened with `isolation_level=None`) to the latest version; returns it."""
    latest = len(migrations)
    while True:
        current = schema_version(db)
        if current > latest:
            raise SchemaTooNew(
                f"{path.name} was written by a newer version of HyperOTA Desktop (schema {current}; this "
                f"version knows up to {latest}).",
                hint=f"Update the app, or move {path} away to start afresh.",
            )
        if current == latest:
            return current
        db.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(db) == current:  # not migrated by another process meanwhile
                step = migrations[current]
                if callable(step):
                    step(db)
                else:
                    for statement in step:
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {current + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def add_column(table: str, column: str, definition: str) -> Callable[[sqlite3.Connection], None]:
    """A migration adding a column unless an older build already added it."""

    def step(db: sqlite3.Connection) -> None:
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    return step


def open_database(path: Path, migrations: Sequence[Migration]) -> sqlite3.Connection:
    """A connection in autocommit mode (explicit transactions), WAL, at the latest schema version; the
    file is the owner's alone (SQLite gives its -wal/-shm files the database file's mode)."""
    private_file(path)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        migrate(db, migrations, path=path)
    except BaseException:
        db.close()
        raise
    return db
