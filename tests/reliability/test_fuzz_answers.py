"""Property-based fuzzing of what the servers answer, over real HTTP: the emulator's fault API replaces a
200 answer with a fuzzed body (the real answer broken in up to three places, or any JSON, or text),
and the service that reads it ends in a result or a typed error (HyperOtaError), never another
exception. Keycloak groups and account groups, Superposition workspaces and experiments, S3 manifests
and tags: the answers the client parses. (Token, device and discovery answers: tests/services/signin/
test_hostile_answers.py.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperota_desktop.domain.errors import HyperOtaError
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.profile_services import ProfileServices
from tests.reliability.conftest import fresh_org
from tests.reliability.fuzzing import FUZZ, any_json, broken
from tests.reliability.harness import Home
from tests.reliability.test_fuzz_documents import EXPERIMENT, MANIFEST
from tests.support import bundles

Read = Callable[[ProfileServices, str], Awaitable[Any]]


Read = Callable[[ProfileServices, str], Awaitable[Any]]
REALM = "/admin/realms/hyperota"


async def _list_orgs(s: ProfileServices, org: str) -> Any:
    return await s.orgs.list_orgs()


async def _identity(s: ProfileServices, org: str) -> Any:
    s.authz.reset()
    return await s.authz.identity()


async def _releases(s: ProfileServices, org: str) -> Any:
    s.releases.forget()
    return await s.releases.page(org, "shop")


async def _manifest(s: ProfileServices, org: str) -> Any:
    return await s.packages.show(org, "shop", 1)


async def _tags(s: ProfileServices, org: str) -> Any:
    return await s.packages.tags(org, "shop")


_GROUP = {
    "id": "6f1c", "name": "acme", "path": "/acme", "subGroupCount": 1, "attributes": {"k": ["v"]},
    "subGroups": [{"id": "7a2d", "name": "owner", "path": "/acme/owner", "subGroups": []}],
}  # fmt: skip
# (server, fault path, a real answer's shape, what reads it)
ANSWERS: dict[str, tuple[str, str, Any, Read]] = {
    "keycloak groups": ("keycloak", f"^{REALM}/groups$", [_GROUP], _list_orgs),
    "keycloak account groups": ("keycloak", "/account/groups$", [{"id": "1", "name": "owner",
                                "path": "/acme/owner"}], _identity),
    "superposition experiments": ("superposition", "^/experiments$", {"total_items": 1, "total_pages": 1,
                                  "data": [EXPERIMENT]}, _releases),
    "s3 manifest": ("aws", r"/packages/00000001\.json$", MANIFEST, _manifest),
    "s3 tag": ("aws", r"/tags/beta\.json$", {"tag": "beta", "version": 1}, _tags),
}  # fmt: skip


@pytest.fixture(scope="module")
def answered(template: Home, sb: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, str]:
    """An organisation with application `shop` and package 1 tagged beta; a home of alice."""
    home = template.copy(tmp_path_factory.mktemp("answers") / "home")
    org = fresh_org()

    async def prepare() -> None:
        async with home.services() as s:
            await s.orgs.create_org(org)
            await s.orgs.create_app(org, "shop")
            await s.packages.publish(org, "shop", [bundles.react_native(home.path / "bundle")], tag="beta")

    asyncio.run(prepare())
    return home, org


@st.composite
def _answers(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(ANSWERS)))
    real = ANSWERS[name][2]
    body = draw((broken(real) | any_json).map(json.dumps) | st.text(max_size=40))
    return name, body


@settings(FUZZ, max_examples=30)
@given(answer=_answers())
async def test_fuzz_server_answers(answer: tuple[str, str], answered: tuple[Home, str], sb: Sandbox) -> None:
    name, body = answer
    server, path, _real, read = ANSWERS[name]
    home, org = answered
    faults = sb.servers[server].faults
    faults.clear()
    faults.add(path, method="GET", status=200, body=body, times=1)
    try:
        async with home.services() as s:
            await read(s, org)
    except HyperOtaError as exc:
        assert exc.message
    finally:
        unused = faults.pending()
        faults.clear()
    assert not unused, f"{name}: the answer was never asked for"
