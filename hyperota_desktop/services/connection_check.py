""" "Test connection" for a profile, saved or still in the editor: is each backend reachable and does it
answer as this profile expects? Reads only; nothing is created or changed.

- Sign-in (Keycloak): the issuer's OIDC discovery document, with the device grant (`auth.discovery`).
- Superposition: `GET /health` (every build has it), and the version it reports (`X-SERVER-VERSION`).
- S3: `HeadBucket` on the profile's bucket, with the profile's credentials.
- KMS: `DescribeKey` on the signing and data keys the profile names.

Web-identity credentials need a signed-in person, so S3 and KMS are not checked for them here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from hyperota_desktop.domain.errors import HyperOtaError
from hyperota_desktop.domain.profiles import AwsCredentialMode, Profile
from hyperota_desktop.services.auth.discovery import discover

TIMEOUT = 10.0
_AWS_CONFIG = Config(connect_timeout=5, read_timeout=TIMEOUT, retries={"max_attempts": 1})


@dataclass(frozen=True)
class BackendCheck:
    """One backend's answer: `ok` None = not checked (not configured, or needs a sign-in)."""

    backend: str
    ok: bool | None
    detail: str


async def check_connection(
    profile: Profile, static_keys: tuple[str, str] | None = None
) -> list[BackendCheck]:
    """Every backend of `profile`, checked side by side. `static_keys`: the keys of the static-keys
    mode (typed in the editor, or read from the keyring by the caller)."""
    # boto3 blocks: its calls run on threads of their own (not the event loop's default executor, which
    # under qasync is made of Qt threads), let go at once if the check is cancelled
    pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="connection-check")
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:  # TLS verification stays on
            checks: list[Awaitable[BackendCheck]] = [
                _keycloak(client, profile),
                _superposition(client, profile),
                _s3(profile, static_keys, pool),
                _kms(profile, static_keys, pool),
            ]
            return list(await asyncio.gather(*checks))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


async def _keycloak(client: httpx.AsyncClient, profile: Profile) -> BackendCheck:
    name = "Sign-in (Keycloak)"
    try:
        config = await discover(client, profile.issuer)
    except HyperOtaError as exc:
        return BackendCheck(name, False, exc.message)
    return BackendCheck(name, True, f"device sign-in offered at {config.device_authorization_endpoint}")


async def _superposition(client: httpx.AsyncClient, profile: Profile) -> BackendCheck:
    name = "Superposition"
    if not profile.superposition_url:
        return BackendCheck(name, None, "no Superposition URL in the profile")
    url = f"{profile.superposition_url.rstrip('/')}/health"
    try:
        response = await client.get(url)
    except httpx.HTTPError as exc:
        return BackendCheck(name, False, f"could not reach {url} ({type(exc).__name__})")
    if response.status_code != 200:
        return BackendCheck(name, False, f"GET {url} answered {response.status_code}")
    version = response.headers.get("X-SERVER-VERSION", "")
    return BackendCheck(name, True, f"healthy{f', version {version}' if version else ''}")


def _session(profile: Profile, static_keys: tuple[str, str] | None) -> boto3.Session | str:
    """The profile's AWS session, or why there is none to check with."""
    mode = profile.aws_credential_mode
    if mode is AwsCredentialMode.WEB_IDENTITY:
        return "web-identity credentials need a sign-in: checked when you use the profile"
    if mode is AwsCredentialMode.STATIC_KEYS:
        if not static_keys:
            return "static keys are not stored yet"
        return boto3.Session(
            aws_access_key_id=static_keys[0], aws_secret_access_key=static_keys[1], region_name=profile.region
        )
    return boto3.Session(region_name=profile.region)


def _aws_error(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message') or 'refused'}"
    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials found (default chain)"
    return f"{type(exc).__name__}: {exc}"


async def _aws_call(
    pool: ThreadPoolExecutor,
    profile: Profile,
    keys: tuple[str, str] | None,
    service: str,
    call: str,
    **kw: Any,
) -> str:
    """Empty when the call succeeded, else why not."""

    def run() -> None:
        session = _session(profile, keys)
        assert isinstance(session, boto3.Session)
        client = session.client(
            service, region_name=profile.region, endpoint_url=profile.s3_endpoint or None, config=_AWS_CONFIG
        )  # type: ignore[call-overload]
        try:
            getattr(client, call)(**kw)
        finally:
            client.close()

    try:
        await asyncio.get_running_loop().run_in_executor(pool, run)
    except (BotoCoreError, ClientError) as exc:
        return _aws_error(exc)
    return ""


async def _s3(profile: Profile, keys: tuple[str, str] | None, pool: ThreadPoolExecutor) -> BackendCheck:
    name = "S3"
    if not profile.bucket:
        return BackendCheck(name, None, "no bucket in the profile")
    session = _session(profile, keys)
    if isinstance(session, str):
        return BackendCheck(name, None, session)
    why = await _aws_call(pool, profile, keys, "s3", "head_bucket", Bucket=profile.bucket)
    return BackendCheck(name, not why, why or f"bucket {profile.bucket} is reachable")


async def _kms(profile: Profile, keys: tuple[str, str] | None, pool: ThreadPoolExecutor) -> BackendCheck:
    name = "KMS"
    named = [key for key in (profile.kms_signing_key, profile.kms_data_key) if key]
    if not named:
        return BackendCheck(name, None, "no KMS keys in the profile")
    session = _session(profile, keys)
    if isinstance(session, str):
        return BackendCheck(name, None, session)
    for key in named:
        why = await _aws_call(pool, profile, keys, "kms", "describe_key", KeyId=key)
        if why:
            return BackendCheck(name, False, f"key {key}: {why}")
    return BackendCheck(name, True, f"{len(named)} key(s) found")
