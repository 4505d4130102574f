"""Faults on every backend and route family, through the emulators' fault API, against the services the
app builds (the composition root, as the CLI and the GUI use it).

A fault matrix: every route family the client uses by 5xx, 429 with Retry-After, latency, a dropped
connection and a timeout (the request timeout is 1 s here). What must happen:
  - a request the server cannot have acted on (any 429; GET, PUT, DELETE; S3 and KMS calls, which are
    all idempotent) is retried with backoff, honouring Retry-After, and the operation succeeds;
  - a create (POST) that may have been done is not repeated: the operation fails with a typed error that
    names the backend, and its saga leaves nothing half-made;
  - Superposition's 409 (workspace locked) is waited out, its 512 (saved, a webhook failed) is a success
    with a warning.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.errors import BackendUnavailable, HyperOtaError
from hyperota_desktop.domain.membership import MemberScope, parse_level
from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.profile_services import ProfileServices
from hyperota_desktop.services.saga import SagaFailed, SagaStuck
from hyperota_desktop.stores.settings import SettingsStore
from tests.reliability.conftest import fresh_org
from tests.reliability.harness import Home
from tests.reliability.invariants import audit, experiments, members
from tests.support import bundles

TIMEOUT = 1  # network/timeout_s of this module's home
S3_BUSY = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
KMS_BUSY = '{"__type": "KMSInternalException", "message": "injected"}'


@dataclass(frozen=True)
class Fault:
    name: str
    spec: dict[str, Any]
    slow: float = 0.0  # the operation takes at least this long (Retry-After honoured)


def _faults(route: str) -> list[Fault]:
    if route.startswith("s3"):  # each backend's own words for "busy"
        body: dict[str, Any] = {"body": S3_BUSY, "content_type": "application/xml"}
    elif route.startswith("kms"):
        body = {"body": KMS_BUSY, "content_type": "application/x-amz-json-1.1"}
    else:
        body = {"body": {"message": "injected fault"}}
    return [
        Fault("5xx", {"status": 503, "times": 2, **body}),
        Fault("429+Retry-After", {"status": 429, "times": 1, "headers": {"Retry-After": "1"}, **body}, 0.9),
        Fault("latency", {"status": 0, "delay": 0.4, "times": 2}, 0.4),
        Fault("dropped", {"drop": True, "times": 1}),
        Fault("timeout", {"status": 0, "delay": TIMEOUT + 0.5, "times": 1}, TIMEOUT),
    ]


@dataclass
class Faulty:
    """One test: the module's organisation, this test's services, the sandbox."""

    sb: Sandbox
    s: ProfileServices
    org: str
    tmp: Path

    async def app(self, name: str, *, package: bool = False) -> str:
        await self.s.orgs.create_app(self.org, name)
        if package:
            root = bundles.react_native(self.tmp / f"b-{name}")
            await self.s.packages.publish(self.org, name, [root])
        return name


Op = Callable[[Faulty], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    """A route family: where the fault goes, and an operation that uses it."""

    name: str
    server: str
    method: str
    path: str
    op: Op
    prepare: Op | None = None
    safe: bool = True  # the request may be repeated: faults are survived


# -- operations ---------------------------------------------------------------------------------------
async def list_orgs(f: Faulty) -> None:
    assert f.org in {o.name for o in await f.s.orgs.list_orgs()}


async def add_member(f: Faulty) -> None:
    await f.s.members.add(_scope(f), "dave", _level("read"))
    assert "dave" in members(f.sb, f"/{f.org}/read")
    await f.s.members.remove(_scope(f), "dave")


async def create_app(f: Faulty) -> str:
    app = f"a{time.monotonic_ns() % 10**8}"
    await f.s.orgs.create_app(f.org, app)
    return app


async def renew_sign_in(f: Faulty) -> None:
    stale = await f.s.auth.access_token()
    assert await f.s.auth.refresh_after_unauthorized(stale) != stale


async def identity(f: Faulty) -> None:
    f.s.authz.reset()
    assert (await f.s.authz.identity()).username == "alice"


async def workspace_lookup(f: Faulty) -> None:
    assert await f.s.orgs.workspace_of(f.org, "pkg")


async def list_releases(f: Faulty) -> None:
    f.s.releases.forget()
    page = await f.s.releases.page(f.org, "pkg")
    assert page.total >= 0


async def create_release(f: Faulty) -> None:
    created = await f.s.releases.create(f.org, "rel", ReleaseDraft(package="2", notes=str(time.time_ns())))
    await f.s.releases.discard(f.org, "rel", created.release.id)  # the target is free for the next one


async def prepare_release_app(f: Faulty) -> None:
    """An application past its first release (a first one is concluded at once: not discardable)."""
    if "rel" not in {a.name for a in await f.s.orgs.list_apps(f.org)}:
        await f.app("rel", package=True)
        await f.s.releases.create(f.org, "rel", ReleaseDraft(package="1"))
        await f.s.packages.publish(f.org, "rel", [bundles.react_native(f.tmp / "rel-2", seed=b"2")])


async def ramp(f: Faulty) -> None:
    release = [e for e in experiments(f.sb, f.org, "ramp") if e["status"] in ("CREATED", "INPROGRESS")][-1]
    percent = 20 if release.get("traffic_percentage") == 10 else 10  # always a change to send
    result = await f.s.releases.ramp(f.org, "ramp", str(release["id"]), percent)
    assert result.release.traffic == percent


async def prepare_ramp(f: Faulty) -> None:
    if "ramp" not in {a.name for a in await f.s.orgs.list_apps(f.org)}:
        await f.app("ramp", package=True)
        await f.s.releases.create(f.org, "ramp", ReleaseDraft(package="1"))  # the first: concluded
        root = bundles.react_native(f.tmp / "ramp-2", seed=b"2")
        await f.s.packages.publish(f.org, "ramp", [root])
    if not [e for e in experiments(f.sb, f.org, "ramp") if e["status"] in ("CREATED", "INPROGRESS")]:
        await f.s.releases.create(f.org, "ramp", ReleaseDraft(package="2"))


async def list_packages(f: Faulty) -> None:
    assert await f.s.packages.list_versions(f.org, "pkg") != []


async def publish_small(f: Faulty) -> None:
    root = bundles.react_native(f.tmp / "small", seed=str(time.monotonic_ns()).encode())
    assert (await f.s.packages.publish(f.org, "pkg", [root])).version > 1


async def publish_parts(f: Faulty) -> None:
    big = str(time.monotonic_ns()).encode() * 1_200_000  # a few parts of 5 MiB
    root = bundles.write(f.tmp / "big", {"index.android.bundle": big})
    assert (await f.s.packages.publish(f.org, "pkg", [root])).version > 1


async def delete_app(f: Faulty) -> None:
    app = await f.app(f"d{time.monotonic_ns() % 10**8}", package=True)
    await f.s.orgs.delete_app(f.org, app)
    assert app not in {a.name for a in await f.s.orgs.list_apps(f.org)}


async def kms_sign(f: Faulty) -> None:
    archive = f.tmp / "signed.hota"
    await f.s.archives.build([bundles.react_native(f.tmp / "arch")], archive, org=f.org, app="pkg")
    await f.s.archives.sign(archive)


def _scope(f: Faulty) -> MemberScope:
    return MemberScope(f.org)


def _level(name: str) -> AccessLevel:
    return parse_level(name)


REALM = "/admin/realms/hyperota"
TOKEN = "/protocol/openid-connect/token$"
ROUTES = [
    Route("keycloak: list groups", "keycloak", "GET", f"^{REALM}/groups$", list_orgs),
    Route("keycloak: membership", "keycloak", "PUT", f"^{REALM}/users/[^/]+/groups/", add_member),
    Route("keycloak: create group", "keycloak", "POST", f"^{REALM}/groups/[^/]+/children$", create_app,
          safe=False),
    Route("keycloak: renew the sign-in", "keycloak", "POST", TOKEN, renew_sign_in),
    Route("keycloak: account groups", "keycloak", "GET", "/account/groups$", identity),
    Route("superposition: read a workspace", "superposition", "GET", "^/workspaces/[^/]+$", create_app),
    Route("superposition: create workspace", "superposition", "POST", "^/workspaces$", create_app,
          safe=False),
    Route("superposition: list experiments", "superposition", "GET", "^/experiments", list_releases),
    Route("superposition: create experiment", "superposition", "POST", "^/experiments$", create_release,
          prepare_release_app, safe=False),
    Route("superposition: ramp", "superposition", "PATCH", "/ramp$", ramp, prepare_ramp, safe=False),
    Route("s3: list objects", "aws", "GET", "^/hyperota$", list_packages),
    Route("s3: put object", "aws", "PUT", "/files/sha256/", publish_small),
    Route("s3: multipart parts", "aws", "PUT", "/files/sha256/", publish_parts),
    Route("s3: batch delete", "aws", "POST", "^/hyperota$", delete_app),
    Route("kms: sign", "aws", "POST", "^/$", kms_sign),
]  # fmt: skip
CASES = [(route, fault) for route in ROUTES for fault in _faults(route.name)]


def _case(route: Route, fault: Fault) -> Any:
    """Every route family meets one fault in `make test` (the fault kinds in turn); the rest is `matrix`."""
    sampled = ROUTES.index(route) % 5 == [f.name for f in _faults(route.name)].index(fault.name)
    marks = () if sampled else (pytest.mark.matrix,)
    return pytest.param(route, fault, marks=marks, id=f"{route.name} / {fault.name}")


@pytest.fixture(scope="module")
def faulty_home(template: Home, sb: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    home = template.copy(tmp_path_factory.mktemp("faults") / "home")
    SettingsStore(home.path / "config" / "settings.json").set("network/timeout_s", TIMEOUT)
    org = fresh_org()

    async def prepare() -> None:
        async with home.services() as s:
            await s.orgs.create_org(org)
            await Faulty(sb, s, org, home.path).app("pkg", package=True)

    asyncio.run(prepare())
    home.org = org  # type: ignore[attr-defined]
    yield home


@pytest.mark.slow
@pytest.mark.parametrize(("route", "fault"), [_case(r, f) for r, f in CASES])
async def test_a_fault(route: Route, fault: Fault, faulty_home: Home, sb: Sandbox, tmp_path: Path) -> None:
    org: str = faulty_home.org  # type: ignore[attr-defined]
    async with faulty_home.services() as s:
        f = Faulty(sb, s, org, tmp_path)
        if route.prepare is not None:
            await route.prepare(f)
        await s.auth.access_token()  # a fresh token first: the renewal fault is for the renewal asked below
        faults = sb.servers[route.server].faults
        spec = dict(fault.spec)
        done_first = not route.safe and fault.name in ("timeout",)
        if done_first:  # the server did it, its answer came too late: the client must undo it
            spec["apply"] = True
        faults.add(route.path, method=route.method, **spec)
        started = time.monotonic()
        try:
            await route.op(f)
        except HyperOtaError as exc:
            outcome: HyperOtaError | None = exc
        else:
            outcome = None
        took = time.monotonic() - started
        hits = [h for h in faults.hits if h[0] == route.method]
        faults.clear()
        faults.hits.clear()
        assert hits, f"the fault on {route.method} {route.path} was never hit"
        survived = route.safe or fault.name == "429+Retry-After" or fault.name == "latency"
        if survived:
            assert outcome is None, f"{route.name} did not survive {fault.name}: {outcome!r}"
            assert took >= fault.slow, f"{route.name}: {fault.name} was not waited out ({took:.2f}s)"
        else:
            assert outcome is not None, f"{route.name} / {fault.name}: a lost create was repeated"
            cause = outcome.cause if isinstance(outcome, SagaFailed) else outcome
            assert isinstance(cause, BackendUnavailable), f"{route.name} / {fault.name}: {outcome!r}"
            assert not isinstance(outcome, SagaStuck), outcome  # undone, entirely
            assert any(w in outcome.message for w in ("Keycloak", "Superposition", "S3", "KMS")), outcome
        assert audit(sb, org, journal=faulty_home.journal()) == []


# -- Superposition's own answers ------------------------------------------------------------------------
# The 409 of a busy workspace, as v0.117.1 answers it (crates/service_utils/src/workspace_lock.rs:
# WorkspaceLockConflictBody, the lock as superposition_types::api::workspace::WorkspaceLock).
LOCK = {
    "message": "Workspace is busy with another write request; retry later",
    "lock": {"lock_id": "5f0e7d1c-2b9a-4c57-9a53-0d5b8f3e2a11", "operation": "context bulk operation",
             "locked_by": "someone@example.com", "acquired_at": "2026-01-01T00:00:00Z",
             "expires_at": "2026-01-01T00:01:00Z"},
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.server == "superposition" and r.method != "GET"], ids=lambda r: r.name
)
async def test_a_locked_workspace_is_waited_out(
    route: Route, faulty_home: Home, sb: Sandbox, tmp_path: Path
) -> None:
    org: str = faulty_home.org  # type: ignore[attr-defined]
    async with faulty_home.services() as s:
        f = Faulty(sb, s, org, tmp_path)
        if route.prepare is not None:
            await route.prepare(f)
        faults = sb.servers["superposition"].faults
        faults.add(route.path, method=route.method, status=409, body=LOCK, times=2)
        await route.op(f)
        assert not faults.pending()
    assert audit(sb, org, journal=faulty_home.journal()) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.server == "superposition" and r.method != "GET"], ids=lambda r: r.name
)
async def test_a_failed_webhook_is_a_success_with_a_warning(
    route: Route, faulty_home: Home, sb: Sandbox, tmp_path: Path
) -> None:
    """512: the write happened, a webhook after it failed. v0.117.1 answers with the usual body under
    status 512 (e.g. crates/experimentation_platform/src/api/experiments/handlers.rs, create): the
    emulator does the write and answers with its own body, status 512."""
    org: str = faulty_home.org  # type: ignore[attr-defined]
    async with faulty_home.services() as s:
        f = Faulty(sb, s, org, tmp_path)
        if route.prepare is not None:
            await route.prepare(f)
        warned = len(s.orgs.backends.superposition.warnings)
        sb.servers["superposition"].faults.add(
            route.path, method=route.method, status=512, body=None, apply=True, times=1
        )
        await route.op(f)
        assert any("webhook failed" in w for w in s.orgs.backends.superposition.warnings[warned:])
    assert audit(sb, org, journal=faulty_home.journal()) == []
