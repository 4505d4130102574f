"""Recognised layouts and the bad-input corpus (folders and zips built in tmp): refused before any upload."""

from __future__ import annotations

import os
import socket
import stat
import zipfile
from pathlib import Path

import pytest

from hyperota_desktop.domain.bundles import BundleKind, IndexRequired, Limits
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.services.bundle_scan import scan_sync
from tests.support import bundles


def _scan(path: Path | list[Path], tmp_path: Path, index: str | None = None, **kw: object):
    sources = path if isinstance(path, list) else [path]
    return scan_sync(sources, index=index, cache_dir=tmp_path / "cache", **kw)  # type: ignore[arg-type]


def _zip(path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return path


def test_react_native_layout(tmp_path: Path) -> None:
    bundle = _scan(bundles.react_native(tmp_path / "rn"), tmp_path)
    assert bundle.layout.kind is BundleKind.REACT_NATIVE
    assert bundle.index == "index.android.bundle" and bundle.layout.platform == "android"
    assert bundle.files[0].path == "drawable-hdpi/logo.png"
    assert bundle.total_size == sum(f.size for f in bundle.files)


def test_ios_main_jsbundle(tmp_path: Path) -> None:
    root = bundles.write(tmp_path / "ios", {"main.jsbundle": b"x", "assets/a.png": b"p"})
    bundle = _scan(root, tmp_path)
    assert bundle.layout.kind is BundleKind.REACT_NATIVE and bundle.layout.platform == "ios"


def test_expo_export_uses_metadata(tmp_path: Path) -> None:
    bundle = _scan(bundles.expo(tmp_path / "expo"), tmp_path)
    assert bundle.layout.kind is BundleKind.EXPO
    assert bundle.index == "_expo/static/js/android/index-abc.hbc"


def test_hermes_bytecode_by_magic(tmp_path: Path) -> None:
    bundle = _scan(bundles.hermes(tmp_path / "h"), tmp_path)
    assert bundle.layout.kind is BundleKind.HERMES and bundle.index == "app.hbc"
    fake = bundles.write(tmp_path / "fake", {"app.hbc": b"not bytecode"})
    assert "magic" in _scan(fake, tmp_path).layout.warnings[0]


def test_generic_folder_needs_a_chosen_index(tmp_path: Path) -> None:
    root = bundles.generic(tmp_path / "g")
    with pytest.raises(IndexRequired, match="No index file") as info:
        _scan(root, tmp_path)
    assert info.value.files == ("entry.js", "lib/a.js", "lib/b.js")  # what a picker offers
    assert info.value.candidates == ("entry.js", "lib/a.js", "lib/b.js")
    bundle = _scan(root, tmp_path, index="entry.js")
    assert bundle.layout.kind is BundleKind.GENERIC and bundle.index == "entry.js"
    with pytest.raises(ValidationError, match="not in the bundle"):
        _scan(root, tmp_path, index="missing.js")


def test_several_index_candidates_name_them_for_a_picker(tmp_path: Path) -> None:
    root = bundles.write(
        tmp_path / "both", {"index.android.bundle": b"a", "main.jsbundle": b"i", "x.png": b"p"}
    )
    with pytest.raises(IndexRequired, match="Several possible index files") as info:
        _scan(root, tmp_path)
    assert info.value.candidates == ("index.android.bundle", "main.jsbundle")
    assert info.value.files == ("index.android.bundle", "main.jsbundle", "x.png")
    assert _scan(root, tmp_path, index="main.jsbundle").layout.platform == "ios"


def test_zip_of_react_native_output_and_loose_files(tmp_path: Path) -> None:
    z = _zip(tmp_path / "b.zip", [("index.android.bundle", b"js"), ("drawable-mdpi/a.png", b"png")])
    bundle = _scan(z, tmp_path)
    assert bundle.index == "index.android.bundle" and bundle.extracted_to is not None
    assert (bundle.extracted_to / "drawable-mdpi" / "a.png").read_bytes() == b"png"
    loose = bundles.write(tmp_path / "loose", {"main.jsbundle": b"js", "x.png": b"p"})
    files = _scan([loose / "main.jsbundle", loose / "x.png"], tmp_path)
    assert files.index == "main.jsbundle" and len(files.files) == 2


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([("/etc/passwd", b"x"), ("index.android.bundle", b"js")], "absolute path"),
        ([("../evil.js", b"x"), ("index.android.bundle", b"js")], r"contains '\.\.'"),
        ([("a/../../evil.js", b"x")], r"contains '\.\.'"),
        ([("C:/win.js", b"x")], "absolute path"),
        ([("a\\b.js", b"x")], "backslashes"),
        ([("index.android.bundle", b"1"), ("index.android.bundle", b"2")], "twice"),
        ([("dir/", b"")], "empty"),
        ([("a.js", b"1"), ("a.js/b.js", b"2")], "both a file and a folder"),
        ([("readme.txt", b"hi"), ("other.txt", b"x")], "No index file"),
    ],
)
def test_bad_zips_are_refused(tmp_path: Path, entries: list[tuple[str, bytes]], message: str) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name we write on purpose
        z = _zip(tmp_path / "bad.zip", entries)
    with pytest.raises(ValidationError, match=message):
        _scan(z, tmp_path)


def test_zip_symlink_entry_is_refused(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    z = _zip(tmp_path / "l.zip", [(info, b"/etc/passwd"), ("index.android.bundle", b"js")])
    with pytest.raises(ValidationError, match="symbolic link"):
        _scan(z, tmp_path)


def test_zip_bomb_by_ratio_and_by_total(tmp_path: Path) -> None:
    z = _zip(tmp_path / "bomb.zip", [("index.android.bundle", b"\0" * (8 * 1024 * 1024))])
    with pytest.raises(ValidationError, match="expands 1028x") as info:
        _scan(z, tmp_path)
    assert "zip bomb" in info.value.hint
    z2 = _zip(tmp_path / "big.zip", [("index.android.bundle", os.urandom(4096)), ("b.bin", os.urandom(4096))])
    with pytest.raises(ValidationError, match="larger than"):
        _scan(z2, tmp_path, limits=Limits(max_total_size=6000))


def test_zip_lying_about_sizes_is_stopped_while_extracting(tmp_path: Path) -> None:
    z = _zip(tmp_path / "liar.zip", [("index.android.bundle", b"A" * 5000)])
    raw = bytearray(z.read_bytes())
    # Patch the declared uncompressed size (local header and central directory) down to 10 bytes.
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = raw.find(sig)
        raw[pos + offset : pos + offset + 4] = (10).to_bytes(4, "little")
    z.write_bytes(bytes(raw))
    with pytest.raises(ValidationError):
        _scan(z, tmp_path)
    assert not list((tmp_path / "cache" / "bundles").glob("*/index.android.bundle"))


def test_undecodable_zip_name_is_refused(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("x")
    z = tmp_path / "enc.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(info, b"1")
        zf.writestr("index.android.bundle", b"js")
    raw = bytearray(z.read_bytes())
    # Replace the 1-byte name 'x' (both headers) with byte 0xff: not UTF-8, no UTF-8 flag.
    for sig, offset in ((b"PK\x03\x04", 30), (b"PK\x01\x02", 46)):
        pos = raw.find(sig)
        raw[pos + offset] = 0xFF
    z.write_bytes(bytes(raw))
    with pytest.raises(ValidationError, match=r"encoding|UTF-8"):
        _scan(z, tmp_path)


def test_zip_name_starting_with_nul_is_refused_not_a_crash(tmp_path: Path) -> None:
    """zipfile cuts a name at its first NUL: one that starts with NUL reads as "" (its `is_dir()` used
    to raise IndexError out of the scan); a hostile zip gets the entry rules' clear error."""
    z = tmp_path / "nul.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("Xevil.js", b"1")
        zf.writestr("index.android.bundle", b"js")
    z.write_bytes(z.read_bytes().replace(b"Xevil.js", b"\x00evil.js"))  # both headers
    with pytest.raises(ValidationError, match="empty or NUL"):
        _scan(z, tmp_path)


def test_not_a_zip(tmp_path: Path) -> None:
    z = tmp_path / "junk.zip"
    z.write_bytes(b"definitely not a zip")
    with pytest.raises(ValidationError, match="not a readable zip"):
        _scan(z, tmp_path)


def test_symlink_leaving_the_folder_is_refused_inside_is_fine(tmp_path: Path) -> None:
    root = bundles.react_native(tmp_path / "rn")
    (root / "inside.png").symlink_to(root / "drawable-mdpi" / "logo.png")
    assert any(f.path == "inside.png" for f in _scan(root, tmp_path).files)
    secret = tmp_path / "secret.txt"
    secret.write_text("s")
    (root / "escape.txt").symlink_to(secret)
    with pytest.raises(ValidationError, match="leaves the bundle folder"):
        _scan(root, tmp_path)


def test_fifo_and_socket_are_refused(tmp_path: Path) -> None:
    root = bundles.react_native(tmp_path / "rn")
    os.mkfifo(root / "pipe")
    with pytest.raises(ValidationError, match="not a regular file"):
        _scan(root, tmp_path)
    (root / "pipe").unlink()
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(root / "s.sock"))
        with pytest.raises(ValidationError, match="not a regular file"):
            _scan(root, tmp_path)
    finally:
        sock.close()


def test_undecodable_folder_name_and_empty_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValidationError, match="empty"):
        _scan(empty, tmp_path)
    root = bundles.react_native(tmp_path / "rn")
    with open(os.fsencode(root) + b"/bad\xffname.js", "wb") as fh:
        fh.write(b"x")
    with pytest.raises(ValidationError, match="not valid UTF-8"):
        _scan(root, tmp_path)


async def test_a_cancelled_zip_scan_stops_on_the_workers_and_leaves_no_partial_extraction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the app's transfer workers; a cancel mid-extraction stops the thread at the next chunk and
    removes what it had extracted before the cancel is raised."""
    import asyncio
    import threading

    from hyperota_desktop.services import bundle_scan
    from hyperota_desktop.services.workers import Workers

    archive = _zip(
        tmp_path / "b.zip",
        [("index.android.bundle", b"x")] + [(f"img/{n}.png", os.urandom(2048)) for n in range(200)],
    )
    workers = Workers.create(transfer_threads=1)
    started, names = threading.Event(), set[str]()
    go_on = bundle_scan._go_on

    def slow(stop: threading.Event | None) -> None:
        names.add(threading.current_thread().name)
        started.set()
        if stop is not None:
            stop.wait(0.01)  # a slow disk, cut short by the cancel
        go_on(stop)

    monkeypatch.setattr(bundle_scan, "_go_on", slow)
    task = asyncio.ensure_future(
        bundle_scan.scan([archive], index=None, cache_dir=tmp_path / "cache", workers=workers)
    )
    await asyncio.to_thread(started.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert names and all(n.startswith("hyperota-transfer") for n in names), names
    assert not list((tmp_path / "cache" / "bundles").iterdir()), "no partial extraction is left"
    done = await bundle_scan.scan([archive], index=None, cache_dir=tmp_path / "cache", workers=workers)
    assert len(done.files) == 201  # the next scan of it starts afresh and completes
    workers.shutdown()
