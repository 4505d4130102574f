"""Issue 17.8: under `umask 000` the profile root was 0777 and the log 0666. Everything the app writes
(folders, JSON stores, SQLite files with their -wal/-shm, logs and their rotations, saga locks,
endpoints files) is the owner's alone."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.logging_setup import setup_logging
from hyperota_desktop.cli.commands.sandbox import write_endpoints_file
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.stores.hash_cache import HashCache
from hyperota_desktop.stores.journal import Journal
from hyperota_desktop.stores.upload_checkpoints import UploadCheckpoints


@pytest.fixture
def no_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def clean_logging() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_hyperota", False):
            root.removeHandler(handler)
            handler.close()


def _modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


def test_everything_written_under_umask_000_is_private(
    tmp_path: Path, no_umask: None, clean_logging: None
) -> None:
    root = tmp_path / "new" / "profile-root"
    dirs = AppDirs.under(root).ensure()
    services = build_services(dirs)
    services.profiles.add(Profile(name="prod", issuer="https://sso.example.com/realms/r"))
    services.settings.set("log/level", "DEBUG")
    journal = Journal(dirs.data / "journal.sqlite3")
    saga_id = journal.begin("demo.kind", "A demo", "alice", {}, ["one step"])  # holds a saga lock file
    hashes = HashCache(dirs.cache / "hashes.sqlite3")
    hashes.put(tmp_path, 1, 1, "ab" * 32)
    checkpoints = UploadCheckpoints(dirs.data / "uploads.sqlite3")
    log_path = setup_logging(dirs.logs, "DEBUG")
    logging.getLogger("hyperota.test").info("something worth a log line")
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_hyperota", False):
            handler.doRollover()  # type: ignore[attr-defined]
    logging.getLogger("hyperota.test").info("and one after the rotation")
    write_endpoints_file(dirs.config / "endpoints.json", {"issuer": "x"})

    modes = _modes(root)
    journal.release(saga_id)
    hashes.close()
    checkpoints.close()
    assert log_path.exists() and (dirs.logs / "hyperota.log.1").exists()
    assert any(name.endswith(".sqlite3-wal") for name in modes)
    loose = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (root / name).is_dir() else 0o600)
    }
    assert loose == {}
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700  # a parent we created


def test_an_existing_parent_folder_is_left_alone(tmp_path: Path, no_umask: None) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)  # noqa: S103 - a shared folder on purpose
    AppDirs.under(shared / "hyperota").ensure()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE((shared / "hyperota").stat().st_mode) == 0o700
