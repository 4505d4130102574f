"""Export a published package, import it elsewhere (twice: nothing new), with moto S3 and KMS over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperota_desktop.domain.errors import (
    Cancelled,
    IntegrityError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.services.archive_import import import_archive
from hyperota_desktop.services.archive_trust import ArchiveRefused
from hyperota_desktop.services.archives import ArchiveService, Protection
from hyperota_desktop.services.kms import Kms
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.transfer import ProgressSnapshot, TransferControl
from tests.support import bundles
from tests.support.archives import flipped, split
from tests.support.packages_env import authorizer, make_service

SIGNING = "alias/hyperota-signing"


@pytest.fixture
def packages(aws: AwsSandbox, tmp_path: Path) -> PackageService:
    """Published by the owner of the organisation `arc` (the services' real authorizer decides)."""
    return make_service(
        tmp_path / "home", aws.endpoint, public_base_url=aws.public_base_url, paths=("/arc/owner",)
    )


@pytest.fixture
def service(aws: AwsSandbox, packages: PackageService, tmp_path: Path) -> ArchiveService:
    return ArchiveService(
        tmp_path / "cache", kms=Kms(lambda: aws.client("kms")), packages=packages, authz=packages.authz,
        signing_key=SIGNING, public_base_url=aws.public_base_url,
    )  # fmt: skip


def _keys(aws: AwsSandbox, prefix: str) -> list[str]:
    listed = aws.client("s3").list_objects_v2(Bucket=aws.bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


async def test_export_import_twice_creates_nothing_new(
    service: ArchiveService, packages: PackageService, aws: AwsSandbox, tmp_path: Path
) -> None:
    root = bundles.react_native(tmp_path / "rn")
    published = await packages.publish("arc", "src", [root], tag="stable")
    phases: list[str] = []
    exported = await service.export_package(
        "arc", "src", tmp_path / "p.hota", tag="stable", protection=Protection(sign_key=SIGNING),
        progress=lambda s: phases.append(s.phase),
    )  # fmt: skip
    assert (exported.org, exported.app, exported.version, exported.signed) == ("arc", "src", 1, True)
    assert {"downloading", "writing"} <= set(phases)
    report = await service.verify(tmp_path / "p.hota")
    assert report.ok and report.package_version == published.version

    first = await import_archive(service, tmp_path / "p.hota", org="arc", app="dst")
    assert (first.version, first.adopted) == (1, False) and first.bytes_uploaded > 0 and first.report.trusted
    files_before, packages_before = _keys(aws, "arc/dst/files/"), _keys(aws, "arc/dst/packages/")
    second = await import_archive(service, tmp_path / "p.hota", org="arc", app="dst")
    assert (second.version, second.adopted, second.bytes_uploaded) == (1, True, 0)
    assert _keys(aws, "arc/dst/files/") == files_before and _keys(aws, "arc/dst/packages/") == packages_before
    imported = await packages.show("arc", "dst", 1)
    original = await packages.show("arc", "src", 1)
    assert imported.index == original.index
    assert [(f.file_path, f.checksum, f.size) for f in imported.files] == [
        (f.file_path, f.checksum, f.size) for f in original.files
    ]
    assert all(f.url.startswith(aws.public_base_url + "/arc/dst/") for f in imported.files)
    assert imported.source.startswith("archive p.hota (manifest sha256 ")
    back_home = await import_archive(service, tmp_path / "p.hota")  # the archive's own org/app
    assert (back_home.org, back_home.app, back_home.version, back_home.adopted) == ("arc", "src", 1, True)


async def test_exports_are_deterministic_and_checked(
    service: ArchiveService, packages: PackageService, aws: AwsSandbox, tmp_path: Path
) -> None:
    root = bundles.react_native(tmp_path / "rn")
    await packages.publish("arc", "det", [root])
    await service.export_package("arc", "det", tmp_path / "a.hota", version=1)
    await service.export_package("arc", "det", tmp_path / "b.hota", version=1)
    assert (tmp_path / "a.hota").read_bytes() == (tmp_path / "b.hota").read_bytes()
    with pytest.raises(NotFound):
        await service.export_package("arc", "det", tmp_path / "c.hota", version=9)
    with pytest.raises(ValidationError, match="no tag 'nope'"):
        await service.export_package("arc", "det", tmp_path / "c.hota", tag="nope")
    manifest = await packages.show("arc", "det", 1)
    victim = manifest.file("raw/sound.mp3")
    assert victim is not None
    key = packages.keys("arc", "det").file_key(victim.checksum)
    aws.client("s3").put_object(Bucket=aws.bucket, Key=key, Body=b"\x00" * victim.size)
    with pytest.raises(IntegrityError, match="S3 holds other content"):
        await service.export_package("arc", "det", tmp_path / "c.hota", version=1)
    assert not (tmp_path / "c.hota").exists() and not any((tmp_path / "cache/exports").iterdir())


async def test_cancel_stops_an_export_and_leaves_nothing(
    service: ArchiveService, packages: PackageService, tmp_path: Path
) -> None:
    import gc

    root = bundles.write(tmp_path / "big", {"index.android.bundle": b"x", "raw/a.bin": b"\x01" * (12 << 20)})
    await packages.publish("arc", "cancel", [root])
    control = TransferControl()

    def progress(snap: ProgressSnapshot) -> None:
        if snap.phase == "downloading" and 0 < snap.done < snap.total:
            control.cancel()  # mid-download: the download stops at its next chunk

    with pytest.raises(Cancelled):
        await service.export_package("arc", "cancel", tmp_path / "c.hota", version=1, progress=progress,
                                     control=control)  # fmt: skip
    assert not list(tmp_path.glob("*.hota")) and not list(tmp_path.glob(".c.hota*"))
    assert not any((tmp_path / "cache/exports").iterdir())
    gc.collect()  # a response left unread would surface here as an unclosed socket


async def test_access_is_checked(
    service: ArchiveService, packages: PackageService, aws: AwsSandbox, tmp_path: Path
) -> None:
    root = bundles.react_native(tmp_path / "rn")
    await packages.publish("arc", "acl", [root])
    await service.export_package("arc", "acl", tmp_path / "p.hota", version=1)
    reader = ArchiveService(  # someone who only reads arc/ro: the same authorizer rules as every service
        tmp_path / "cache2", kms=Kms(lambda: aws.client("kms")), packages=packages,
        authz=authorizer("rita", "/arc/ro/read"), signing_key=SIGNING, public_base_url=aws.public_base_url,
    )  # fmt: skip
    with pytest.raises(PermissionDenied, match="no access to arc/acl"):
        await reader.export_package("arc", "acl", tmp_path / "q.hota", version=1)
    with pytest.raises(PermissionDenied, match="read access to arc/ro; to publish packages you need write"):
        await import_archive(reader, tmp_path / "p.hota", org="arc", app="ro", allow_untrusted=True)


async def test_import_refuses_untrusted_or_tampered(
    service: ArchiveService, packages: PackageService, aws: AwsSandbox, tmp_path: Path
) -> None:
    root = bundles.react_native(tmp_path / "rn")
    await packages.publish("arc", "u", [root])
    await service.export_package("arc", "u", tmp_path / "u.hota", version=1)
    with pytest.raises(ArchiveRefused, match="not signed") as refused:
        await import_archive(service, tmp_path / "u.hota", org="arc", app="u2")
    assert refused.value.report.ok and "--allow-untrusted" in refused.value.hint
    raw = (tmp_path / "u.hota").read_bytes()
    (tmp_path / "t.hota").write_bytes(flipped(raw, split(raw)[2].data_offset))
    with pytest.raises(ArchiveRefused, match="Refusing to import: Verification FAILED — file"):
        await import_archive(service, tmp_path / "t.hota", org="arc", app="u2", allow_untrusted=True)
    assert _keys(aws, "arc/u2/") == []
    result = await import_archive(service, tmp_path / "u.hota", org="arc", app="u2", allow_untrusted=True)
    assert result.version == 1 and not any((tmp_path / "cache/imports").iterdir())


async def test_package_properties_travel_and_decide_adoption(
    service: ArchiveService, packages: PackageService, tmp_path: Path
) -> None:
    root = bundles.react_native(tmp_path / "rn")
    await packages.publish("arc", "props", [root], properties={"min_app_version": "2.1"})
    await packages.publish("arc", "props", [root])  # same files, no properties: another package
    await service.export_package("arc", "props", tmp_path / "p.hota", version=1)
    result = await import_archive(service, tmp_path / "p.hota", org="arc", app="props", allow_untrusted=True)
    assert (result.version, result.adopted) == (1, True)  # version 2 has the same files, not the properties
    copy = await import_archive(service, tmp_path / "p.hota", org="arc", app="props2", allow_untrusted=True)
    assert (await packages.show("arc", "props2", copy.version)).properties == {"min_app_version": "2.1"}
