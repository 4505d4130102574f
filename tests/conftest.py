"""Shared fixtures: every test gets its own profile folder and an in-memory keyring."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import pytest

from tests.support.memkeyring import MemoryKeyring

pytest_plugins = ["tests.support.gui", "tests.support.aws"]  # `loop` (qasync), `aws` (moto)

if TYPE_CHECKING:
    from hyperota_desktop.sandbox.runtime import Sandbox

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "hyperota-home"
    monkeypatch.setenv("HYPEROTA_HOME", str(home))
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """The whole sandbox (Keycloak, Superposition `current`, AWS), shared by the session.

    Nothing is auto-approved: call `sandbox.keycloak.set_auto_approve("alice")` (and reset it to None)
    in tests that sign in. AWS state is process-global and shared with `sandbox_2025`.
    """
    from hyperota_desktop.sandbox.runtime import Sandbox

    with Sandbox.start(auto_approve=None) as running:
        yield running


@pytest.fixture(scope="session")
def sandbox_2025() -> Iterator[Sandbox]:
    """Like `sandbox`, with the Superposition emulator as build v0.74.0 (the "2025" dialect)."""
    from hyperota_desktop.sandbox.runtime import Sandbox

    with Sandbox.start(auto_approve=None, dialect="2025") as running:
        yield running


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
