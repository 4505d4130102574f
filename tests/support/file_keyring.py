"""A keyring backend in a JSON file, for CLI processes started by tests (never for the application).

The `hyperota` processes the reliability suite starts (and kills) need the tokens and AWS keys a
sign-in leaves, across processes, without a desktop keyring: they run with
`PYTHON_KEYRING_BACKEND=tests.support.file_keyring.FileKeyring` and `HYPEROTA_TEST_KEYRING=<file>`.
Plain text on purpose: only throwaway sandbox credentials of a test's temporary folder go there.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

ENV = "HYPEROTA_TEST_KEYRING"
BACKEND = f"{__name__}.FileKeyring"


class FileKeyring(KeyringBackend):
    in_use = False  # set by a test that uses it in its own process (tests/reliability/harness.py)

    @properties.classproperty
    def priority(cls) -> float:
        """Never chosen on its own (keyring tries every backend class): only when named or in use."""
        if ENV not in os.environ and not cls.in_use:
            raise RuntimeError(f"only for test processes with {ENV}")
        return 1

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self.path = Path(path or os.environ.get(ENV, "/nonexistent/keyring.json"))

    def _update(self, change: object) -> dict[str, str]:
        """Read (and with `change`, rewrite) the file under an exclusive lock: processes share it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            fh.seek(0)
            text = fh.read()
            data: dict[str, str] = json.loads(text) if text.strip() else {}
            if callable(change):
                change(data)
                fh.seek(0)
                fh.truncate()
                fh.write(json.dumps(data, sort_keys=True))
            return data

    def get_password(self, service: str, username: str) -> str | None:
        return self._update(None).get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        self._update(lambda data: data.__setitem__(f"{service}\0{username}", password))

    def delete_password(self, service: str, username: str) -> None:
        key = f"{service}\0{username}"
        if key not in self._update(None):
            raise PasswordDeleteError(username)
        self._update(lambda data: data.pop(key, None))
