"""A large file is read once to hash it (whole and per part) and once to send it (issue 11 P1), and every
part carries the SHA-256 of the bytes that were hashed, fresh or resumed: S3 refuses a part whose bytes
changed since, even when the file kept its size and mtime (a part checksum computed at upload time
would vouch for the new bytes, stored under the old content's address)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import pathlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.domain.errors import IntegrityError
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.services import probes
from hyperota_desktop.services.hashing import sha256_file_and_parts
from hyperota_desktop.services.saga import SagaFailed, SagaRuntime
from hyperota_desktop.services.transfer import TransferControl
from hyperota_desktop.stores.upload_checkpoints import UploadCheckpoints
from tests.support import bundles
from tests.support.packages_env import WireCounter, app_for, make_service

MiB = 1024 * 1024
BIG = 16 * MiB  # four 5 MiB parts (make_service: part size and threshold 5 MiB)
SNIFF = 4096  # at most what the bundle scan reads of a file to tell its kind


class _CountedFile:
    """A file object whose reads add to `read[name]`."""

    def __init__(self, fh: Any, name: str, read: Counter[str]) -> None:
        self._fh, self._name, self._read = fh, name, read

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._fh.read(size)
        self._read[self._name] += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        count: int = self._fh.readinto(buffer)
        self._read[self._name] += count
        return count

    def __enter__(self) -> _CountedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)


@pytest.fixture
def bytes_read(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Bytes read from each file (by name) through `Path.open`, as hashing and uploads open them."""
    read: Counter[str] = Counter()
    real = pathlib.Path.open

    def counting(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = real(self, mode, *args, **kwargs)
        return _CountedFile(fh, self.name, read) if mode == "rb" else fh

    monkeypatch.setattr(pathlib.Path, "open", counting)
    yield read


pytestmark = pytest.mark.usefixtures("clear_faults")  # tests/services/conftest.py


def _bundle(root: Path) -> Path:
    files = {"app.hbc": bundles.HERMES_MAGIC + os.urandom(BIG - 8)}
    files.update({f"assets/s{i}.png": os.urandom(3000) for i in range(12)})
    return bundles.write(root, files)


def _rewrite_keeping_size_and_mtime(path: Path, offset: int) -> None:
    """Other bytes at `offset`, same size and mtime: only S3's checksum check can tell."""
    st = path.stat()
    with path.open("r+b") as fh:
        fh.seek(offset)
        fh.write(os.urandom(64))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _object_key(app: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"acme/{app}/files/sha256/{digest[:2]}/{digest}"


async def test_a_fresh_publish_reads_the_big_file_once_to_hash_and_once_to_send(
    aws: AwsSandbox, tmp_path: Path, bytes_read: Counter[str], request: pytest.FixtureRequest
) -> None:
    app, counter = app_for(request, "parts"), WireCounter()
    root = _bundle(tmp_path / "bundle")
    data = (root / "app.hbc").read_bytes()
    bytes_read.clear()
    result = await make_service(tmp_path / "home", aws.endpoint, counter=counter).publish("acme", app, [root])
    assert counter.calls["UploadPart"] == 4 and result.bytes_uploaded == BIG + 12 * 3000
    # hashed (whole and parts in one read), then sent; the scan looks at its first bytes (Hermes or not)
    assert 2 * BIG <= bytes_read["app.hbc"] <= 2 * BIG + SNIFF
    body = aws.client("s3").get_object(Bucket=aws.bucket, Key=_object_key(app, data))["Body"].read()
    assert body == data


async def test_a_big_file_changed_after_its_preflight_is_refused_by_s3(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app = app_for(request, "parts")
    root = _bundle(tmp_path / "bundle")
    service = make_service(tmp_path / "home", aws.endpoint)
    checked = await service.preflight("acme", app, [root])
    _rewrite_keeping_size_and_mtime(root / "app.hbc", 7 * MiB)  # in part 2
    with pytest.raises(SagaFailed, match=r"Checksum mismatch|BadDigest") as info:
        await service.publish("acme", app, [root], expected=checked.fingerprint)
    assert isinstance(info.value.cause, IntegrityError)
    s3 = aws.client("s3")
    assert "Contents" not in s3.list_objects_v2(Bucket=aws.bucket, Prefix=f"acme/{app}/")
    assert not s3.list_multipart_uploads(Bucket=aws.bucket, Prefix=f"acme/{app}/").get("Uploads")


async def _interrupted_after_one_part(service: Any, app: str, root: Path) -> None:
    """Publish until the first part is stored, then stop as the app quitting does (the task cancelled
    without the person asking): the multipart upload and its checkpoint stay for the resume."""
    control = TransferControl()
    stored = asyncio.Event()

    def on_point(point: str, facts: dict[str, Any]) -> None:  # on the loop, as the part is checkpointed
        if point == "upload.part":
            control.pause()  # no further part starts (one may be on its way already)
            stored.set()

    stop_listening = probes.listen(on_point)
    try:
        task = asyncio.create_task(service.publish("acme", app, [root], runtime=SagaRuntime(None, control)))
        await asyncio.wait_for(stored.wait(), 60)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        stop_listening()


async def _quiet(bytes_read: Counter[str]) -> None:
    """Until no thread reads the bundle any more (the interrupted run's part in flight has been sent)."""
    for _ in range(300):
        before = bytes_read.total()
        await asyncio.sleep(0.3)
        if bytes_read.total() == before:
            return
    raise AssertionError("the bundle is still being read")


def _stored_parts(home: Path, aws: AwsSandbox, app: str) -> int:
    store = UploadCheckpoints(home / "data" / "upload_checkpoints.sqlite3")
    try:
        (key,) = store.upload_ids(aws.bucket, f"acme/{app}/files/").values()
        checkpoint = store.get(aws.bucket, key)
        assert checkpoint is not None
        return len(checkpoint.parts)
    finally:
        store.close()


async def test_a_resumed_upload_sends_the_remaining_parts_with_their_hashed_checksums(
    aws: AwsSandbox, tmp_path: Path, bytes_read: Counter[str], request: pytest.FixtureRequest
) -> None:
    app, home = app_for(request, "parts"), tmp_path / "home"
    root = _bundle(tmp_path / "bundle")
    await _interrupted_after_one_part(make_service(home, aws.endpoint, concurrency=1), app, root)
    await _quiet(bytes_read)  # a part in flight at the interruption ends in its thread (unrecorded)
    finished = _stored_parts(home, aws, app)
    assert 1 <= finished < 4
    bytes_read.clear()
    counter = WireCounter()
    (record,) = await make_service(home, aws.endpoint, counter=counter, concurrency=1).sagas.reconcile()
    assert record.status == "done" and record.data["version"] == 1
    assert counter.calls["UploadPart"] == 4 - finished and counter.calls["CreateMultipartUpload"] == 0
    # the hash and the part checksums come from the cache: the file is read only to send what is left
    assert BIG - finished * 5 * MiB <= bytes_read["app.hbc"] <= BIG - finished * 5 * MiB + SNIFF
    data = (root / "app.hbc").read_bytes()
    assert aws.client("s3").get_object(Bucket=aws.bucket, Key=_object_key(app, data))["Body"].read() == data


async def test_a_resumed_upload_of_a_file_changed_in_place_is_refused_by_s3(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app, home = app_for(request, "parts"), tmp_path / "home"
    root = _bundle(tmp_path / "bundle")
    await _interrupted_after_one_part(make_service(home, aws.endpoint, concurrency=1), app, root)
    assert _stored_parts(home, aws, app) < 4
    _rewrite_keeping_size_and_mtime(root / "app.hbc", BIG - 100)  # in the last part, not sent yet
    (record,) = await make_service(home, aws.endpoint, concurrency=1).sagas.reconcile()
    assert record.status != "done"
    assert "BadDigest" in record.error or "Checksum mismatch" in record.error
    s3 = aws.client("s3")
    # nothing stays: not the content (nor under the address of the bytes hashed), no open multipart upload
    assert "Contents" not in s3.list_objects_v2(Bucket=aws.bucket, Prefix=f"acme/{app}/")
    assert not s3.list_multipart_uploads(Bucket=aws.bucket, Prefix=f"acme/{app}/").get("Uploads")


@pytest.mark.parametrize("size", [1, 5 * MiB, 10 * MiB, 10 * MiB + 1])
def test_part_checksums_are_those_of_each_part(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f"
    data = os.urandom(size)
    path.write_bytes(data)
    whole, sums = sha256_file_and_parts(path, size, 5 * MiB)
    parts = [data[at : at + 5 * MiB] for at in range(0, size, 5 * MiB)]
    assert whole == hashlib.sha256(data).hexdigest()
    assert sums == tuple(base64.b64encode(hashlib.sha256(p).digest()).decode() for p in parts)
    with pytest.raises(IntegrityError, match="changed while it was being read"):
        sha256_file_and_parts(path, size + 1, 5 * MiB)
