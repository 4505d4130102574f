"""Fallback assets for app binaries: Android assets folder, iOS folder and zip."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.fallback import Platform
from hyperota_desktop.services.archive_import import fallback_assets
from hyperota_desktop.services.archive_trust import ArchiveRefused
from hyperota_desktop.services.archives import ArchiveService
from tests.archives.conftest import TIME
from tests.support.archives import flipped, split


@pytest.fixture
async def archive(offline: ArchiveService, bundle: Path, tmp_path: Path) -> Path:
    await offline.build(
        [bundle], tmp_path / "a.hota", app="shop", created_at=TIME, base_url="https://cdn.example"
    )
    return tmp_path / "a.hota"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


async def test_android_assets(offline: ArchiveService, archive: Path, bundle: Path, tmp_path: Path) -> None:
    main = tmp_path / "app/src/main"
    result = await fallback_assets(offline, archive, Platform.ANDROID, main)
    assert result.path == main / "assets/shop" and result.files == 4
    tree = _tree(main)
    config = json.loads(tree.pop("assets/shop/release_config.json"))
    assert tree == {f"assets/shop/{k}": v for k, v in _tree(bundle).items()}
    assert config["version"] == "2" and config["package"]["name"] == "shop"
    index = config["package"]["index"]
    assert index["file_path"] == "index.android.bundle" and index["url"].startswith(
        "https://cdn.example/offline/shop/"
    )
    assert {f["file_path"] for f in config["package"]["important"]} == {
        "drawable-hdpi/logo.png", "drawable-mdpi/logo.png", "raw/sound.mp3",
    }  # fmt: skip
    with pytest.raises(ValidationError, match="already holds fallback assets"):
        await fallback_assets(offline, archive, Platform.ANDROID, main)
    await fallback_assets(offline, archive, Platform.ANDROID, main, replace=True)
    assert len(_tree(main)) == 5 and not [p for p in (main / "assets").iterdir() if p.name.startswith(".")]


async def test_ios_folder_and_zip(
    offline: ArchiveService, archive: Path, bundle: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "ios/OTA"
    await fallback_assets(offline, archive, Platform.IOS, folder)
    tree = _tree(folder)
    assert set(tree) == {"release_config.json", *_tree(bundle)}
    zipped = tmp_path / "ota.zip"
    await fallback_assets(offline, archive, Platform.IOS, zipped, as_zip=True)
    first = zipped.read_bytes()
    with zipfile.ZipFile(zipped) as zf:
        assert zf.namelist()[0] == "release_config.json"
        assert {n: zf.read(n) for n in zf.namelist()} == tree
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())
    await fallback_assets(offline, archive, Platform.IOS, zipped, as_zip=True, replace=True)
    assert zipped.read_bytes() == first  # deterministic
    with pytest.raises(ValidationError, match="Only the iOS"):
        await fallback_assets(offline, archive, Platform.ANDROID, tmp_path / "x.zip", as_zip=True)


async def test_refusals_write_nothing(offline: ArchiveService, archive: Path, tmp_path: Path) -> None:
    raw = archive.read_bytes()
    bad = tmp_path / "bad.hota"
    bad.write_bytes(flipped(raw, split(raw)[1].data_offset))
    target = tmp_path / "ios"
    with pytest.raises(ArchiveRefused, match=r"file drawable-hdpi/logo\.png"):
        await fallback_assets(offline, bad, Platform.IOS, target)
    assert not target.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    with pytest.raises(ValidationError, match="not an earlier fallback"):
        await fallback_assets(offline, archive, Platform.IOS, target, replace=True)
    assert _tree(target) == {"mine.txt": b"keep me"}


def test_scratch_folders_left_by_a_crash_are_removed_after_a_day(
    offline: ArchiveService, tmp_path: Path
) -> None:
    import os
    import time

    old, recent = tmp_path / "cache/imports/old", tmp_path / "cache/imports/recent"
    for folder in (old, recent):
        (folder / "sub").mkdir(parents=True)
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    fresh = offline.scratch("imports")
    assert fresh.is_dir() and not old.exists() and recent.exists()
    assert fresh.stat().st_mode & 0o077 == 0
