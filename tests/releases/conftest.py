"""Each test module gets its own sandboxes: Superposition v0.117 (current) and v0.74 (the mid-2025
deployments; no identifier bucketing, no four-eyes setting, no repair endpoint). Releases create a lot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from hyperota_desktop.sandbox.runtime import Sandbox
from tests.support.release_env import ReleaseEnv, make_release_env
from tests.support.sandbox_fixtures import _no_faults_left, user_envs  # noqa: F401 (an autouse fixture)

BUILDS = ["0.117", "0.74"]


@pytest.fixture(scope="module", params=BUILDS)
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with Sandbox.start(build=request.param) as running:
        yield running


@pytest.fixture
async def alice(sb: Sandbox, tmp_path: Path) -> AsyncIterator[ReleaseEnv]:
    env = make_release_env(sb, "alice", tmp_path / "alice")
    yield env
    await env.aclose()


@pytest.fixture
async def as_user(sb: Sandbox, tmp_path: Path) -> AsyncIterator[Callable[[str], ReleaseEnv]]:
    async with user_envs(lambda username: make_release_env(sb, username, tmp_path / username)) as make:
        yield make
