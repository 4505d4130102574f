"""What the publish speed relies on (issue 11), counted rather than timed: a re-publish with a warm
hash cache reads only the changed file, and a publish lists S3 once (the verification of issue 17.7
stays: by HEAD, or one listing when a fresh bundle has many files)."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.services import hashing
from hyperota_desktop.services.saga import SagaFailed
from tests.support.packages_env import WireCounter, app_for, make_service

LISTINGS = ("ListObjectsV2", "ListObjects")


def _bundle(root: Path, files: int) -> Path:
    (root / "assets").mkdir(parents=True)
    (root / "index.android.bundle").write_bytes(b"var app = 1;" * 1000)
    for i in range(files):
        (root / "assets" / f"a{i:03}.png").write_bytes(hashlib.sha256(f"{root}{i}".encode()).digest() * 64)
    return root


def _count_hashing(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Bytes each bundle file had read to hash it (by name)."""
    read: Counter[str] = Counter()
    real = hashing.sha256_file

    def counting(path: Path, expected_size: int | None = None) -> str:
        read[path.name] += path.stat().st_size
        return real(path, expected_size)

    monkeypatch.setattr(hashing, "sha256_file", counting)
    return read


async def test_a_warm_republish_reads_and_sends_only_the_changed_file(
    aws: AwsSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    app, counter = app_for(request, "eco"), WireCounter()
    read = _count_hashing(monkeypatch)
    root = _bundle(tmp_path / "bundle", files=60)
    await make_service(tmp_path / "home", aws.endpoint, counter=counter).publish("acme", app, [root])
    assert sum(read.values()) == sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    changed = root / "assets" / "a007.png"
    changed.write_bytes(b"a new picture" * 100)
    read.clear()
    counter.calls.clear()
    counter.bytes.clear()
    # a new process would build a new service: the cache is the one on disk, not this object's memory
    again = await make_service(tmp_path / "home", aws.endpoint, counter=counter).publish("acme", app, [root])
    assert dict(read) == {"a007.png": len(b"a new picture" * 100)}  # nothing else was read
    assert again.bytes_uploaded == len(b"a new picture" * 100)
    assert counter.calls["PutObject"] == 2  # the changed file and the manifest
    assert counter.calls["UploadPart"] == 0


async def test_a_republish_stats_each_unchanged_file_once(
    aws: AwsSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """The scan's stat (size and mtime) is the one the hash cache is looked up by: a 2,000-file bundle
    is not stat'ed a second time before its hashes are known."""
    import os

    app = app_for(request, "eco")
    root = _bundle(tmp_path / "bundle", files=20)
    service = make_service(tmp_path / "home", aws.endpoint)
    await service.publish("acme", app, [root])
    (root / "assets" / "a003.png").write_bytes(b"changed")
    stats: Counter[str] = Counter()
    for name in ("stat", "lstat"):
        real = getattr(os, name)

        def counting(path: object, *args: object, _real: object = real, **kwargs: object) -> object:
            text = os.fsdecode(path) if isinstance(path, str | bytes | os.PathLike) else ""
            if text.startswith(str(root)) and Path(text).is_relative_to(root):
                stats[Path(text).relative_to(root).as_posix()] += 1
            return _real(path, *args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(os, name, counting)
    result = await service.publish("acme", app, [root])
    monkeypatch.undo()
    assert result.version == 2 and result.bytes_uploaded == len(b"changed")
    unchanged = {p: n for p, n in stats.items() if p not in {"assets/a003.png", "assets", "."}}
    assert len(unchanged) == 20 and set(unchanged.values()) == {1}, unchanged


async def test_a_republish_reads_the_newest_manifest_while_the_bundle_is_hashed(
    aws: AwsSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """The newest package (what the bundle is compared with) is read as soon as it is listed, not
    after the last file is hashed: here hashing waits until that GET went out, and the publish ends."""
    import asyncio

    from hyperota_desktop.services.packages import preflight

    app, counter = app_for(request, "eco"), WireCounter()
    root = _bundle(tmp_path / "bundle", files=5)
    service = make_service(tmp_path / "home", aws.endpoint, counter=counter)
    await service.publish("acme", app, [root])
    (root / "assets" / "a002.png").write_bytes(b"changed")
    service = make_service(
        tmp_path / "home", aws.endpoint, counter=counter
    )  # a new process: no manifest cached
    counter.calls.clear()
    real = preflight.hash_files
    seen_before_hashed: list[int] = []

    async def hashing_after_the_manifest_read(*args: object, **kwargs: object) -> object:
        for _ in range(500):  # up to 5 s
            if counter.calls["GetObject"]:
                break
            await asyncio.sleep(0.01)
        seen_before_hashed.append(counter.calls["GetObject"])
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(preflight, "hash_files", hashing_after_the_manifest_read)
    result = await service.publish("acme", app, [root])
    assert seen_before_hashed == [1] and result.version == 2
    assert counter.calls["GetObject"] == 2  # read once (cached for the comparison), and read back


async def test_the_verification_reads_back_and_checks_the_vouching_package_at_once(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Verify's read-back of the new manifest and its HEAD of the package that vouches for the
    unchanged files are independent: the HEAD goes out while the read-back is held here."""
    import threading

    app = app_for(request, "eco")
    root = _bundle(tmp_path / "bundle", files=3)
    service = make_service(tmp_path / "home", aws.endpoint)
    await service.publish("acme", app, [root])
    (root / "assets" / "a001.png").write_bytes(b"changed")
    vouching = service.keys("acme", app).manifest_key(1)
    headed = threading.Event()
    held: list[bool] = []

    def on_head(params: dict[str, object], **_kw: object) -> None:
        if params.get("Key") == vouching:
            headed.set()

    def hold_read_back(params: dict[str, object], **_kw: object) -> None:
        if params.get("Key") == service.keys("acme", app).manifest_key(2):
            held.append(headed.wait(timeout=5))  # a worker thread: the loop goes on meanwhile

    client = await service.storage.client()
    client.meta.events.register("before-parameter-build.s3.HeadObject", on_head)
    client.meta.events.register("before-parameter-build.s3.GetObject", hold_read_back)
    result = await service.publish("acme", app, [root])
    assert result.version == 2 and held == [True]


async def test_the_manifest_is_built_while_the_journal_records_the_version_tried(
    aws: AwsSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """The journal records the version a publish tries before its PUT (a crash then finds it); the
    manifest's JSON (O(files)) is built meanwhile, not after that commit."""
    import threading

    from hyperota_desktop.domain.packages import Manifest
    from hyperota_desktop.stores.journal import Journal

    app = app_for(request, "eco")
    root = _bundle(tmp_path / "bundle", files=3)
    service = make_service(tmp_path / "home", aws.endpoint)
    built = threading.Event()
    real_json, real_save = Manifest.to_json, Journal.save_data
    held: list[bool] = []

    def to_json(self: Manifest) -> bytes:
        built.set()
        return real_json(self)

    def save_data(self: Journal, saga_id: str, data: dict[str, object]) -> None:
        if "trying_version" in data and not held:
            held.append(built.wait(timeout=5))  # a worker thread: the loop goes on meanwhile
        real_save(self, saga_id, data)

    monkeypatch.setattr(Manifest, "to_json", to_json)
    monkeypatch.setattr(Journal, "save_data", save_data)
    result = await service.publish("acme", app, [root])
    assert result.version == 1 and held == [True]


async def test_a_republish_lists_s3_once_and_still_verifies(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app, counter = app_for(request, "eco"), WireCounter()
    root = _bundle(tmp_path / "bundle", files=60)
    service = make_service(tmp_path / "home", aws.endpoint, counter=counter)
    await service.publish("acme", app, [root])
    fresh = sum(counter.calls[op] for op in LISTINGS)
    (root / "assets" / "a011.png").write_bytes(b"changed")
    counter.calls.clear()
    result = await service.publish("acme", app, [root])
    assert result.version == 2
    assert sum(counter.calls[op] for op in LISTINGS) == 1  # packages/ only: no listing of files/
    # the verification still looks (the vouching manifest by HEAD, the new manifest read back by GET);
    # the changed file this run created needs no look, and no file of the bundle is looked at one by one
    assert 1 <= counter.calls["HeadObject"] <= 4 and counter.calls["GetObject"] >= 1, counter.calls
    # a fresh bundle of many files: packages/ once; the files it created are not listed again to verify
    assert fresh == 1


async def test_a_republish_refuses_a_file_missing_from_s3_that_the_newest_package_does_not_name(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The verification skips only what the newest package vouches for and what the run created: a
    changed file found stored (another run's upload) that vanished by the end is found missing (a
    HEAD), not assumed stored."""
    app = app_for(request, "eco")
    root = _bundle(tmp_path / "bundle", files=3)
    service = make_service(tmp_path / "home", aws.endpoint)
    await service.publish("acme", app, [root])
    (root / "assets" / "a001.png").write_bytes(b"another picture")
    digest = hashlib.sha256(b"another picture").hexdigest()
    key = f"acme/{app}/files/sha256/{digest[:2]}/{digest}"
    s3 = aws.client("s3")
    s3.put_object(Bucket=aws.bucket, Key=key, Body=b"another picture")  # another run's upload
    deleted: list[str] = []

    def delete_after_put(**kwargs: object) -> None:
        if kwargs.get("http_response") is not None and not deleted:
            deleted.append(key)
            s3.delete_object(Bucket=aws.bucket, Key=key)  # that run's undo, after our manifest

    client = await service.storage.client()
    client.meta.events.register("after-call.s3.PutObject", delete_after_put)
    with pytest.raises(SagaFailed, match="does not hold"):
        await service.publish("acme", app, [root])
    assert deleted == [key]


async def test_a_listing_that_fails_while_the_bundle_is_scanned_is_raised_as_it_is(
    aws: AwsSandbox, tmp_path: Path
) -> None:
    """The listing runs beside the scan and hash look-up: its failure is the typed error it always was
    (not an exception group), and a zip extracted meanwhile is not left behind."""
    import zipfile

    from hyperota_desktop.domain.errors import HyperOtaError

    root = _bundle(tmp_path / "bundle", files=5)
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in root.rglob("*"):
            if f.is_file():
                zf.write(f, f.relative_to(root).as_posix())
    service = make_service(tmp_path / "home", aws.endpoint, bucket="no-such-bucket")
    with pytest.raises(HyperOtaError) as raised:
        await service.preflight("acme", "eco-missing", [archive])
    assert not isinstance(raised.value, BaseExceptionGroup)
    extracted = tmp_path / "home" / "cache" / "bundles"
    assert not extracted.exists() or not any(extracted.iterdir()), list(extracted.iterdir())
