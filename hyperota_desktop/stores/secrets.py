"""Secrets (tokens, static AWS keys) in the OS keyring, per profile; memory only when no keyring exists.

Never a plaintext file: if the keyring is missing or broken, values live in this process only and
`persistent` is False so the UI can say so. Calls are blocking (D-Bus): run them off the UI thread.

`prefetch` reads a few entries on a thread of their own at a command's start (each read is a D-Bus
round trip of tens of milliseconds, and keyring's backend choice costs more), while the command imports
its modules: the first `get` of each entry takes that read's value, later ones ask the keyring again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

SERVICE = "hyperota-desktop"
log = logging.getLogger("hyperota.stores.secrets")


def _usable(backend: KeyringBackend) -> bool:
    priority = getattr(backend, "priority", 0)
    module = type(backend).__module__
    # keyrings.alt's file backends write plaintext or weakly encrypted files: never use them.
    return bool(priority and priority > 0) and not module.startswith(
        ("keyring.backends.fail", "keyrings.alt")
    )


class SecretStore:
    def __init__(self, service: str = SERVICE) -> None:
        self._service = service
        self._memory: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self._resolving = threading.Lock()
        self._resolved = False
        self._backend_obj: KeyringBackend | None = None
        self._prefetched: dict[tuple[str, str], Future[str | None]] = {}

    @property
    def _backend(self) -> KeyringBackend | None:
        """Resolved on first use: asking D-Bus for a keyring can be slow, and many commands need none."""
        if not self._resolved:
            with self._resolving:  # a prefetch thread and the caller's thread: one choice
                if not self._resolved:
                    backend = keyring.get_keyring()
                    self._backend_obj = backend if _usable(backend) else None
                    self._resolved = True
                    if self._backend_obj is None:
                        log.warning(
                            "No usable OS keyring (%s): secrets are kept in memory only.",
                            type(backend).__name__,
                        )
        return self._backend_obj

    @_backend.setter
    def _backend(self, value: KeyringBackend | None) -> None:
        self._backend_obj = value
        self._resolved = True

    @property
    def persistent(self) -> bool:
        return self._backend is not None

    @property
    def backend_name(self) -> str:
        return type(self._backend).__name__ if self._backend else "memory"

    def _fallback(self, exc: Exception) -> None:
        log.warning("Keyring failed (%s); keeping secrets in memory for this session.", type(exc).__name__)
        self._backend = None

    def prefetch(self, profile: str, keys: Sequence[str]) -> None:
        """Read `keys` of `profile` on daemon threads now; the next `get` of each takes its value."""
        futures: list[tuple[str, Future[str | None]]] = []
        with self._lock:
            for key in keys:
                future: Future[str | None] = Future()
                self._prefetched[(profile, key)] = future
                futures.append((key, future))

        def read(key: str, future: Future[str | None]) -> None:
            try:  # a failure here (D-Bus busy with the reads beside it) is the `get`'s to retry, once
                future.set_result(self._read(profile, key, fall_back=False))
            except BaseException as exc:  # the `get` that takes it reads again
                future.set_exception(exc)

        for key, future in futures:  # side by side: each is a D-Bus connection and a few round trips
            threading.Thread(target=read, args=(key, future), name="keyring-prefetch", daemon=True).start()

    def _forget_prefetched(self, profile: str, key: str) -> None:
        with self._lock:
            self._prefetched.pop((profile, key), None)

    def get(self, profile: str, key: str) -> str | None:
        with self._lock:
            prefetched = self._prefetched.pop((profile, key), None)
        if prefetched is not None:
            try:
                return prefetched.result()
            except Exception:
                log.debug("the prefetched keyring read failed; reading again")
        return self._read(profile, key)

    def _read(self, profile: str, key: str, *, fall_back: bool = True) -> str | None:
        """The entry from the keyring; a keyring error makes this process keep secrets in memory
        (`_fallback`), except with `fall_back=False` (a prefetch), where it is raised."""
        if self._backend is not None:
            try:
                return self._backend.get_password(self._service, f"{profile}/{key}")
            except keyring.errors.KeyringError as exc:
                if not fall_back:
                    raise
                self._fallback(exc)
        with self._lock:
            return self._memory.get((profile, key))

    def set(self, profile: str, key: str, value: str) -> None:
        self._forget_prefetched(profile, key)
        if self._backend is not None:
            try:
                self._backend.set_password(self._service, f"{profile}/{key}", value)
                return
            except keyring.errors.KeyringError as exc:
                self._fallback(exc)
        with self._lock:
            self._memory[(profile, key)] = value

    def delete(self, profile: str, key: str) -> None:
        self._forget_prefetched(profile, key)
        with self._lock:
            self._memory.pop((profile, key), None)
        if self._backend is not None:
            try:
                self._backend.delete_password(self._service, f"{profile}/{key}")
            except keyring.errors.PasswordDeleteError:
                pass
            except keyring.errors.KeyringError as exc:
                self._fallback(exc)
