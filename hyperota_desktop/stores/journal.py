"""The saga journal: every multi-step operation and each of its steps, in SQLite (`data/journal.sqlite3`).

Written before and after every step, so that after a crash the next start knows exactly what was done.
Each running saga also holds an OS file lock (`data/sagas/<id>.lock`); a saga whose lock can be taken
has lost its process and is safe to reconcile, while one held by a live process (the GUI and the CLI
may run side by side) is left alone.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from hyperota_desktop.stores.private import private_dir, private_opener
from hyperota_desktop.stores.sqlite_schema import Migration, add_column, open_database

try:
    import fcntl
except ImportError:  # Windows: fall back to msvcrt byte-range locks
    fcntl = None  # type: ignore[assignment]
    import msvcrt


def _reconciled_column(db: sqlite3.Connection) -> None:
    add_column("sagas", "reconciled", "INTEGER NOT NULL DEFAULT 0")(db)
    db.execute(  # the runs journalled before: as `reconciled()` found them until version 3
        "UPDATE sagas SET reconciled = 1 WHERE instr(data, '\"reconciled\": true') "
        "AND json_extract(data, '$.reconciled')"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS sagas_newest ON sagas(scope, created_at, kind, status, reconciled, id)"
    )


# Version N is MIGRATIONS[N - 1]; never edit a released one, append a new one (see sqlite_schema).
MIGRATIONS: tuple[Migration, ...] = (
    (
        """CREATE TABLE IF NOT EXISTS sagas (
            id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, actor TEXT NOT NULL,
            params TEXT NOT NULL, data TEXT NOT NULL, status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL, updated_at REAL NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS steps (
            saga_id TEXT NOT NULL REFERENCES sagas(id), idx INTEGER NOT NULL, name TEXT NOT NULL,
            status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', started_at REAL, finished_at REAL,
            PRIMARY KEY (saga_id, idx)
        )""",
        "CREATE INDEX IF NOT EXISTS sagas_by_status ON sagas(status)",
    ),
    # 2: sagas are scoped by profile (journals from before that may have the column already, added ad hoc)
    add_column("sagas", "scope", "TEXT NOT NULL DEFAULT ''"),
    # 3: an unfinished run the person paused (quit, sign-out): offered to resume, not finished by itself
    add_column("sagas", "paused", "TEXT NOT NULL DEFAULT ''"),
    # 4: `reconciled` as a column, and the newest records by an index that holds what a repeat check
    # filters on: the check no longer reads the data (a publish's every file) of each record it passes
    _reconciled_column,
)


def _reconciled_flag(data: dict[str, Any]) -> int:
    """The `reconciled` column of a run whose data is `data` (finished by a reconciliation)."""
    return 1 if data.get("reconciled") else 0


_COLUMNS = "id, kind, title, actor, params, data, status, error, created_at, updated_at, scope, paused"
# Saga statuses: running → done | compensating → rolled_back | stuck (a compensation failed).
UNFINISHED = ("running", "compensating")


@dataclass
class StepRecord:
    idx: int
    name: str
    status: str  # running | done | failed | compensated | compensation_failed | skipped
    error: str = ""
    started_at: float | None = None
    finished_at: float | None = None


@dataclass
class SagaRecord:
    id: str
    kind: str
    title: str
    actor: str
    params: dict[str, Any]
    data: dict[str, Any]
    status: str
    error: str
    created_at: float
    updated_at: float
    scope: str = ""  # the profile the saga ran against ("" = not bound to one)
    steps: list[StepRecord] = field(default_factory=list)
    paused: str = ""  # why the person paused this unfinished run ("quit", "sign-out", ...); "" = not paused

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "title": self.title, "actor": self.actor, "scope": self.scope,
            "status": self.status, "error": self.error, "params": self.params, "paused": self.paused,
            "created_at": self.created_at, "updated_at": self.updated_at,
            "steps": [s.__dict__ for s in self.steps],
        }  # fmt: skip


class Journal:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._locks_dir = path.parent / "sagas"
        private_dir(self._locks_dir)
        self._held: dict[str, IO[bytes]] = {}
        self._mutex = threading.Lock()
        open_database(self._path, MIGRATIONS).close()  # created or migrated once, then one per call

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self._path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous=FULL")
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    # -- ownership ---------------------------------------------------------------------------------
    def _lock_path(self, saga_id: str) -> Path:
        return self._locks_dir / f"{saga_id}.lock"

    def _try_lock(self, saga_id: str) -> IO[bytes] | None:
        handle = open(self._lock_path(saga_id), "a+b", opener=private_opener)  # noqa: SIM115
        try:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:  # pragma: no cover - Windows
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            handle.close()
            return None
        return handle

    def claim(self, saga_id: str) -> bool:
        """Take ownership of a saga (True) unless a live process holds it."""
        with self._mutex:
            if saga_id in self._held:
                return True
            handle = self._try_lock(saga_id)
            if handle is None:
                return False
            self._held[saga_id] = handle
            return True

    def orphaned(self, record: SagaRecord) -> bool:
        """An unfinished saga whose process is gone (nobody holds its lock): it awaits reconciliation."""
        if record.status not in UNFINISHED:
            return False
        # Under the mutex: a look holds the lock for a moment, and two threads of this process looking
        # (the Activity page and the paused publishes) or one claiming would see it held by the other.
        with self._mutex:
            if record.id in self._held:
                return False
            handle = self._try_lock(record.id)
            if handle is None:
                return False
            handle.close()  # only looked: the file stays for whoever claims it next
            return True

    def release(self, saga_id: str) -> None:
        with self._mutex:
            handle = self._held.pop(saga_id, None)
        if handle is not None:
            handle.close()
            self._lock_path(saga_id).unlink(missing_ok=True)

    def close(self) -> None:
        """Let go of every saga lock still held here: the process (or a test) is done with this journal.
        A run still unfinished then is seen as interrupted and reconciled by the next start."""
        with self._mutex:
            held = list(self._held)
        for saga_id in held:
            self.release(saga_id)

    # -- writes ------------------------------------------------------------------------------------
    def begin(
        self,
        kind: str,
        title: str,
        actor: str,
        params: dict[str, Any],
        step_names: list[str],
        scope: str = "",
    ) -> str:
        saga_id = uuid.uuid4().hex
        self.claim(saga_id)
        now = time.time()
        try:
            with self._connect() as db:
                db.execute(
                    f"INSERT INTO sagas ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
                    (
                        saga_id,
                        kind,
                        title,
                        actor,
                        json.dumps(params),
                        "{}",
                        "running",
                        "",
                        now,
                        now,
                        scope,
                        "",
                    ),
                )
                db.executemany(
                    "INSERT INTO steps (saga_id, idx, name, status) VALUES (?,?,?,?)",
                    [(saga_id, i, name, "pending") for i, name in enumerate(step_names)],
                )
        except BaseException:
            self.release(saga_id)  # never written: nobody would release its lock
            raise
        return saga_id

    def step(self, saga_id: str, idx: int, status: str, error: str = "") -> None:
        now = time.time()
        column = "started_at" if status == "running" else "finished_at"
        with self._connect() as db:
            db.execute(
                f"UPDATE steps SET status=?, error=?, {column}=? WHERE saga_id=? AND idx=?",  # noqa: S608
                (status, error, now, saga_id, idx),
            )
            db.execute("UPDATE sagas SET updated_at=? WHERE id=?", (now, saga_id))

    def save_data(self, saga_id: str, data: dict[str, Any]) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE sagas SET data=?, reconciled=?, updated_at=? WHERE id=?",
                (json.dumps(data), _reconciled_flag(data), time.time(), saga_id),
            )

    def advance(self, saga_id: str, data: dict[str, Any], done: int, *, then: int | None) -> None:
        """Step `done` ended (with the saga's `data`) and step `then` starts, or, with `then` None, the
        saga is done: one transaction instead of three or four (each a commit the run waits for)."""
        now = time.time()
        with self._connect() as db:
            db.execute(
                "UPDATE sagas SET data=?, reconciled=?, updated_at=? WHERE id=?",
                (json.dumps(data), _reconciled_flag(data), now, saga_id),
            )
            steps = "UPDATE steps SET status=?, error='', {}=? WHERE saga_id=? AND idx=?"
            db.execute(steps.format("finished_at"), ("done", now, saga_id, done))
            if then is not None:
                db.execute(steps.format("started_at"), ("running", now, saga_id, then))
            else:
                db.execute("UPDATE sagas SET status='done', error='', paused='' WHERE id=?", (saga_id,))

    def finish(self, saga_id: str, status: str, error: str = "") -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE sagas SET status=?, error=?, paused='', updated_at=? WHERE id=?",
                (status, error, time.time(), saga_id),
            )

    def set_paused(self, saga_id: str, why: str) -> None:
        """Mark an unfinished run as paused by the person (`why`: what paused it), or not ("").
        A finished run is left as it is."""
        with self._connect() as db:
            db.execute(
                f"UPDATE sagas SET paused=?, updated_at=? WHERE id=? AND status IN {UNFINISHED!r}",  # noqa: S608
                (why, time.time(), saga_id),
            )

    # -- reads -------------------------------------------------------------------------------------
    def _record(self, db: sqlite3.Connection, row: tuple[Any, ...]) -> SagaRecord:
        record = SagaRecord(
            id=row[0], kind=row[1], title=row[2], actor=row[3], params=json.loads(row[4]),
            data=json.loads(row[5]), status=row[6], error=row[7], created_at=row[8], updated_at=row[9],
            scope=row[10], paused=row[11],
        )  # fmt: skip
        columns = "idx, name, status, error, started_at, finished_at"
        steps = db.execute(f"SELECT {columns} FROM steps WHERE saga_id=? ORDER BY idx", (record.id,))  # noqa: S608
        record.steps = [StepRecord(*s) for s in steps]
        return record

    def get(self, saga_id: str) -> SagaRecord | None:
        with self._connect() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM sagas WHERE id=?", (saga_id,)).fetchone()  # noqa: S608
            return self._record(db, row) if row else None

    def list(
        self,
        *,
        limit: int = 200,
        unfinished_only: bool = False,
        scope: str | None = None,
        org: str = "",
        app: str = "",
    ) -> list[SagaRecord]:
        """Newest first; `org`/`app`: only the runs on that organisation (any of its applications) or
        application, by the `org`/`app` parameters every kind journals."""
        clauses, args = [], []
        if unfinished_only:
            clauses.append(f"status IN {UNFINISHED!r}")
        if scope is not None:
            clauses.append("scope = ?")
            args.append(scope)
        for key, value in (("org", org), ("app", app)):
            if value:
                clauses.append(f"json_extract(params, '$.{key}') = ?")
                args.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        query = f"SELECT {_COLUMNS} FROM sagas {where} ORDER BY created_at DESC LIMIT ?"  # noqa: S608
        with self._connect() as db:
            rows = db.execute(query, (*args, limit))
            return [self._record(db, row) for row in rows.fetchall()]

    def reconciled(self, kind: str, *, within: int = 200, scope: str | None = None) -> Sequence[SagaRecord]:
        """The done runs of `kind` that a reconciliation finished, among the newest `within` records (of
        `scope`), newest first. The window and its filter are read from an index (`sagas_newest`: kind,
        status, reconciled): only the matching records are read from the table, and the others' data
        (a publish journals every file of its bundle) is neither decoded nor scanned, so a request that
        checks for a repeat stays cheap however many runs the journal holds."""
        scoped, args = ("WHERE scope = ?", [scope]) if scope is not None else ("", [])
        query = (
            f"SELECT {_COLUMNS} FROM sagas WHERE id IN "  # noqa: S608
            f"(SELECT id FROM (SELECT id, kind, status, reconciled FROM sagas {scoped} "
            "ORDER BY created_at DESC LIMIT ?) WHERE kind = ? AND status = 'done' AND reconciled = 1) "
            "ORDER BY created_at DESC"
        )
        with self._connect() as db:
            rows = db.execute(query, (*args, within, kind))
            return [self._record(db, row) for row in rows.fetchall()]
