"""Issue 16.2: a new person never sees the previous one's cached decisions.

The authorizer keeps an identity for 30 s. When the person changes (sign-out, someone else signs in,
the sign-in ends) it is reset; a read of the previous person's memberships still in flight at that
moment must not become the new person's identity. Runs the app's own wiring on the sandbox over HTTP.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from hyperota_desktop.app.container import build_services
from hyperota_desktop.domain.access import Action
from hyperota_desktop.domain.errors import AuthError
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.stores.dirs import AppDirs
from tests.support.signin import sign_in


def _services(tmp_path: Path, sandbox: Sandbox) -> AppServices:
    services = build_services(AppDirs.under(tmp_path / "home"))
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(sandbox.endpoints))
    services.profiles.import_file(endpoints, name="sb")
    services.profiles.use("sb")
    return services


async def _device_sign_in(sandbox: Sandbox, services: AppServices, username: str) -> None:
    interval = sandbox.keycloak.poll_interval
    sandbox.keycloak.set_auto_approve(username)
    sandbox.keycloak.poll_interval = 1  # a quick device flow
    try:
        await services.profile().auth.login()
    finally:
        sandbox.keycloak.set_auto_approve(None)
        sandbox.keycloak.poll_interval = interval


async def test_the_previous_persons_decisions_are_gone_at_once(tmp_path: Path, sandbox: Sandbox) -> None:
    services = _services(tmp_path, sandbox)
    sign_in(sandbox, "sb", "alice")
    profile = services.profile()
    try:
        await profile.authz.require(Action.MANAGE_ORG_MEMBERS, "demo")  # alice owns demo; kept 30 s
        await profile.auth.logout()
        assert profile.authz.current is None
        assert not profile.authz.known(Action.MANAGE_ORG_MEMBERS, "demo").allowed
        await _device_sign_in(sandbox, services, "bob")
        decision = await profile.authz.permission(Action.MANAGE_ORG_MEMBERS, "demo")
        assert not decision.allowed and "read" in decision.reason, decision  # bob reads demo
        assert (await profile.authz.identity()).username == "bob"
    finally:
        await services.aclose()


async def test_a_read_for_the_previous_person_in_flight_is_never_kept(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """alice's memberships are being read (slowly) when she signs out and bob signs in: that read must
    not become the identity bob's decisions are made on for the next 30 s."""
    services = _services(tmp_path, sandbox)
    sign_in(sandbox, "sb", "alice")
    profile = services.profile()
    try:
        assert (await profile.authz.identity()).username == "alice"
        sandbox.servers["keycloak"].faults.add(
            "/account/groups$", method="GET", apply=True, status=0, delay=0.6, times=1
        )
        alices = asyncio.create_task(profile.authz.identity(fresh=True))
        await asyncio.sleep(0.2)  # her read is on its way
        await profile.auth.logout()
        with pytest.raises(AuthError):  # read again for whoever is signed in now: nobody
            await asyncio.wait_for(alices, 5)  # it ends before bob has signed in
        assert profile.authz.current is None, profile.authz.current
        await _device_sign_in(sandbox, services, "bob")
        assert (await profile.authz.identity()).username == "bob"
        decision = await profile.authz.permission(Action.MANAGE_ORG_MEMBERS, "demo")
        assert not decision.allowed, "bob was given alice's cached decision"
    finally:
        await services.aclose()
