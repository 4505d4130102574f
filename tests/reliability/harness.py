"""A person's HYPEROTA_HOME on the sandbox, and the `hyperota` command run in it as a real process.

`Home.cli(...)` runs `python -m tests.support.crash_cli ...`: exactly `hyperota`, except that with
`crash_at=` it kills itself with SIGKILL at that point (tests/support/crash_cli.py). Secrets live in a
file keyring of the home (tests/support/file_keyring.py) so every process of the test shares the
sign-in. `Home.services()` builds the same services in the test process, for set-up and reading.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import keyring.core

from hyperota_desktop.app.container import build_services
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.auth.store import ACCESS_KEY, REFRESH_KEY
from hyperota_desktop.services.profile_services import ProfileServices
from hyperota_desktop.services.profiles import ProfileService
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.stores.journal import Journal, SagaRecord
from hyperota_desktop.stores.profiles import ProfileStore
from hyperota_desktop.stores.secrets import SERVICE, SecretStore
from hyperota_desktop.stores.settings import SettingsStore
from tests.support import file_keyring
from tests.support.signin import tokens

ROOT = Path(__file__).resolve().parents[2]
PROFILE = "sb"
# Small parts, two at a time: a 12 MiB file is 3 parts, so a kill lands between parts in a few seconds.
SETTINGS = {"upload/part_size_mib": 5, "upload/parallel_parts": 2, "network/timeout_s": 10}


@dataclass(frozen=True)
class Run:
    argv: tuple[str, ...]
    code: int
    out: str
    err: str

    @property
    def crashed(self) -> bool:
        return self.code == -signal.SIGKILL

    def json(self) -> Any:
        return json.loads(self.out)

    def __str__(self) -> str:
        return f"hyperota {' '.join(self.argv)} → {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


class Home:
    """One HYPEROTA_HOME with profile `sb` (the sandbox) active and signed in."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.keyring = path / "keyring.json"

    @classmethod
    def template(cls, path: Path, sandbox: Sandbox, user: str = "alice") -> Home:
        """A home with the sandbox profile imported, used and signed in as `user` (done once; copy it)."""
        home = cls(path)
        endpoints = path / "endpoints.json"
        path.mkdir(parents=True, exist_ok=True)
        endpoints.write_text(json.dumps(sandbox.endpoints))
        with home.keyring_in_use():
            dirs = AppDirs.under(path).ensure()
            profiles = ProfileService(ProfileStore(dirs.config / "profiles.json"), SecretStore())
            profiles.import_file(endpoints, name=PROFILE)
            profiles.use(PROFILE)
            settings = SettingsStore(dirs.config / "settings.json")
            for key, value in SETTINGS.items():
                settings.set(key, value)
            home.sign_in(sandbox, user)
        return home

    def copy(self, path: Path) -> Home:
        shutil.copytree(self.path, path)
        return Home(path)

    def sign_in(self, sandbox: Sandbox, user: str) -> None:
        """Leave `user`'s tokens (a real device flow) where the app reads them after a restart."""
        access, refresh = tokens(sandbox, user)
        store = file_keyring.FileKeyring(self.keyring)
        store.set_password(SERVICE, f"{PROFILE}/{ACCESS_KEY}", access)
        store.set_password(SERVICE, f"{PROFILE}/{REFRESH_KEY}", refresh)

    @contextlib.contextmanager
    def keyring_in_use(self) -> Iterator[None]:
        """This home's keyring for the code run in this process (whatever keyring was set before is
        set again afterwards, without asking keyring to detect one)."""
        previous = keyring.core._keyring_backend
        file_keyring.FileKeyring.in_use = True
        keyring.set_keyring(file_keyring.FileKeyring(self.keyring))
        try:
            yield
        finally:
            file_keyring.FileKeyring.in_use = False
            keyring.core._keyring_backend = previous

    def env(self, crash_at: str | None = None) -> dict[str, str]:
        env = {
            **os.environ, "HYPEROTA_HOME": str(self.path), "PYTHONPATH": str(ROOT),
            "PYTHON_KEYRING_BACKEND": file_keyring.BACKEND, file_keyring.ENV: str(self.keyring),
        }  # fmt: skip
        env.pop("HYPEROTA_CRASH_AT", None)
        if crash_at:
            env["HYPEROTA_CRASH_AT"] = crash_at
        return env

    def cli(self, *argv: str, crash_at: str | None = None, timeout: float = 120) -> Run:
        """Run `hyperota ARGV` as a process (killed at `crash_at`, if given) and wait for it."""
        result = subprocess.run(
            [sys.executable, "-m", "tests.support.crash_cli", *argv], cwd=ROOT, env=self.env(crash_at),
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        return Run(tuple(argv), result.returncode, result.stdout, result.stderr)

    def popen(self, *argv: str, crash_at: str | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.support.crash_cli", *argv], cwd=ROOT, env=self.env(crash_at),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    @contextlib.asynccontextmanager
    async def services(self) -> AsyncIterator[ProfileServices]:
        """The profile's services built in this process, as the CLI builds them (closed afterwards)."""
        with self.keyring_in_use():
            app = build_services(AppDirs.under(self.path))
            try:
                yield app.profile()
            finally:
                await app.aclose()

    def journal(self) -> list[SagaRecord]:
        return Journal(self.path / "data" / "journal.sqlite3").list(limit=10_000)
