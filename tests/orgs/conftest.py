"""Each test module gets its own sandbox: these tests create, break and delete a lot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from hyperota_desktop.sandbox.runtime import Sandbox
from tests.support.org_env import OrgEnv, make_env
from tests.support.sandbox_fixtures import _no_faults_left, user_envs  # noqa: F401 (an autouse fixture)


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox.start() as running:
        yield running


@pytest.fixture
async def env(sb: Sandbox, tmp_path: Path) -> AsyncIterator[OrgEnv]:
    e = make_env(sb, "alice", tmp_path)
    yield e
    await e.aclose()


@pytest.fixture
async def as_user(sb: Sandbox, tmp_path: Path) -> AsyncIterator[Callable[[str], OrgEnv]]:
    async with user_envs(lambda username: make_env(sb, username, tmp_path / username)) as make:
        yield make
