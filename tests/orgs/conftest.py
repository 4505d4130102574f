"""Each test module gets its own sandbox: these tests create, break and delete a lot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.sandbox.runtime import Sandbox
from tests.support.org_env import OrgEnv, make_env


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox.start() as running:
        yield running


@pytest.fixture(autouse=True)
def _no_faults_left(sb: Sandbox) -> Iterator[None]:
    yield
    for server in sb.servers.values():
        server.faults.clear()


@pytest.fixture
async def env(sb: Sandbox, tmp_path: Path) -> AsyncIterator[OrgEnv]:
    e = make_env(sb, "alice", tmp_path)
    yield e
    await e.aclose()


@pytest.fixture
async def as_user(sb: Sandbox, tmp_path: Path) -> AsyncIterator[Any]:
    made: list[OrgEnv] = []

    def make(username: str) -> OrgEnv:
        e = make_env(sb, username, tmp_path / username)
        made.append(e)
        return e

    yield make
    for e in made:
        await e.aclose()
