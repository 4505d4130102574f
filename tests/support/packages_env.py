"""Build a PackageService against an S3 endpoint for tests (and the killed-publisher child process).

The person publishing is a fixed `Identity` (owner of `acme` unless told otherwise) given to a real
`Authorizer`: the service authorizes every call exactly as in the app, without a Keycloak.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import Counter
from collections.abc import Sized
from pathlib import Path
from typing import Any

import boto3
import pytest

from hyperota_desktop.domain.access import Identity, memberships_from_paths
from hyperota_desktop.services.authz import Authorizer
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.saga import SagaRunner
from hyperota_desktop.services.storage import MiB, S3Storage, client_config
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.stores.hash_cache import HashCache
from hyperota_desktop.stores.journal import Journal
from hyperota_desktop.stores.upload_checkpoints import UploadCheckpoints


class WireCounter:
    """Counts S3 operations and body bytes as botocore sends them (what really went over the wire)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.bytes: Counter[str] = Counter()
        self._lock = threading.Lock()

    def hook(self, model: Any, params: dict[str, Any], **_kw: Any) -> None:
        body = params.get("Body")
        size = len(body) if isinstance(body, bytes | bytearray | Sized) else 0  # parts: a `FileRange`
        with self._lock:
            self.calls[model.name] += 1
            self.bytes[model.name] += size

    @property
    def file_bytes(self) -> int:
        return self.bytes["UploadPart"] + self.bytes["PutObject"] - self.manifest_bytes

    manifest_bytes = 0


def s3_client(
    endpoint: str, region: str, key_id: str, secret: str, counter: WireCounter | None = None
) -> Any:
    client = boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=key_id,
        aws_secret_access_key=secret, config=client_config(),
    )  # fmt: skip
    if counter is not None:
        client.meta.events.register("provide-client-params.s3", counter.hook)
    return client


def authorizer(username: str, *paths: str) -> Authorizer:
    """An authorizer whose signed-in person is `username` with these group paths (default /acme/owner)."""
    identity = Identity(f"sub-{username}", username, "", memberships_from_paths(paths or ("/acme/owner",)))

    async def load() -> Identity:
        return identity

    return Authorizer(load)


def cached(factory: Any) -> Any:
    """The client source of a service: one client, built on first use (as AwsCredentials does)."""
    made: list[Any] = []

    async def client() -> Any:
        if not made:
            built = await asyncio.to_thread(factory)  # loading botocore's models takes tens of ms
            if not made:
                made.append(built)
        return made[0]

    return client


def make_service(
    home: Path, endpoint: str, *, bucket: str = "hyperota", region: str = "us-east-1",
    key_id: str = "AKIASANDBOXHYPEROTA1", secret: str = "hyperota-sandbox-secret-access-key-0000",  # noqa: S107 - public test value
    public_base_url: str = "", counter: WireCounter | None = None, part_size: int = 5 * MiB,
    multipart_threshold: int = 5 * MiB, concurrency: int = 4, actor: str = "alice",
    paths: tuple[str, ...] = (), authz: Authorizer | None = None,
) -> PackageService:  # fmt: skip
    """`authz`: the person's real authorizer (a signed-in sandbox user); else `actor` with `paths`."""
    dirs = AppDirs.under(home).ensure()
    storage = S3Storage(
        cached(lambda: s3_client(endpoint, region, key_id, secret, counter)), bucket,
        checkpoints=UploadCheckpoints(dirs.data / "upload_checkpoints.sqlite3"), part_size=part_size,
        multipart_threshold=multipart_threshold, concurrency=concurrency,
    )  # fmt: skip
    sagas = SagaRunner(Journal(dirs.data / "journal.sqlite3"), actor=actor)
    return PackageService(
        storage, sagas, HashCache(dirs.cache / "hashes.sqlite3"), cache_dir=dirs.cache,
        public_base_url=public_base_url or f"{endpoint}/{bucket}", authz=authz or authorizer(actor, *paths),
    )  # fmt: skip


def app_for(request: pytest.FixtureRequest, prefix: str) -> str:
    """An application name of this test alone (the sandbox's S3 is shared by the session)."""
    return f"{prefix}-" + hashlib.sha1(request.node.name.encode()).hexdigest()[:10]  # noqa: S324
