"""Tamper corpus (each case fails with its own message, naming the part) and zip-slip corpus (refused,
nothing written outside the extraction folder), plus a fuzz of the reader that must never raise."""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperota_desktop.domain.archive_manifest import canonical_json
from hyperota_desktop.domain.archive_tar import BLOCK, member_header
from hyperota_desktop.services.archive_reader import ArchiveReader
from hyperota_desktop.services.archives import ArchiveService
from tests.archives.conftest import TIME
from tests.support import bundles
from tests.support.archives import Member, flipped, join, split


@pytest.fixture
async def plain(offline: ArchiveService, tmp_path: Path) -> bytes:
    root = bundles.write(tmp_path / "b", {"index.android.bundle": b"var a = 1;" * 30, "img/a.png": b"A" * 700,
                                          "img/b.png": b"B" * 900})  # fmt: skip
    await offline.build([root], tmp_path / "p.hota", created_at=TIME, created_by="ci")
    return (tmp_path / "p.hota").read_bytes()


def _at(raw: bytes, name: str) -> Member:
    return next(m for m in split(raw) if m.name == name)


def _swap(raw: bytes, a: int, b: int) -> bytes:
    members = split(raw)
    members[a], members[b] = members[b], members[a]
    return join(members, TIME)


def _drop(raw: bytes, name: str) -> bytes:
    return join([m for m in split(raw) if m.name != name], TIME)


def _insert(raw: bytes, index: int, member: Member) -> bytes:
    members = split(raw)
    members.insert(index, member)
    return join(members, TIME)


def _rewrite_header(raw: bytes, name: str, patch: Callable[[bytearray], None]) -> bytes:
    """Change header fields of `name` and fix its checksum, as a careful forger would."""
    m = _at(raw, name)
    block = bytearray(raw[m.offset : m.offset + BLOCK])
    patch(block)
    block[148:156] = b" " * 8
    block[148:156] = f"{sum(block):06o}".encode() + b"\x00 "
    return raw[: m.offset] + bytes(block) + raw[m.offset + BLOCK :]


def _end_of(raw: bytes) -> int:
    seal = _at(raw, "hota/seal.json")
    return seal.data_offset + -(-len(seal.data) // BLOCK) * BLOCK


def _a_zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("index.android.bundle", b"js" * 400)
    return buffer.getvalue()


def _other_seal(raw: bytes) -> bytes:
    members = split(raw)
    members[-1] = Member(
        "hota/seal.json", canonical_json({"format": 1, "manifest_sha256": "0" * 64, "signature": None})
    )
    return join(members, TIME)


CASES: dict[str, tuple[Callable[[bytes], bytes], str, str]] = {
    "manifest byte": (
        lambda r: flipped(
            r,
            _at(r, "hota/manifest.json").data_offset
            + r[_at(r, "hota/manifest.json").data_offset :].index(b'"created_by":"')
            + 15,
        ),
        "seal",
        "records manifest sha256",
    ),
    "manifest json": (
        lambda r: flipped(r, _at(r, "hota/manifest.json").data_offset, 0x40),
        "manifest",
        "not valid JSON",
    ),
    "file byte": (
        lambda r: flipped(r, _at(r, "hota/files/img/a.png").data_offset + 5),
        "file img/a.png",
        "SHA-256",
    ),
    "file header bit": (
        lambda r: flipped(r, _at(r, "hota/files/img/b.png").offset + 3),
        "structure",
        "checksum",
    ),
    "file header field": (
        lambda r: _rewrite_header(
            r, "hota/files/img/b.png", lambda b: b.__setitem__(slice(100, 108), b"0000755\x00")
        ),
        "structure",
        "not in canonical form",
    ),
    "file size header": (
        lambda r: _rewrite_header(
            r, "hota/files/img/b.png", lambda b: b.__setitem__(slice(124, 136), b"%011o\x00" % 899)
        ),
        "structure",
        "899 bytes in the archive, the manifest says 900",
    ),
    "padding": (
        lambda r: flipped(r, _at(r, "hota/files/img/a.png").data_offset + 700 + 3),
        "structure",
        "padding",
    ),
    "seal byte": (lambda r: flipped(r, _at(r, "hota/seal.json").data_offset + 40), "seal", ""),
    "end marker": (
        lambda r: flipped(r, _at(r, "hota/seal.json").data_offset + BLOCK + 10),
        "structure",
        "end-of-archive",
    ),
    "removed": (lambda r: _drop(r, "hota/files/img/a.png"), "structure", "'hota/files/img/a.png' is missing"),
    "added": (
        lambda r: _insert(r, 2, Member("hota/files/img/evil.js", b"x")),
        "structure",
        "unexpected member",
    ),
    "reordered": (lambda r: _swap(r, 1, 2), "structure", "out of order"),
    "duplicated": (lambda r: _insert(r, 2, split(r)[1]), "structure", "appears twice"),
    "seal removed": (lambda r: _drop(r, "hota/seal.json"), "structure", "seal is missing"),
    "seal swapped": (_other_seal, "seal", "records manifest sha256 0000000000000000"),
    "appended": (lambda r: r + b"\x01" * 10, "structure", "data after the end"),
    "member after end": (
        lambda r: r[: _end_of(r)] + join([Member("hota/x", b"1")], TIME),
        "structure",
        "after the seal",
    ),
    "truncated": (lambda r: r[: _at(r, "hota/files/img/b.png").data_offset + 100], "structure", "truncated"),
    "not an archive": (lambda r: _a_zip(), "structure", "not a HyperOTA archive"),
    "first header bit": (lambda r: flipped(r, 0), "structure", "first member is corrupt"),
}


async def test_tamper_corpus(plain: bytes, tmp_path: Path) -> None:
    messages: dict[str, str] = {}
    for name, (mutate, part, needle) in CASES.items():
        path = tmp_path / f"{name}.hota"
        path.write_bytes(mutate(plain))
        report = ArchiveReader(path).read().report
        assert not report.ok, name
        failed = [c for c in report.failures if c.part == part]
        assert failed, (name, report.text())
        assert needle in failed[0].detail, (name, failed[0].detail)
        messages[name] = "; ".join(f"{c.part}: {c.detail}" for c in report.failures)
    assert len(set(messages.values())) == len(messages), messages  # every case says something different


def _tar(path: Path, manifest: Member, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    """Our canonical manifest member, then entries as Python's tarfile writes them (links, devices...)."""
    raw = bytearray(member_header(manifest.name, len(manifest.data), TIME) + manifest.data)
    raw += bytes(-len(raw) % BLOCK)
    for info, data in members:
        info.mtime = TIME
        raw += info.tobuf(format=tarfile.PAX_FORMAT)
        if data:
            raw += data + bytes(-len(data) % BLOCK)
    path.write_bytes(bytes(raw) + bytes(2 * BLOCK + -(len(raw) + 2 * BLOCK) % 10240))
    return path


def _info(name: str, kind: bytes = tarfile.REGTYPE, size: int = 0, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, size, link
    return info


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (_info("hota/files/../../evil.js", size=1), "unsafe path"),
        (_info("/tmp/evil.js", size=1), "unsafe path"),
        (
            _info("hota/files/img/a.png", tarfile.SYMTYPE, link="/etc/passwd"),
            "a symbolic link to '/etc/passwd'",
        ),
        (_info("hota/files/img/a.png", tarfile.LNKTYPE, link="hota/manifest.json"), "a hard link"),
        (_info("hota/files/img/a.png", tarfile.CHRTYPE), "a character device"),
        (_info("hota/files/img", tarfile.DIRTYPE), "a directory"),
        (_info("hota/files/img/a.png", tarfile.FIFOTYPE), "a FIFO"),
        (_info("hota/files/" + "x" * 200, size=1), "unexpected member"),
    ],
)
async def test_zip_slip_corpus(plain: bytes, tmp_path: Path, entry: tarfile.TarInfo, message: str) -> None:
    manifest = split(plain)[0]
    data = b"x" if entry.size else None
    path = _tar(tmp_path / "evil.hota", manifest, [(entry, data)])
    out = tmp_path / "out"
    out.mkdir()
    report = ArchiveReader(path, extract_to=out).read().report
    assert not report.ok and message in report.failures[0].detail, report.text()
    assert list(out.rglob("*")) == []  # nothing extracted
    assert not (tmp_path / "evil.js").exists() and not Path("/tmp/evil.js").exists()


async def test_pax_path_escape_is_refused(plain: bytes, tmp_path: Path) -> None:
    """A pax `path` record that overrides a harmless ustar name is read and refused."""
    members = split(plain)
    raw = bytearray(join(members[:1], TIME)[: -10240 or None])
    raw = bytearray(member_header(members[0].name, len(members[0].data), TIME) + members[0].data)
    raw += bytes(-len(raw) % BLOCK)
    evil = member_header("hota/files/" + "ü" * 3 + "/../../../evil.js", 1, TIME)
    raw += evil + b"x" + bytes(BLOCK - 1) + bytes(10240)
    path = tmp_path / "pax.hota"
    path.write_bytes(bytes(raw))
    report = ArchiveReader(path, extract_to=tmp_path).read().report
    assert "unsafe path" in report.failures[0].detail
    assert not (tmp_path.parent / "evil.js").exists()


async def test_manifest_with_unsafe_paths_writes_nothing(plain: bytes, tmp_path: Path) -> None:
    import json

    members = split(plain)
    doc = json.loads(members[0].data)
    doc["files"][0]["path"] = "../../evil.js"
    members[0] = Member(members[0].name, canonical_json(doc))
    path = tmp_path / "m.hota"
    path.write_bytes(join(members, TIME))
    out = tmp_path / "out"
    out.mkdir()
    report = ArchiveReader(path, extract_to=out).read().report
    assert report.status_of("manifest").value == "failed" and "'..'" in report.failures[0].detail
    assert list(out.rglob("*")) == [] and not (tmp_path / "evil.js").exists()


_MUTATION = st.one_of(
    st.tuples(st.just("flip"), st.integers(min_value=0), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(min_value=0), st.just(0)),
    st.tuples(st.just("insert"), st.integers(min_value=0), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(min_value=0), st.integers(1, 600)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(_MUTATION, min_size=1, max_size=4), junk=st.binary(max_size=64))
def test_reader_fuzz_never_raises(
    plain: bytes, tmp_path: Path, mutations: list[tuple[str, int, int]], junk: bytes
) -> None:
    raw = bytearray(plain)
    for kind, where, value in mutations:
        at = where % max(1, len(raw))
        if kind == "flip" and raw:
            raw[at] ^= value
        elif kind == "cut":
            del raw[at:]
        elif kind == "insert":
            raw[at:at] = bytes([value]) * 3 + junk
        else:
            del raw[at : at + value]
    path = tmp_path / "fuzz.hota"
    path.write_bytes(bytes(raw))
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    report = ArchiveReader(path, extract_to=out / str(len(list(out.iterdir())))).read().report
    assert report.checks  # a report, never a traceback
    if bytes(raw) != plain:
        assert not report.ok


@pytest.mark.parametrize(
    ("name", "size", "needle"),
    [
        ("hota/manifest.json", 65 * 1024 * 1024, "larger than the format allows"),
        ("hota/envelope.json", 70 * 1024, "larger than the format allows"),
    ],
)
async def test_oversize_members_are_refused_before_reading(
    tmp_path: Path, name: str, size: int, needle: str
) -> None:
    path = tmp_path / "big.hota"
    path.write_bytes(member_header(name, size, TIME) + bytes(4 * BLOCK))
    report = ArchiveReader(path).read().report
    assert needle in report.failures[0].detail and report.failures[0].part == "structure"


async def test_oversize_seal_is_refused(plain: bytes, tmp_path: Path) -> None:
    members = split(plain)
    members[-1] = Member("hota/seal.json", b"{" + b" " * (70 * 1024) + b"}")
    path = tmp_path / "s.hota"
    path.write_bytes(join(members, TIME))
    assert "larger than the format allows" in ArchiveReader(path).read().report.failures[0].detail
