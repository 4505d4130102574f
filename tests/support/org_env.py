"""Org/app services wired to a sandbox over real HTTP, signed in as one of the seeded users.

Tokens come from the device flow against the Keycloak emulator (auto-approved for that user), so the
same bearer token works on Keycloak and Superposition, exactly as in the app.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx

from hyperota_desktop.domain.access import Identity, identity_from_claims
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.authz import Authorizer
from hyperota_desktop.services.http import ApiClient
from hyperota_desktop.services.keycloak_admin import KeycloakAdmin, token_claims
from hyperota_desktop.services.members import MemberService, register_member_sagas
from hyperota_desktop.services.org_sagas import OrgBackends, register_org_sagas
from hyperota_desktop.services.orgs import OrgService
from hyperota_desktop.services.saga import SagaRunner
from hyperota_desktop.services.storage import S3Objects
from hyperota_desktop.services.storage_cleanup import S3PrefixDeleter
from hyperota_desktop.services.superposition import SuperpositionClient
from hyperota_desktop.stores.journal import Journal

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_login_lock = asyncio.Lock()


def login(sandbox: Any, username: str) -> str:
    """An access token for `username` through the device flow (auto-approved for this one grant)."""
    oidc = f"{sandbox.issuer}/protocol/openid-connect"
    client = sandbox.keycloak.client_id
    sandbox.keycloak.set_auto_approve(username)
    try:
        grant = httpx.post(
            f"{oidc}/auth/device", data={"client_id": client, "scope": "openid profile email"}
        ).json()
    finally:
        sandbox.keycloak.set_auto_approve(None)
    data = {"grant_type": DEVICE_GRANT, "client_id": client, "device_code": grant["device_code"]}
    response = httpx.post(f"{oidc}/token", data=data)
    response.raise_for_status()
    return str(response.json()["access_token"])


class SandboxTokens:
    """TokenSource for tests: one device-flow login, a fresh one after a 401."""

    def __init__(self, sandbox: Any, username: str) -> None:
        self.sandbox = sandbox
        self.username = username
        self._token = login(sandbox, username)

    async def access_token(self) -> str:
        return self._token

    async def refresh_after_unauthorized(self, stale: str) -> str:
        self._token = await asyncio.to_thread(login, self.sandbox, self.username)
        return self._token


def s3_client(sandbox: Any) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=sandbox.aws.endpoint,
        region_name=sandbox.aws.region,
        aws_access_key_id=sandbox.aws.access_key_id,
        aws_secret_access_key=sandbox.aws.secret_access_key,
    )


@dataclass
class OrgEnv:
    sandbox: Any
    username: str
    runner: SagaRunner
    backends: OrgBackends
    orgs: OrgService
    members: MemberService
    profile: Profile
    folder: Path

    @property
    def sagas(self) -> SagaRunner:
        return self.runner

    @property
    def authz(self) -> Authorizer:
        return self.orgs.authz

    async def aclose(self) -> None:
        await self.backends.keycloak.aclose()
        await self.backends.superposition.aclose()


def make_env(sandbox: Any, username: str, folder: Path, *, journal: Journal | None = None) -> OrgEnv:
    tokens = SandboxTokens(sandbox, username)
    profile = Profile(
        name=f"test-{username}",
        issuer=sandbox.issuer,
        superposition_url=sandbox.superposition_url,
        superposition_org_id=sandbox.org_id,
        bucket=sandbox.aws.bucket,
        s3_endpoint=sandbox.aws.endpoint,
        key_prefix="tenants",
    )
    kc_api = ApiClient(profile.keycloak_base_url, service="Keycloak", tokens=tokens, retries=2, backoff=0.01)
    sp_api = ApiClient(
        sandbox.superposition_url, service="Superposition", tokens=tokens, retries=2, backoff=0.01
    )
    client = s3_client(sandbox)

    async def clients() -> Any:
        return client

    deleter = S3PrefixDeleter(S3Objects(clients, sandbox.aws.bucket))
    keycloak = KeycloakAdmin(profile.keycloak_base_url, profile.realm, tokens, api=kc_api)

    async def load_identity() -> Identity:  # as the app's composition root does
        claims = token_claims(await tokens.access_token())
        return identity_from_claims(claims, [g.path for g in await keycloak.my_groups()])

    backends = OrgBackends(
        keycloak=keycloak,
        superposition=SuperpositionClient(sandbox.superposition_url, tokens, api=sp_api, lock_backoff=0.01),
        delete_prefix=deleter,
        key_prefix=profile.key_prefix,
        count_prefix=deleter.count,
    )
    runner = SagaRunner(journal or Journal(folder / "journal.sqlite3"), actor=username)
    register_org_sagas(runner, lambda: backends)
    register_member_sagas(runner, lambda: backends.keycloak)
    orgs = OrgService(backends, runner, profile, Authorizer(load_identity))
    return OrgEnv(sandbox, username, runner, backends, orgs, MemberService(orgs, runner), profile, folder)
