"""Offline build and verify: byte-identical rebuilds, standard tar tools, round trips, one flipped bit."""

from __future__ import annotations

import json
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperota_desktop.domain.archive_report import Status
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.services.archive_reader import ArchiveReader
from hyperota_desktop.services.archives import ArchiveService
from tests.archives.conftest import TIME
from tests.support import bundles
from tests.support.archives import flipped


async def test_rebuilds_are_byte_identical(offline: ArchiveService, bundle: Path, tmp_path: Path) -> None:
    first = await offline.build([bundle], tmp_path / "a.hota", created_by="ci")
    again = await offline.build([bundle], tmp_path / "b.hota", created_by="ci")
    assert (tmp_path / "a.hota").read_bytes() == (tmp_path / "b.hota").read_bytes()
    assert first.manifest_sha256 == again.manifest_sha256 and first.size % 10240 == 0
    later = await offline.build([bundle], tmp_path / "c.hota", created_by="ci", created_at=TIME)
    assert later.manifest_sha256 != first.manifest_sha256  # the time is an input, not the clock
    (bundle / "raw/sound.mp3").write_bytes(b"\x02" * 3000)
    changed = await offline.build([bundle], tmp_path / "d.hota", created_by="ci", created_at=TIME)
    assert changed.manifest_sha256 != later.manifest_sha256


async def test_zip_and_folder_give_the_same_archive(
    offline: ArchiveService, bundle: Path, tmp_path: Path
) -> None:
    zipped = tmp_path / "rn.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for f in sorted(bundle.rglob("*")):
            if f.is_file():
                zf.write(f, f.relative_to(bundle).as_posix())
    await offline.build([bundle], tmp_path / "a.hota", app="rn", created_at=TIME, created_by="ci")
    await offline.build([zipped], tmp_path / "b.hota", app="rn", created_at=TIME, created_by="ci")
    a, b = (ArchiveReader(tmp_path / n).read().manifest for n in ("a.hota", "b.hota"))
    assert a is not None and b is not None
    assert a.files == b.files and a.release_config == b.release_config
    assert (a.package.source, b.package.source) == ("rn", "rn.zip")  # what was dropped, without its folder


async def test_standard_tar_lists_and_unpacks_it(
    offline: ArchiveService, bundle: Path, tmp_path: Path
) -> None:
    await offline.build([bundle], tmp_path / "a.hota", created_at=TIME)
    listing = subprocess.run(["tar", "-tf", tmp_path / "a.hota"], check=True, capture_output=True, text=True)
    assert listing.stdout.split() == [
        "hota/manifest.json", "hota/files/drawable-hdpi/logo.png", "hota/files/drawable-mdpi/logo.png",
        "hota/files/index.android.bundle", "hota/files/raw/sound.mp3", "hota/seal.json",
    ]  # fmt: skip
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["tar", "-xf", tmp_path / "a.hota", "-C", out], check=True)
    assert (out / "hota/files/raw/sound.mp3").read_bytes() == (bundle / "raw/sound.mp3").read_bytes()
    manifest = json.loads((out / "hota/manifest.json").read_text())
    assert manifest["kind"] == "package" and manifest["created_at"] == "2025-01-01T00:00:00Z"
    assert manifest["release_config"]["package"]["index"]["file_path"] == "index.android.bundle"
    assert manifest["release_config"]["package"]["name"] == "rn"


async def test_round_trip_report_and_extraction(
    offline: ArchiveService, bundle: Path, tmp_path: Path
) -> None:
    built = await offline.build([bundle], tmp_path / "a.hota", org="acme", app="shop", created_at=TIME)
    out = tmp_path / "files"
    out.mkdir()
    result = await offline.read(tmp_path / "a.hota", extract_to=out)
    report = result.report
    assert report.ok and not report.trusted and report.status_of("signature") is Status.SKIPPED
    assert [c.part for c in report.checks[:4]] == ["structure", "manifest", "package", "release config"]
    assert report.files == 4 and report.org == "acme" and report.app == "shop"
    assert report.manifest_sha256 == built.manifest_sha256
    for f in bundle.rglob("*"):
        if f.is_file():
            assert (out / f.relative_to(bundle)).read_bytes() == f.read_bytes()
    data = report.to_dict()
    assert data["ok"] and {c["part"] for c in data["checks"]} >= {"file raw/sound.mp3", "seal", "signature"}


async def test_bad_input_is_refused_before_anything_is_written(
    offline: ArchiveService, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("../escape.js", b"x")
        zf.writestr("index.android.bundle", b"js")
    with pytest.raises(ValidationError, match=r"'\.\.'"):
        await offline.build([bad], tmp_path / "a.hota")
    assert not list(tmp_path.glob("*.hota")) and not list(tmp_path.glob(".*partial"))
    with pytest.raises(ValidationError, match="Package name"):
        await offline.build(
            [bundles.generic(tmp_path / "g")], tmp_path / "g.hota", index="entry.js", app="Bad Name"
        )


async def test_a_file_changed_after_hashing_is_refused(
    offline: ArchiveService, bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hyperota_desktop.services import archive_writer

    original = archive_writer._copy_file

    def tamper(sink, file, label, expected):  # type: ignore[no-untyped-def]
        if label == "raw/sound.mp3":
            file.local.write_bytes(b"\x07" * expected)
        return original(sink, file, label, expected)

    monkeypatch.setattr(archive_writer, "_copy_file", tamper)
    with pytest.raises(Exception, match="changed after it was hashed"):
        await offline.build([bundle], tmp_path / "a.hota", created_at=TIME)
    assert not (tmp_path / "a.hota").exists() and not list(tmp_path.glob(".a.hota*"))


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    import asyncio

    from hyperota_desktop.services.archives import offline_archives

    tmp = tmp_path_factory.mktemp("small")
    root = bundles.write(tmp / "b", {"index.android.bundle": b"var a = 1;", "img/a.png": b"\x89PNG" * 40})
    service = offline_archives(tmp / "cache")
    asyncio.run(service.build([root], tmp / "s.hota", created_at=TIME, created_by="ci"))
    return (tmp / "s.hota").read_bytes()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offset=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_fails_verification(
    small_archive: bytes, tmp_path: Path, offset: int, bit: int
) -> None:
    path = tmp_path / "f.hota"
    path.write_bytes(flipped(small_archive, offset % len(small_archive), 1 << bit))
    report = ArchiveReader(path).read().report
    assert not report.ok, offset % len(small_archive)


def test_every_byte_of_the_structure_is_covered(small_archive: bytes, tmp_path: Path) -> None:
    """Exhaustively: every byte outside file data (headers, manifest, seal, padding, end) matters."""
    path = tmp_path / "f.hota"
    with tarfile.open(fileobj=__import__("io").BytesIO(small_archive)) as tf:
        data_ranges = [
            (m.offset_data, m.offset_data + m.size) for m in tf.getmembers() if "/files/" in m.name
        ]
    for offset in range(0, len(small_archive), 7):
        if any(a <= offset < b for a, b in data_ranges):
            continue
        path.write_bytes(flipped(small_archive, offset, 0x20))
        assert not ArchiveReader(path).read().report.ok, offset
