"""Publishing against moto over real HTTP: dedupe, deltas, concurrency, multipart, retries, integrity."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import httpx
import pytest

from hyperota_desktop.domain.errors import (
    BackendUnavailable,
    Cancelled,
    IntegrityError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from hyperota_desktop.domain.packages import Manifest, PackageFile
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.services.saga import SagaFailed, SagaRuntime
from hyperota_desktop.services.storage import UploadItem, b64_of_hex
from hyperota_desktop.services.transfer import ProgressSnapshot, TransferControl
from tests.support import bundles
from tests.support.packages_env import WireCounter, app_for, make_service

MiB = 1024 * 1024


pytestmark = pytest.mark.usefixtures("clear_faults")  # tests/services/conftest.py


def _unfinished(aws: AwsSandbox, prefix: str) -> list[dict]:
    return aws.client("s3").list_multipart_uploads(Bucket=aws.bucket, Prefix=prefix).get("Uploads", [])


async def test_publish_show_list_and_files_are_public(aws: AwsSandbox, tmp_path: Path, request) -> None:
    app = app_for(request, "app")
    service = make_service(tmp_path / "home", aws.endpoint)
    root = bundles.react_native(tmp_path / "rn")
    result = await service.publish("acme", app, [root], tag="beta")
    assert (result.version, result.files, result.bytes_skipped) == (1, 4, 0)
    assert result.bytes_uploaded == sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    manifest = await make_service(tmp_path / "other", aws.endpoint).show("acme", app, 1)
    assert manifest.index == "index.android.bundle" and manifest.created_by == "alice"
    assert manifest.tag == "beta"
    for f in manifest.files:
        body = httpx.get(f.url).content
        assert hashlib.sha256(body).hexdigest() == f.checksum and len(body) == f.size
        assert f.url.startswith(aws.public_base_url + "/acme/" + app + "/files/sha256/")
    page = await service.page("acme", app)
    assert page.total == 1 and page.items[0].tags == ("beta",) and page.items[0].file_count == 4
    head = aws.client("s3").head_object(
        Bucket=aws.bucket, Key=f"acme/{app}/files/sha256/{manifest.files[0].checksum[:2]}/"
        f"{manifest.files[0].checksum}", ChecksumMode="ENABLED",
    )  # fmt: skip
    assert head["ChecksumSHA256"] == b64_of_hex(manifest.files[0].checksum)


async def test_second_publish_sends_nothing_and_one_change_sends_one_file(
    aws: AwsSandbox, tmp_path: Path, request
) -> None:
    app = app_for(request, "app")
    counter = WireCounter()
    service = make_service(tmp_path / "home", aws.endpoint, counter=counter)
    root = bundles.react_native(tmp_path / "rn")
    await service.publish("acme", app, [root])
    counter.calls.clear()
    counter.bytes.clear()
    again = await service.publish("acme", app, [root])
    assert (again.version, again.bytes_uploaded) == (2, 0)
    assert again.bytes_skipped == again.manifest.total_size
    assert counter.calls["UploadPart"] == 0 and counter.calls["PutObject"] == 1  # the manifest only
    (root / "index.android.bundle").write_bytes(b"var app = 2; // changed")
    counter.calls.clear()
    counter.bytes.clear()
    third = await service.publish("acme", app, [root])
    assert third.bytes_uploaded == len(b"var app = 2; // changed")
    assert counter.calls["PutObject"] == 2  # the changed file + the manifest
    diff = await service.diff("acme", app, 2, 3)
    assert [c.file_path for c in diff.changed] == ["index.android.bundle"]
    assert not diff.added and not diff.removed and diff.download_bytes == third.bytes_uploaded


async def test_publish_sends_only_what_was_confirmed(aws: AwsSandbox, tmp_path: Path, request) -> None:
    app = app_for(request, "app")
    counter = WireCounter()
    service = make_service(tmp_path / "home", aws.endpoint, counter=counter)
    root = bundles.react_native(tmp_path / "rn")
    pre = await service.preflight("acme", app, [root])
    (root / "raw/sound.mp3").write_bytes(b"swapped after the pre-flight")
    with pytest.raises(SagaFailed, match="not what you confirmed") as info:
        await service.publish("acme", app, [root], expected=pre.fingerprint)
    assert isinstance(info.value.cause, ValidationError) and int(info.value.exit_code) == 5
    assert counter.calls["PutObject"] == 0 and counter.calls["CreateMultipartUpload"] == 0
    assert await service.list_versions("acme", app) == []
    checked = await service.preflight("acme", app, [root])
    result = await service.publish("acme", app, [root], expected=checked.fingerprint)
    assert result.version == 1 and result.bytes_uploaded == checked.bytes_to_send


async def test_search_covers_every_package_not_only_the_first_page(
    aws: AwsSandbox, tmp_path: Path, request
) -> None:
    app = app_for(request, "app")
    s3 = aws.client("s3")
    digest = hashlib.sha256(b"js").hexdigest()
    for v in range(1, 131):
        author = "carol" if v in (3, 77) else "alice"
        entry = PackageFile("index.android.bundle", f"https://cdn/{digest}", digest, 2)
        manifest = Manifest(
            "acme", app, v, "index.android.bundle", (entry,), f"2024-01-{1 + v % 28:02d}", author
        )
        s3.put_object(Bucket=aws.bucket, Key=f"acme/{app}/packages/{v:08d}.json", Body=manifest.to_json())
    counter = WireCounter()
    service = make_service(tmp_path / "home", aws.endpoint, counter=counter)
    await service.tag("acme", app, 5, "stable")
    first = await service.page("acme", app, limit=50)
    assert first.total == 130 and [s.version for s in first.items][-1] == 81  # newest first, one page
    found = await service.search("acme", app, "CAROL")
    assert (found.total, [s.version for s in found.items]) == (2, [77, 3])
    tagged = await service.search("acme", app, "stable")
    assert [(s.version, s.tags) for s in tagged.items] == [(5, ("stable",))]
    counter.calls.clear()
    paged = await service.search("acme", app, "alice", offset=100, limit=50)
    assert paged.total == 128 and len(paged.items) == 28 and paged.items[-1].version == 1
    assert counter.calls["GetObject"] == 1  # the tag only: summaries are cached, manifests not read again
    assert (await service.search("acme", app, "  ")).total == 130  # blank: the plain list


async def test_concurrent_publishers_get_distinct_versions(aws: AwsSandbox, tmp_path: Path, request) -> None:
    app = app_for(request, "app")
    services = [make_service(tmp_path / f"home{i}", aws.endpoint, actor=f"user{i}") for i in range(4)]
    roots = [bundles.react_native(tmp_path / f"rn{i}", seed=str(i).encode()) for i in range(4)]
    results = await asyncio.gather(
        *(s.publish("acme", app, [r]) for s, r in zip(services, roots, strict=True))
    )
    assert sorted(r.version for r in results) == [1, 2, 3, 4]
    for r in results:
        shown = await services[0].show("acme", app, r.version)
        assert shown.created_by == r.manifest.created_by


async def test_multipart_with_progress_and_retries(aws: AwsSandbox, tmp_path: Path, request) -> None:
    app = app_for(request, "app")
    counter = WireCounter()
    service = make_service(tmp_path / "home", aws.endpoint, counter=counter)
    big = os.urandom(13 * MiB)
    root = bundles.write(tmp_path / "h", {"app.hbc": bundles.HERMES_MAGIC + big, "small.txt": b"s"})
    aws.server.faults.add(f"/{aws.bucket}/acme/{app}/files/", method="PUT", status=503, times=2)
    aws.server.faults.add(f"/{aws.bucket}/acme/{app}/files/", method="PUT", status=429, times=1)
    snapshots: list[ProgressSnapshot] = []
    result = await service.publish("acme", app, [root], runtime=SagaRuntime(snapshots.append))
    assert counter.calls["UploadPart"] >= 3 and counter.calls["CompleteMultipartUpload"] == 1
    uploads = [s for s in snapshots if s.phase == "uploading"]
    assert uploads[-1].done == uploads[-1].total == result.bytes_uploaded
    assert [s.done for s in uploads] == sorted(s.done for s in uploads)
    entry = result.manifest.file("app.hbc")
    assert entry is not None and httpx.get(entry.url).content == bundles.HERMES_MAGIC + big
    assert not _unfinished(aws, f"acme/{app}/")


async def test_corrupt_stored_object_is_a_checksum_mismatch(aws: AwsSandbox, tmp_path: Path, request) -> None:
    app = app_for(request, "app")
    root = bundles.react_native(tmp_path / "rn")
    data = (root / "index.android.bundle").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    aws.client("s3").put_object(
        Bucket=aws.bucket, Key=f"acme/{app}/files/sha256/{digest[:2]}/{digest}", Body=b"bad"
    )
    service = make_service(tmp_path / "home", aws.endpoint)
    with pytest.raises(SagaFailed, match="Checksum mismatch") as info:
        await service.publish("acme", app, [root])
    assert isinstance(info.value.cause, IntegrityError) and int(info.value.exit_code) == 5
    assert await service.list_versions("acme", app) == []


async def test_file_changed_after_hashing_and_s3_bad_digest(aws: AwsSandbox, tmp_path: Path, request) -> None:
    app = app_for(request, "app")
    service = make_service(tmp_path / "home", aws.endpoint)
    path = tmp_path / "f.bin"
    path.write_bytes(b"new content")
    item = UploadItem(path, 11, hashlib.sha256(b"old content").hexdigest(), f"acme/{app}/files/x", "a/b", "f")
    with pytest.raises(IntegrityError, match="Checksum mismatch"):
        await service.storage.upload_all([item])
    client = await service.storage.client()
    with pytest.raises(IntegrityError, match="BadDigest"):
        await service.storage.call(
            "Upload", client.put_object, Bucket=aws.bucket, Key=f"acme/{app}/x", Body=b"abc",
            ChecksumSHA256=b64_of_hex(hashlib.sha256(b"abd").hexdigest()),
        )  # fmt: skip


async def test_cancel_aborts_multipart_and_pause_holds(aws: AwsSandbox, tmp_path: Path, request) -> None:
    app = app_for(request, "app")
    service = make_service(tmp_path / "home", aws.endpoint, concurrency=1)
    root = bundles.write(tmp_path / "h", {"app.hbc": bundles.HERMES_MAGIC + os.urandom(26 * MiB)})
    control = TransferControl()
    seen: list[int] = []

    def on_progress(snap: ProgressSnapshot) -> None:
        if snap.phase == "uploading" and snap.done > 0:
            seen.append(snap.done)
            if len(seen) == 1:
                control.pause()

    task = asyncio.create_task(
        service.publish("acme", app, [root], runtime=SagaRuntime(on_progress, control))
    )
    control.attach(task)  # type: ignore[arg-type]
    while not seen:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.5)
    held = len(seen)
    assert held <= 2  # the part in flight when pausing may finish (concurrency 1)
    await asyncio.sleep(0.5)
    assert len(seen) == held  # paused: nothing more is sent
    assert _unfinished(aws, f"acme/{app}/")
    control.cancel()
    with pytest.raises((SagaFailed, Cancelled, asyncio.CancelledError)):
        await task
    assert not _unfinished(aws, f"acme/{app}/")
    with pytest.raises(NotFound):
        await service.show("acme", app, 1)


async def test_the_s3_client_is_built_during_the_sign_in_check_and_its_failure_reported_by_s3(
    aws: AwsSandbox, tmp_path: Path
) -> None:
    """The client is built while the authorizer asks who is signed in; a refusal is the refusal, and a
    client that cannot be built fails the publish with the client's own error, nothing written."""
    built: list[str] = []
    service = make_service(tmp_path / "home", aws.endpoint, paths=("/other/owner",))
    clients = service.storage._clients

    async def client() -> object:
        built.append("s3")
        return await clients()

    service.storage._clients = client
    with pytest.raises(PermissionDenied):
        await service.publish("acme", "refused", [bundles.react_native(tmp_path / "rn")])
    assert built == ["s3"]  # built while the sign-in was checked, before the refusal

    async def broken() -> object:
        raise BackendUnavailable("S3 is down")

    failing = make_service(tmp_path / "home2", aws.endpoint)
    failing.storage._clients = broken
    with pytest.raises((BackendUnavailable, SagaFailed)) as raised:
        await failing.publish("acme", "broken", [bundles.react_native(tmp_path / "rn2")])
    assert "S3 is down" in str(raised.value)
    assert (await make_service(tmp_path / "home3", aws.endpoint).page("acme", "broken")).items == []


async def test_recovering_builds_the_s3_client_during_the_sign_in_check_and_survives_its_failure(
    aws: AwsSandbox, tmp_path: Path
) -> None:
    """A publish command recovers first: the client is built while `recover` asks who is signed in
    (the build overlaps those round trips), and a client that cannot be built fails nothing there."""
    built: list[str] = []
    service = make_service(tmp_path / "home", aws.endpoint)
    clients = service.storage._clients

    async def client() -> object:
        built.append("s3")
        return await clients()

    service.storage._clients = client
    assert await service.recover() == []
    assert built == ["s3"]

    async def broken() -> object:
        raise BackendUnavailable("S3 is down")

    failing = make_service(tmp_path / "home2", aws.endpoint)
    failing.storage._clients = broken
    assert await failing.recover() == []
