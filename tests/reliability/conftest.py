"""One sandbox for the reliability suite, and a signed-in home per test (copied from one template)."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperota_desktop.sandbox.runtime import Sandbox
from tests.reliability.harness import Home
from tests.support.sandbox_fixtures import _no_faults_left  # noqa: F401 (an autouse fixture)

_names = itertools.count()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make test` runs a sample of the matrix (every route family, every saga kind); the rest, marked
    `matrix`, runs only when asked for by `-m matrix` (`make reliability`, called by .ci/run)."""
    if "matrix" in (config.getoption("markexpr") or ""):
        return
    rest = [item for item in items if item.get_closest_marker("matrix")]
    if rest:
        config.hook.pytest_deselected(items=rest)
        items[:] = [item for item in items if not item.get_closest_marker("matrix")]


@pytest.fixture(scope="package")
def sb() -> Iterator[Sandbox]:
    with Sandbox.start() as running:
        yield running


@pytest.fixture(scope="package")
def template(sb: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Home:
    return Home.template(tmp_path_factory.mktemp("template") / "home", sb)


@pytest.fixture
def home(template: Home, tmp_path: Path) -> Home:
    return template.copy(tmp_path / "home")


def fresh_org() -> str:
    """A new organisation name of fixed shape (no name is a prefix of another: see invariants.stem)."""
    return f"r{next(_names):03d}{secrets.token_hex(2)}x"
