"""Secrets (tokens, static AWS keys) in the OS keyring, per profile; memory only when no keyring exists.

Never a plaintext file: if the keyring is missing or broken, values live in this process only and
`persistent` is False so the UI can say so. Calls are blocking (D-Bus): run them off the UI thread.
"""

from __future__ import annotations

import logging
import threading

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
        self._resolved = False
        self._backend_obj: KeyringBackend | None = None

    @property
    def _backend(self) -> KeyringBackend | None:
        """Resolved on first use: asking D-Bus for a keyring can be slow, and many commands need none."""
        if not self._resolved:
            backend = keyring.get_keyring()
            self._backend_obj = backend if _usable(backend) else None
            self._resolved = True
            if self._backend_obj is None:
                log.warning(
                    "No usable OS keyring (%s): secrets are kept in memory only.", type(backend).__name__
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

    def get(self, profile: str, key: str) -> str | None:
        if self._backend is not None:
            try:
                return self._backend.get_password(self._service, f"{profile}/{key}")
            except keyring.errors.KeyringError as exc:
                self._fallback(exc)
        with self._lock:
            return self._memory.get((profile, key))

    def set(self, profile: str, key: str, value: str) -> None:
        if self._backend is not None:
            try:
                self._backend.set_password(self._service, f"{profile}/{key}", value)
                return
            except keyring.errors.KeyringError as exc:
                self._fallback(exc)
        with self._lock:
            self._memory[(profile, key)] = value

    def delete(self, profile: str, key: str) -> None:
        with self._lock:
            self._memory.pop((profile, key), None)
        if self._backend is not None:
            try:
                self._backend.delete_password(self._service, f"{profile}/{key}")
            except keyring.errors.PasswordDeleteError:
                pass
            except keyring.errors.KeyringError as exc:
                self._fallback(exc)
