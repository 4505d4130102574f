"""A fresh application's small files are sent while the big file is still hashed (issue 11 P1), without
weakening the publish: a confirmed pre-flight sends nothing before the bundle is checked, an application
with packages sends only what they do not hold, and a failure or a cancel undoes what was sent early.

The order is proven at the emulator, not timed: the big file's hash waits until S3 has received a PUT."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.domain.errors import Cancelled, ValidationError
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.services import hashing
from hyperota_desktop.services.saga import SagaFailed, SagaRuntime
from hyperota_desktop.services.transfer import ProgressSnapshot, TransferControl
from tests.support import bundles
from tests.support.packages_env import WireCounter, make_service

MiB = 1024 * 1024
BIG = 11 * MiB  # three 5 MiB parts (make_service: part size and threshold 5 MiB)
SMALL = 20


@pytest.fixture(autouse=True)
def _clear_faults(aws: AwsSandbox) -> Iterator[None]:
    yield
    aws.server.faults.clear()


def _app(request: pytest.FixtureRequest) -> str:
    return "early-" + hashlib.sha1(request.node.name.encode()).hexdigest()[:10]  # noqa: S324


def _bundle(root: Path) -> Path:
    files = {"app.hbc": bundles.HERMES_MAGIC + os.urandom(BIG - 8)}
    files.update({f"assets/s{i:02}.png": os.urandom(2000 + i) for i in range(SMALL)})
    return bundles.write(root, files)


def _stored(aws: AwsSandbox, app: str) -> list[str]:
    listed = aws.client("s3").list_objects_v2(Bucket=aws.bucket, Prefix=f"acme/{app}/")
    return [o["Key"] for o in listed.get("Contents", [])]


class _Order:
    """Events in the order they happened: PUTs at the emulator (its threads), the big file's hash end."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.put = threading.Event()
        self._lock = threading.Lock()

    def add(self, event: str) -> None:
        with self._lock:
            self.events.append(event)

    def watch_puts(self, aws: AwsSandbox, app: str, then: Any = None) -> None:
        def on_put(_method: str, _path: str) -> None:
            self.add("put")
            self.put.set()
            if then is not None:
                then()

        aws.server.faults.add(f"/{aws.bucket}/acme/{app}/files/", method="PUT", status=0, apply=True,
                              times=10_000, on_hit=on_put)  # fmt: skip

    def hold_big_hash(self, monkeypatch: pytest.MonkeyPatch, wait: float = 10.0) -> None:
        """The big file's hash ends only once S3 got a PUT (or after `wait` s, when nothing is sent early)."""
        real = hashing.sha256_file_and_parts

        def held(path: Path, expected_size: int, part_size: int) -> tuple[str, tuple[str, ...]]:
            result = real(path, expected_size, part_size)
            self.put.wait(wait)
            self.add("big hashed")
            return result

        monkeypatch.setattr(hashing, "sha256_file_and_parts", held)


async def test_small_files_are_sent_while_the_big_file_is_still_hashed(
    aws: AwsSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    app, order = _app(request), _Order()
    root = _bundle(tmp_path / "bundle")
    order.watch_puts(aws, app)
    order.hold_big_hash(monkeypatch)
    snapshots: list[ProgressSnapshot] = []
    service = make_service(tmp_path / "home", aws.endpoint)
    result = await service.publish("acme", app, [root], runtime=SagaRuntime(snapshots.append))
    assert order.events[0] == "put" and "big hashed" in order.events  # S3 worked before the hash ended
    total = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    assert result.bytes_uploaded == total and result.files == SMALL + 1
    assert len(_stored(aws, app)) == SMALL + 2  # every content and the manifest
    uploads = [s for s in snapshots if s.phase == "uploading"]
    assert uploads[-1].done == uploads[-1].total == total  # the early files count in the progress
    for f in result.manifest.files:
        body = aws.client("s3").get_object(Bucket=aws.bucket, Key=f.url.split(f"/{aws.bucket}/", 1)[1])
        assert hashlib.sha256(body["Body"].read()).hexdigest() == f.checksum


async def test_a_confirmed_preflight_sends_nothing_before_the_bundle_is_checked(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app = _app(request)
    root = _bundle(tmp_path / "bundle")
    service = make_service(tmp_path / "home", aws.endpoint)
    checked = await service.preflight("acme", app, [root])
    (root / "assets" / "s03.png").write_bytes(b"not what was confirmed")
    with pytest.raises((SagaFailed, ValidationError), match="not what you confirmed"):
        await service.publish("acme", app, [root], expected=checked.fingerprint)
    assert _stored(aws, app) == []


async def test_an_application_with_packages_sends_only_what_they_do_not_hold(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app, counter = _app(request), WireCounter()
    root = _bundle(tmp_path / "bundle")
    await make_service(tmp_path / "first", aws.endpoint).publish("acme", app, [root])
    (root / "assets" / "s05.png").write_bytes(b"changed")
    # another machine (a cold hash cache): everything is hashed again, nothing stored is sent again
    result = await make_service(tmp_path / "second", aws.endpoint, counter=counter).publish(
        "acme", app, [root]
    )
    assert result.version == 2 and result.bytes_uploaded == len(b"changed")
    assert counter.calls["PutObject"] == 2 and counter.calls["UploadPart"] == 0  # the file, the manifest


async def test_a_failed_early_upload_fails_the_publish_and_is_undone(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app = _app(request)
    root = _bundle(tmp_path / "bundle")
    refused = (root / "assets" / "s07.png").read_bytes()
    digest = hashlib.sha256(refused).hexdigest()
    aws.server.faults.add(f"/{aws.bucket}/acme/{app}/files/sha256/{digest[:2]}/{digest}", method="PUT",
                          status=403, body={"message": "denied"}, times=10)  # fmt: skip
    with pytest.raises(SagaFailed) as info:
        await make_service(tmp_path / "home", aws.endpoint).publish("acme", app, [root])
    assert info.value.record is not None and info.value.record.status == "rolled_back"
    assert _stored(aws, app) == []  # what was sent early was deleted by the undo
    s3 = aws.client("s3")
    assert not s3.list_multipart_uploads(Bucket=aws.bucket, Prefix=f"acme/{app}/").get("Uploads")


async def test_a_cancel_while_hashing_undoes_what_was_sent_early(
    aws: AwsSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    app, order = _app(request), _Order()
    root = _bundle(tmp_path / "bundle")
    control = TransferControl()
    loop = asyncio.get_running_loop()
    order.watch_puts(aws, app, then=lambda: loop.call_soon_threadsafe(control.cancel))
    order.hold_big_hash(monkeypatch)
    service = make_service(tmp_path / "home", aws.endpoint)
    task = asyncio.create_task(service.publish("acme", app, [root], runtime=SagaRuntime(None, control)))
    control.attach(task)  # type: ignore[arg-type]
    with pytest.raises((SagaFailed, Cancelled, asyncio.CancelledError)):
        await task
    assert order.events[0] == "put"  # cancelled while the big file was hashed, after a PUT
    assert _stored(aws, app) == []
    assert await service.list_versions("acme", app) == []
