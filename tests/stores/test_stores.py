from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from hyperota_desktop.domain.errors import Conflict, NotFound, ValidationError
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.domain.settings import SETTINGS
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.stores.hash_cache import MIGRATIONS as HASH_MIGRATIONS
from hyperota_desktop.stores.hash_cache import HashCache
from hyperota_desktop.stores.journal import MIGRATIONS as JOURNAL_MIGRATIONS
from hyperota_desktop.stores.journal import Journal
from hyperota_desktop.stores.profiles import ProfileStore
from hyperota_desktop.stores.secrets import SecretStore
from hyperota_desktop.stores.settings import SettingsStore
from hyperota_desktop.stores.sqlite_schema import SchemaTooNew
from hyperota_desktop.stores.upload_checkpoints import MIGRATIONS as CHECKPOINT_MIGRATIONS
from hyperota_desktop.stores.upload_checkpoints import UploadCheckpoints

ISSUER = "https://sso.example.com/realms/hyperota"


def test_settings_round_trip_and_defaults(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    for spec in SETTINGS:
        assert store.get(spec.key) == spec.default
    store.set("upload/parallel_parts", 6)
    store.set("ui/theme", "dark")
    again = SettingsStore(tmp_path / "settings.json")
    assert again.get("upload/parallel_parts") == 6
    assert again.get("ui/theme") == "dark"


def test_settings_refuse_unknown_keys_and_wrong_types(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    with pytest.raises(ValidationError, match="Unknown setting"):
        store.set("nope", 1)
    with pytest.raises(ValidationError, match="takes a int"):
        store.set("upload/parallel_parts", "8")
    with pytest.raises(ValidationError):
        store.set("ui/theme", "purple")


def test_damaged_settings_file_falls_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    assert SettingsStore(path).get("ui/theme") == "system"
    path.write_text(json.dumps({"upload/parallel_parts": "many"}))
    assert SettingsStore(path).get("upload/parallel_parts") == 8


def test_profiles_save_list_activate_remove(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles.json")
    store.save(Profile(name="a", issuer=ISSUER))
    store.save(Profile(name="b", issuer=ISSUER))
    assert [p.name for p in store.list()] == ["a", "b"]
    assert store.active_name() == "a"
    with pytest.raises(Conflict):
        store.save(Profile(name="a", issuer=ISSUER))
    store.set_active("b")
    store.remove("b")
    assert store.active_name() == "a"
    with pytest.raises(NotFound):
        store.get("b")


def test_profiles_file_is_written_atomically(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles.json")
    store.save(Profile(name="a", issuer=ISSUER))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    (tmp_path / "profiles.json").write_text("garbage")
    with pytest.raises(ValidationError, match="not valid JSON"):
        store.list()


def test_dirs_under_one_root(tmp_path: Path) -> None:
    dirs = AppDirs.under(tmp_path / "root").ensure()
    for path in (dirs.config, dirs.data, dirs.cache, dirs.logs):
        assert path.is_dir() and path.is_relative_to(tmp_path / "root")


def test_secret_store_uses_the_keyring(memory_keyring) -> None:
    store = SecretStore()
    store.set("p", "refresh_token", "tok-123456789")
    assert store.persistent
    assert store.get("p", "refresh_token") == "tok-123456789"
    assert ("hyperota-desktop", "p/refresh_token") in memory_keyring.store
    store.delete("p", "refresh_token")
    assert store.get("p", "refresh_token") is None


def test_secret_store_without_keyring_keeps_secrets_in_memory_only(tmp_path: Path) -> None:
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    keyring.set_keyring(FailKeyring())
    store = SecretStore()
    store.set("p", "refresh_token", "tok-abcdefgh")
    assert not store.persistent
    assert store.get("p", "refresh_token") == "tok-abcdefgh"
    assert SecretStore().get("p", "refresh_token") is None  # nothing reached disk


def _version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()


def test_a_journal_from_before_schema_versions_is_migrated(tmp_path: Path) -> None:
    """Journals written before sagas had a scope (and before `user_version`) open and keep their runs."""
    path = tmp_path / "journal.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """CREATE TABLE sagas (id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL,
        actor TEXT NOT NULL, params TEXT NOT NULL, data TEXT NOT NULL, status TEXT NOT NULL,
        error TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL, updated_at REAL NOT NULL);
        CREATE TABLE steps (saga_id TEXT NOT NULL, idx INTEGER NOT NULL, name TEXT NOT NULL,
        status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', started_at REAL, finished_at REAL,
        PRIMARY KEY (saga_id, idx));
        INSERT INTO sagas VALUES ('s1', 'demo', 'Old run', 'alice', '{}', '{}', 'done', '', 1.0, 2.0);"""
    )
    old.close()
    journal = Journal(path)
    assert _version(path) == len(JOURNAL_MIGRATIONS)
    (record,) = journal.list()
    assert (record.id, record.title, record.scope) == ("s1", "Old run", "")
    Journal(path)  # opening again migrates nothing
    assert _version(path) == len(JOURNAL_MIGRATIONS)


def test_a_journal_whose_scope_column_was_added_ad_hoc_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 0")  # what the ad-hoc ALTER TABLE left: the column, no version
    db.commit()
    db.close()
    journal = Journal(path)
    journal.release(journal.begin("demo", "t", "alice", {}, ["one"], "profile-a"))
    assert _version(path) == len(JOURNAL_MIGRATIONS)


def test_closing_a_journal_lets_go_of_the_locks_it_still_holds(tmp_path: Path) -> None:
    """What a run that never ended left held (a failed test, the end of the process) is released: the
    next start sees the run as interrupted and no lock file stays open."""
    path = tmp_path / "journal.sqlite3"
    journal = Journal(path)
    record = journal.get(journal.begin("demo", "t", "alice", {}, ["one"]))
    assert record is not None and not Journal(path).orphaned(record)  # held by its run
    journal.close()
    assert not list((tmp_path / "sagas").glob("*.lock"))
    assert Journal(path).orphaned(record)


def test_a_run_the_journal_could_not_write_holds_no_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")

    def full_disk() -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(journal, "_connect", full_disk)
    with pytest.raises(sqlite3.OperationalError):
        journal.begin("demo", "t", "alice", {}, ["one"])
    assert not list((tmp_path / "sagas").glob("*.lock"))


def test_stores_written_by_a_newer_app_are_refused_or_ignored(tmp_path: Path) -> None:
    for name, use in (
        ("journal.sqlite3", Journal),
        ("checkpoints.sqlite3", lambda path: UploadCheckpoints(path).get("bucket", "key")),
    ):
        path = tmp_path / name
        db = sqlite3.connect(path)
        db.execute("PRAGMA user_version = 99")
        db.close()
        with pytest.raises(SchemaTooNew, match="newer version") as info:
            use(path)
        assert str(path) in info.value.hint and int(info.value.exit_code) == 5
    cache_path = tmp_path / "hashes.sqlite3"
    db = sqlite3.connect(cache_path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    cache = HashCache(cache_path)  # a cache never stops a publish: it is simply not used
    cache.put(tmp_path / "f", 1, 2, "ab")
    assert cache.get(tmp_path / "f", 1, 2) is None
    cache.close()


def test_every_store_records_its_schema_version(tmp_path: Path) -> None:
    checkpoints = UploadCheckpoints(tmp_path / "c.sqlite3")
    assert not (tmp_path / "c.sqlite3").exists()  # opened on first use, not when built
    assert checkpoints.get("bucket", "key") is None
    cache = HashCache(tmp_path / "h.sqlite3")
    cache.put(tmp_path / "f", 1, 2, "ab")
    assert cache.get(tmp_path / "f", 1, 2) == "ab"
    checkpoints.close()
    cache.close()
    cache.close()  # closing twice is harmless (shutdown paths may overlap)
    assert _version(tmp_path / "c.sqlite3") == len(CHECKPOINT_MIGRATIONS) >= 1
    assert _version(tmp_path / "h.sqlite3") == len(HASH_MIGRATIONS) >= 1


def test_the_journal_finds_reconciled_runs_among_the_newest_records_only(tmp_path: Path) -> None:
    """What a repeated request is matched against (services/saga_repeats.py): done runs of the kind that
    a reconciliation finished, among the newest `within` records of the scope, newest first."""
    journal = Journal(tmp_path / "journal.sqlite3")

    def run(kind: str, status: str, reconciled: bool, scope: str = "p") -> str:
        saga_id = journal.begin(kind, kind, "alice", {}, ["one"], scope=scope)
        journal.save_data(saga_id, {"reconciled": True} if reconciled else {"files": [["a", "b", 1]]})
        journal.finish(saga_id, status)
        journal.release(saga_id)
        time.sleep(0.002)  # created_at orders them
        return saga_id

    old = run("package.publish", "done", True)
    wanted = run("package.publish", "done", True)
    run("package.publish", "done", False)
    lookalike = journal.begin("package.publish", "x", "alice", {}, ["one"], scope="p")  # the text, escaped
    journal.save_data(lookalike, {"files": [['{"reconciled": true}', "b", 1]], "reconciled": False})
    journal.finish(lookalike, "done")
    journal.release(lookalike)
    run("package.publish", "rolled_back", True)
    run("org.delete", "done", True)
    other_scope = run("package.publish", "done", True, scope="q")
    assert [r.id for r in journal.reconciled("package.publish", scope="p")] == [wanted, old]
    assert [r.id for r in journal.reconciled("package.publish", within=5, scope="p")] == [wanted]
    assert [r.id for r in journal.reconciled("package.publish", scope="q")] == [other_scope]


def test_the_repeat_check_reads_only_the_index_and_the_runs_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every publish checks for a repeat among the newest 200 records, each holding a bundle's every
    file (~200 KB for 2,000 files): the window and its filter come from an index, never from a scan of
    the records' data (with 200 publishes journalled, the scan took 75-135 ms of every publish)."""
    journal = Journal(tmp_path / "journal.sqlite3")
    for reconciled in (False, True):
        saga_id = journal.begin("package.publish", "t", "alice", {}, ["one"], scope="p")
        journal.advance(saga_id, {"files": [["a", "b", 1]] * 50, "reconciled": reconciled}, 0, then=None)
        journal.release(saga_id)
    statements: list[str] = []
    real_connect = sqlite3.connect

    def tracing(*args: object, **kwargs: object) -> sqlite3.Connection:
        db = real_connect(*args, **kwargs)  # type: ignore[arg-type]
        db.set_trace_callback(statements.append)
        return db

    monkeypatch.setattr(sqlite3, "connect", tracing)
    assert len(journal.reconciled("package.publish", scope="p")) == 1
    monkeypatch.undo()
    (query,) = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "kind" in s]
    with sqlite3.connect(tmp_path / "journal.sqlite3") as db:
        plan = " / ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {query}"))
    assert "SCAN sagas" not in plan and "COVERING INDEX sagas_newest" in plan, plan


def test_a_journal_from_before_the_reconciled_column_still_finds_its_reconciled_runs(tmp_path: Path) -> None:
    """Migration 4 fills the column from each record's data, as the repeat check read it before."""
    from hyperota_desktop.stores.sqlite_schema import open_database

    path = tmp_path / "journal.sqlite3"
    open_database(path, JOURNAL_MIGRATIONS[:3]).close()
    with sqlite3.connect(path) as db:
        for saga_id, data in (("r", {"reconciled": True}), ("n", {"reconciled": False}), ("x", {})):
            db.execute(
                "INSERT INTO sagas (id, kind, title, actor, params, data, status, created_at, updated_at, "
                "scope) VALUES (?, 'package.publish', 't', 'alice', '{}', ?, 'done', 1, 1, 'p')",
                (saga_id, json.dumps(data)),
            )
    assert [r.id for r in Journal(path).reconciled("package.publish", scope="p")] == ["r"]
    assert _version(path) == len(JOURNAL_MIGRATIONS) == 4


def test_a_prefetch_that_fails_is_read_again_and_the_keyring_kept(memory_keyring, monkeypatch) -> None:
    """A command start reads its entries side by side, one D-Bus connection each; one of them failing
    (seen: `InitError` under load) is read again by its `get`, and the process keeps using the keyring
    (it used to switch to memory for good: the publish then found no AWS keys and stopped)."""
    import keyring.errors

    real = memory_keyring.get_password
    failed: list[str] = []

    def once_failing(service: str, username: str) -> str | None:
        if username == "p/aws_key" and not failed:
            failed.append(username)
            raise keyring.errors.InitError("the Secret Service did not answer")
        return real(service, username)

    monkeypatch.setattr(memory_keyring, "get_password", once_failing)
    store = SecretStore()
    store.set("p", "aws_key", "AKIA-1")
    store.set("p", "access", "acc-1")
    store.prefetch("p", ["aws_key", "access"])
    assert store.get("p", "aws_key") == "AKIA-1" and store.get("p", "access") == "acc-1"
    assert failed == ["p/aws_key"] and store.persistent


def test_prefetched_secrets_are_read_once_then_asked_again(memory_keyring, monkeypatch) -> None:
    """A command start reads its entries on a thread (`prefetch`): the first `get` of each takes that
    read, the next asks the keyring again, and a `set` or `delete` meanwhile is never hidden by it."""
    import threading

    reads: list[str] = []
    gate = threading.Event()
    real = memory_keyring.get_password

    def counting(service: str, username: str) -> str | None:
        gate.wait(5)
        reads.append(username)
        return real(service, username)

    monkeypatch.setattr(memory_keyring, "get_password", counting)
    store = SecretStore()
    store.set("p", "access", "acc-1")
    store.set("p", "refresh", "ref-1")
    store.prefetch("p", ["access", "refresh", "absent"])
    store.set("p", "refresh", "ref-2")  # written after the prefetch began: the new value counts
    gate.set()
    assert store.get("p", "access") == "acc-1"
    assert store.get("p", "absent") is None
    assert store.get("p", "refresh") == "ref-2"
    assert reads.count("p/access") == 1 and reads.count("p/absent") == 1
    memory_keyring.store[("hyperota-desktop", "p/access")] = "acc-2"  # changed by another process
    assert store.get("p", "access") == "acc-2"  # a second get reads the keyring, not the prefetch
    assert reads.count("p/access") == 2


def test_looking_at_an_interrupted_run_from_several_threads_never_sees_it_held(tmp_path: Path) -> None:
    """A look holds the run's lock for a moment: two threads of one process looking at once (the
    Activity page and the paused publishes' offer), or one claiming, must not take each other for a
    live process holding it."""
    import threading

    path = tmp_path / "journal.sqlite3"
    first = Journal(path)
    record = first.get(first.begin("demo", "t", "alice", {}, ["one"]))
    first.close()  # interrupted: nobody holds it
    assert record is not None
    journal = Journal(path)
    seen: list[bool] = []
    start = threading.Barrier(4)

    def look() -> None:
        start.wait()
        seen.extend(journal.orphaned(record) for _ in range(300))

    threads = [threading.Thread(target=look) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [True] * 1200, seen.count(False)
    assert journal.claim(record.id) and not journal.orphaned(record)
    journal.release(record.id)
