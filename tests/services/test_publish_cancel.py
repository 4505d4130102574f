"""A person's cancel that lands while a publish step's PUT is still in flight: the undo waits for the PUT
(`workers.landed_before_cancel`), so nothing the run wrote lands after it was recorded as rolled back.
Against moto over HTTP, the PUT held by the emulator's fault API."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from pathlib import Path

import pytest

from hyperota_desktop.domain.errors import Cancelled
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.packages.publish import PUBLISH_KIND
from hyperota_desktop.services.saga import SagaFailed, SagaRuntime
from hyperota_desktop.services.transfer import TransferControl
from hyperota_desktop.stores.journal import SagaRecord
from tests.support import bundles
from tests.support.packages_env import app_for, make_service

pytestmark = pytest.mark.usefixtures("clear_faults")  # tests/services/conftest.py


def _keys(aws: AwsSandbox, prefix: str) -> set[str]:
    listed = aws.client("s3").list_objects_v2(Bucket=aws.bucket, Prefix=prefix)
    return {o["Key"] for o in listed.get("Contents", [])}


def _tag_version(aws: AwsSandbox, app: str, tag: str) -> int:
    body = aws.client("s3").get_object(Bucket=aws.bucket, Key=f"acme/{app}/tags/{tag}.json")["Body"]
    return int(json.loads(body.read())["version"])


def _cancelled_publish(service: PackageService, app: str) -> SagaRecord:
    """The one publish of `app` that did not finish (the first one did)."""
    runs = [r for r in service.sagas.journal.list(app=app) if r.kind == PUBLISH_KIND and r.status != "done"]
    assert len(runs) == 1, runs
    return runs[0]


async def _second_publish_cancelled_mid_put(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest, key: str, step: int,
    *, method: str = "PUT", passes: int = 0, big: bytes = b"", apply: bool = False,
) -> tuple[str, set[str]]:  # fmt: skip
    """Publish version 1 tagged beta, then another bundle (with `big` as a file, if any) tagged beta,
    S3 holding the `method` request of `key` (after `passes` passed through) for a second, before it
    does the work (or after, `apply`); cancel it once that request reached S3. Gives the app and the
    files stored after version 1."""
    app = app_for(request, "pc")
    service = make_service(tmp_path / "home", aws.endpoint)
    await service.publish("acme", app, [bundles.react_native(tmp_path / "one")], tag="beta")
    files_before = _keys(aws, f"acme/{app}/files/")
    hits = len(aws.server.faults.hits) + passes
    if passes:
        aws.server.faults.add(f"/acme/{app}/{key}$", method=method, status=0, times=passes)
    aws.server.faults.add(f"/acme/{app}/{key}$", method=method, status=0, delay=1.0, apply=apply)
    control = TransferControl()
    second = bundles.react_native(tmp_path / "two", seed=b" second")
    if big:
        (second / "raw" / "big.bin").write_bytes(big)
    task = asyncio.ensure_future(service.publish("acme", app, [second], tag="beta",
                                                 runtime=SagaRuntime(control=control)))  # fmt: skip
    control.attach(task)
    while len(aws.server.faults.hits) <= hits:  # the request has reached S3, which holds it for a second
        await asyncio.sleep(0.01)
    control.cancel()
    with pytest.raises((SagaFailed, Cancelled, asyncio.CancelledError)):
        await task
    record = _cancelled_publish(service, app)
    assert record.status == "rolled_back" and record.steps[step].status == "compensated", record
    return app, files_before


async def _stays_as_after_version_1(aws: AwsSandbox, app: str, files_before: set[str]) -> None:
    for _ in range(20):  # past the held PUT's second: it landed before the undo, not after it
        assert _tag_version(aws, app, "beta") == 1
        assert _keys(aws, f"acme/{app}/packages/") == {f"acme/{app}/packages/00000001.json"}
        assert _keys(aws, f"acme/{app}/files/") == files_before  # no package names the new file
        await asyncio.sleep(0.1)


async def test_a_publish_cancelled_mid_tag_put_leaves_the_tag_where_it_was(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app, files_before = await _second_publish_cancelled_mid_put(aws, tmp_path, request, "tags/beta.json", 2)
    await _stays_as_after_version_1(aws, app, files_before)


async def test_a_publish_cancelled_mid_manifest_put_leaves_no_package(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The manifest lands as the cancel comes: the undo finds it (this run's id) and deletes it, then
    the files only it named."""
    key = "packages/00000002.json"
    app, files_before = await _second_publish_cancelled_mid_put(aws, tmp_path, request, key, 1)
    await _stays_as_after_version_1(aws, app, files_before)


async def test_a_publish_cancelled_mid_file_put_deletes_the_file_once_it_lands(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A new file's PUT in flight as the cancel comes: the upload waits for it and records it as this
    run's, so the undo deletes it (landing after the undo, nothing would name it: a stray object)."""
    digest = hashlib.sha256(b"var app = 1; second").hexdigest()  # the new index bundle
    key = f"files/sha256/{digest[:2]}/{digest}"
    app, files_before = await _second_publish_cancelled_mid_put(aws, tmp_path, request, key, 0)
    await _stays_as_after_version_1(aws, app, files_before)


async def test_a_publish_cancelled_mid_multipart_completion_deletes_the_file_once_it_lands(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The same for a file sent in parts: S3 completes the upload (the second POST of its key, after the
    one starting it) and answers a second late. Without the wait the undo's abort finds no upload left,
    and the completed object stays, named by no package."""
    big = os.urandom(6 * 1024 * 1024)  # over the 5 MiB multipart threshold: two parts
    digest = hashlib.sha256(big).hexdigest()
    key = f"files/sha256/{digest[:2]}/{digest}"
    app, files_before = await _second_publish_cancelled_mid_put(
        aws, tmp_path, request, key, 0, method="POST", passes=1, big=big, apply=True
    )
    await _stays_as_after_version_1(aws, app, files_before)
