"""A publish reports exactly what happened: bytes really sent, nothing unfinished after a failure, and
"undone" only when it was (issue 17.7/17.8), against moto over HTTP with the emulator's fault API."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from hyperota_desktop.domain.errors import BackendUnavailable, IntegrityError
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.services.saga import SagaFailed, SagaRuntime
from hyperota_desktop.services.storage import map_error
from hyperota_desktop.services.transfer import ProgressSnapshot
from hyperota_desktop.stores.upload_checkpoints import UploadCheckpoints
from tests.support import bundles
from tests.support.packages_env import app_for, make_service

MiB = 1024 * 1024


pytestmark = pytest.mark.usefixtures("clear_faults")  # tests/services/conftest.py


def _keys(aws: AwsSandbox, prefix: str) -> list[str]:
    listed = aws.client("s3").list_objects_v2(Bucket=aws.bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


async def test_a_file_that_shrinks_mid_upload_leaves_nothing_behind(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app, home = app_for(request, "out"), tmp_path / "home"
    big = bundles.HERMES_MAGIC + os.urandom(16 * MiB)
    root = bundles.write(tmp_path / "b", {"a.txt": b"small file sent first", "app.hbc": big})
    service = make_service(home, aws.endpoint, concurrency=1)
    # Parts take a moment, so the file can shrink between them.
    aws.server.faults.add(f"/{aws.bucket}/acme/{app}/files/", method="PUT", status=0, delay=0.2, times=50)

    def shrink_after_first_part(snap: ProgressSnapshot) -> None:  # the undo's events break it: ignored
        if (
            snap.phase == "uploading"
            and snap.done > 5 * MiB
            and (root / "app.hbc").stat().st_size == len(big)
        ):
            with (root / "app.hbc").open("r+b") as fh:
                fh.truncate(6 * MiB)

    with pytest.raises(SagaFailed) as info:
        await service.publish("acme", app, [root], runtime=SagaRuntime(shrink_after_first_part))
    assert isinstance(info.value.cause, IntegrityError) and "shorter" in info.value.message
    record = info.value.record
    assert record is not None and record.status == "rolled_back" and "was undone" in info.value.message
    s3 = aws.client("s3")
    assert not s3.list_multipart_uploads(Bucket=aws.bucket, Prefix=f"acme/{app}/").get("Uploads")
    assert _keys(aws, f"acme/{app}/") == []  # the small file this run sent is gone too: no orphan
    checkpoints = UploadCheckpoints(home / "data" / "upload_checkpoints.sqlite3")
    assert checkpoints.upload_ids(aws.bucket, f"acme/{app}/") == {}
    checkpoints.close()
    assert record.data["deleted_files"] == 1 and record.data["kept_files"] == 0


async def test_a_failed_upload_aborts_every_unfinished_multipart_upload(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app, home = app_for(request, "out"), tmp_path / "home"
    slow, failing = bundles.HERMES_MAGIC + os.urandom(11 * MiB), os.urandom(11 * MiB)
    root = bundles.write(tmp_path / "b", {"app.hbc": slow, "b.bin": failing})
    service = make_service(home, aws.endpoint, concurrency=2)

    def key(data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        return f"/{aws.bucket}/acme/{app}/files/sha256/{digest[:2]}/{digest}$"

    # Every part of b.bin fails for good (after retries) while app.hbc's parts are still on their way.
    aws.server.faults.add(key(failing), method="PUT", status=500, times=1000)
    aws.server.faults.add(key(slow), method="PUT", status=0, delay=2.0, times=1000)
    with pytest.raises(SagaFailed) as info:
        await service.publish("acme", app, [root])
    assert isinstance(info.value.cause, BackendUnavailable)
    assert "500 500" not in info.value.message
    assert (
        not aws.client("s3").list_multipart_uploads(Bucket=aws.bucket, Prefix=f"acme/{app}/").get("Uploads")
    )
    checkpoints = UploadCheckpoints(home / "data" / "upload_checkpoints.sqlite3")
    assert checkpoints.upload_ids(aws.bucket, f"acme/{app}/") == {}
    checkpoints.close()


def test_s3_errors_name_the_status_once() -> None:
    bare = ClientError({"Error": {"Code": "500"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "PutObject")
    assert map_error(bare, "Upload 'a'").message == "Upload 'a': S3 answered 500 after retries."
    named = ClientError(
        {"Error": {"Code": "SlowDown", "Message": "Reduce your request rate."},
         "ResponseMetadata": {"HTTPStatusCode": 503}}, "PutObject",
    )  # fmt: skip
    text = map_error(named, "Upload 'a'").message
    assert text == "Upload 'a': S3 answered 503 SlowDown (Reduce your request rate.) after retries."


async def test_a_package_is_verified_before_the_publish_is_called_done(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file the publish found stored (another run's, which that run's undo may remove) and that is
    gone by the verification fails the publish, and the undo leaves nothing of it behind."""
    app = app_for(request, "out")
    service = make_service(tmp_path / "home", aws.endpoint)
    root = bundles.react_native(tmp_path / "rn")
    verify = service.publisher._verify
    s3 = aws.client("s3")
    sound = (root / "raw" / "sound.mp3").read_bytes()
    digest = hashlib.sha256(sound).hexdigest()
    theirs = f"acme/{app}/files/sha256/{digest[:2]}/{digest}"
    s3.put_object(Bucket=aws.bucket, Key=theirs, Body=sound)  # another publish's upload

    async def lose_a_file_first(ctx: object) -> None:  # that publish's undo removed it meanwhile
        s3.delete_object(Bucket=aws.bucket, Key=theirs)
        await verify(ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(service.publisher, "_verify", lose_a_file_first)
    with pytest.raises(SagaFailed, match="does not hold as written") as info:
        await service.publish("acme", app, [root], tag="beta")
    record = info.value.record
    assert record is not None and record.status == "rolled_back" and "was undone" in info.value.message
    assert [s.name for s in record.steps] == ["upload files", "write manifest", "tag", "verify"]
    assert _keys(aws, f"acme/{app}/") == []  # no manifest, no tag, none of the files it sent
    monkeypatch.undo()
    assert (await service.publish("acme", app, [root])).version == 1  # publishing again works


async def test_deleting_files_retries_like_every_s3_call(aws: AwsSandbox, tmp_path: Path) -> None:
    from hyperota_desktop.services.storage_cleanup import S3PrefixDeleter

    service = make_service(tmp_path / "home", aws.endpoint)
    s3 = aws.client("s3")
    for i in range(3):
        s3.put_object(Bucket=aws.bucket, Key=f"gone/app/f{i}", Body=b"x")
    aws.server.faults.add(f"^/{aws.bucket}/?$", method="POST", status=503, times=2)  # DeleteObjects
    deleted = await S3PrefixDeleter(service.storage)("gone/app/")
    assert deleted == 3 and _keys(aws, "gone/app/") == []
