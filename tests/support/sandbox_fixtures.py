"""What the sandboxed test areas (tests/orgs, tests/releases, tests/reliability) share: each area's
conftest imports these and gives its own `sb` (the sandbox, scoped as that area needs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Protocol, TypeVar

import pytest

from hyperota_desktop.sandbox.runtime import Sandbox


class Closable(Protocol):
    async def aclose(self) -> None: ...


Env = TypeVar("Env", bound=Closable)


@pytest.fixture(autouse=True)
def _no_faults_left(sb: Sandbox) -> Iterator[None]:
    """The faults a test injects end with it: the next test of the module meets healthy servers."""
    yield
    for server in sb.servers.values():
        server.faults.clear()


@asynccontextmanager
async def user_envs(make: Callable[[str], Env]) -> AsyncIterator[Callable[[str], Env]]:
    """An `as_user(username)` for a test: each call makes that user's environment; all are closed after."""
    made: list[Env] = []

    def as_user(username: str) -> Env:
        env = make(username)
        made.append(env)
        return env

    try:
        yield as_user
    finally:
        for env in made:
            await env.aclose()
