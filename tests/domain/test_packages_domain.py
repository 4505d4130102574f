"""Manifest format 1 round-trip and validation, keys, and the package diff."""

from __future__ import annotations

import hashlib

import pytest

from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.packages import AppKeys, Manifest, PackageFile, diff_packages, version_of_key


def _f(path: str, content: bytes) -> PackageFile:
    digest = hashlib.sha256(content).hexdigest()
    return PackageFile(path, f"https://cdn/x/{digest}", digest, len(content))


def _m(version: int, *files: PackageFile) -> Manifest:
    return Manifest("o", "a", version, files[0].file_path, files, "2026-01-01T00:00:00+00:00", "alice", "src")


def test_manifest_round_trip_and_keys() -> None:
    m = _m(3, _f("index.android.bundle", b"js"), _f("a.png", b"png"))
    back = Manifest.from_json(m.to_json())
    assert back == m and back.to_dict()["total_size"] == 5 and back.to_dict()["format"] == 1
    keys = AppKeys("P/", "o", "a")
    assert keys.manifest_key(3) == "P/o/a/packages/00000003.json"
    assert version_of_key(keys.manifest_key(3)) == 3
    digest = m.files[0].checksum
    assert keys.file_key(digest) == f"P/o/a/files/sha256/{digest[:2]}/{digest}"


@pytest.mark.parametrize(
    "change",
    [{"format": 2}, {"index": "missing"}, {"total_size": 99}, {"files": [{"file_path": "x"}]}],
)
def test_bad_manifests_are_refused(change: dict) -> None:
    data = _m(1, _f("i.js", b"1")).to_dict() | change
    with pytest.raises(ValidationError):
        Manifest.from_dict(data)


def test_diff_counts_only_new_content() -> None:
    old = _m(1, _f("i.js", b"v1"), _f("a.png", b"A"), _f("gone.txt", b"G"))
    new = _m(2, _f("i.js", b"v2"), _f("a.png", b"A"), _f("copy.png", b"A"), _f("new.txt", b"NEW"))
    d = diff_packages(old, new)
    assert [f.file_path for f in d.added] == ["copy.png", "new.txt"]
    assert [f.file_path for f in d.removed] == ["gone.txt"]
    assert [c.file_path for c in d.changed] == ["i.js"] and d.unchanged == 1
    assert d.download_bytes == len(b"v2") + len(b"NEW")  # copy.png's content is already on the device
