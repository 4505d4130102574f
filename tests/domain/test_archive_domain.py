"""The archive format's pure parts: tar headers, canonical JSON, manifest, seal, envelope, fallback."""

from __future__ import annotations

import io
import json
import tarfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperota_desktop.domain import archive_tar as tar
from hyperota_desktop.domain.archive_manifest import (
    ArchiveManifest,
    canonical_json,
    package_archive_manifest,
    parse_canonical,
    release_config_problems,
)
from hyperota_desktop.domain.archive_report import Status, VerifyReport
from hyperota_desktop.domain.archive_seal import (
    MAX_STATEMENT,
    Envelope,
    Seal,
    SignatureRecord,
    b64,
    context_mismatch,
    parse_context,
    statement,
    unb64,
)
from hyperota_desktop.domain.bundles import DEFAULT_LIMITS
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.fallback import CONFIG_FILE, Platform, plan_fallback
from hyperota_desktop.domain.packages import Manifest, PackageFile

SHA = "ab" * 32


def _package(paths: list[str], app: str = "shop") -> Manifest:
    files = tuple(
        PackageFile(p, f"https://cdn.example/{i}", f"{i:064x}", 10 + i) for i, p in enumerate(paths)
    )
    return Manifest("acme", app, 3, paths[0], files, "2025-01-31T12:00:00+00:00", "alice")


def _manifest(paths: list[str] | None = None) -> ArchiveManifest:
    return package_archive_manifest(
        _package(paths or ["index.android.bundle", "a.png"]), org="acme", app="shop",
        created_at="2025-01-31T12:00:00Z", created_by="alice", tool="test",
    )  # fmt: skip


@pytest.mark.parametrize(
    "name",
    [
        "hota/manifest.json",
        "hota/files/" + "d" * 120 + "/f.js",
        "hota/files/ünï.js",
        "hota/files/" + "x" * 300,
    ],
)
def test_headers_are_read_by_pythons_tarfile(name: str) -> None:
    data = b"hello world"
    raw = tar.member_header(name, len(data), 1_700_000_000) + data + bytes(tar.padding(len(data)))
    raw += bytes(tar.end_padding(len(raw)))
    assert len(raw) % tar.RECORD == 0
    with tarfile.open(fileobj=io.BytesIO(raw)) as tf:
        (member,) = tf.getmembers()
        assert (member.name, member.size, member.mtime, member.mode, member.uid) == (
            name,
            11,
            1_700_000_000,
            0o644,
            0,
        )
        assert tf.extractfile(member).read() == data  # type: ignore[union-attr]


def test_header_parse_and_checksum() -> None:
    block = tar.member_header("hota/seal.json", 42, 7)
    head = tar.parse_header(block)
    assert (head.name, head.size, head.mtime, head.checksum_ok, head.regular, head.ustar) == (
        "hota/seal.json", 42, 7, True, True, True,
    )  # fmt: skip
    broken = bytearray(block)
    broken[3] ^= 1
    assert not tar.parse_header(bytes(broken)).checksum_ok
    link = tarfile.TarInfo("evil")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    parsed = tar.parse_header(link.tobuf(format=tarfile.USTAR_FORMAT))
    assert parsed.kind == "a symbolic link" and parsed.linkname == "/etc/passwd" and not parsed.regular


@given(st.text(min_size=1, max_size=40).filter(lambda k: "=" not in k), st.text(max_size=300))
def test_pax_records_round_trip(key: str, value: str) -> None:
    assert tar.parse_pax(tar.pax_record(key, value)) == {key: value}


@pytest.mark.parametrize("bad", [b"5 a=b\n", b"x path=a\n", b"9 patha\n", b"10 path=a\n\n"])
def test_malformed_pax_records_are_refused(bad: bytes) -> None:
    with pytest.raises(ValidationError):
        tar.parse_pax(bad)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b'{"b":1, "a":2}', "canonical"),
        (b'{"a":1,"a":2}', "twice"),
        (b'{"a":NaN}', "not a JSON number"),
        (b"[1]", "not a JSON object"),
        (b"\xff", "UTF-8"),
        (b'{"a":', "not valid JSON"),
    ],
)
def test_only_canonical_json_objects_parse(raw: bytes, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        parse_canonical(raw, "thing")


def test_manifest_round_trip_and_digest_is_over_exact_bytes() -> None:
    m = _manifest()
    again = ArchiveManifest.parse(m.canonical(), DEFAULT_LIMITS)
    assert again == m and again.digest() == m.digest() and again.mtime == 1738324800
    assert [f.path for f in again.files] == ["a.png", "index.android.bundle"]
    assert release_config_problems(again) == []
    assert again.release_config["package"]["version"] == "3"


def _with(m: ArchiveManifest, **changes: object) -> bytes:
    data = m.to_dict()
    data.update(changes)
    return canonical_json(data)


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("../evil.js", "'..'"),
        ("/etc/passwd", "absolute"),
        ("a/../../b", "'..'"),
        ("C:/x.js", "absolute"),
        ("a\\b.js", "backslashes"),
        ("./a.js", "canonical"),
        ("a//b.js", "canonical"),
    ],
)
def test_manifest_refuses_unsafe_paths(path: str, why: str) -> None:
    m = _manifest()
    files = [{"path": path, "sha256": SHA, "size": 1}]
    with pytest.raises(ValidationError, match=why):
        ArchiveManifest.parse(_with(m, files=files), DEFAULT_LIMITS)


def test_manifest_refuses_duplicates_unsorted_unknown_and_release() -> None:
    m = _manifest()
    twice = [{"path": "a", "sha256": SHA, "size": 1}] * 2
    with pytest.raises(ValidationError, match="twice"):
        ArchiveManifest.parse(_with(m, files=twice), DEFAULT_LIMITS)
    unsorted = [{"path": "b", "sha256": SHA, "size": 1}, {"path": "a", "sha256": SHA, "size": 1}]
    with pytest.raises(ValidationError, match="not sorted"):
        ArchiveManifest.parse(_with(m, files=unsorted), DEFAULT_LIMITS)
    with pytest.raises(ValidationError, match="unknown fields: extra"):
        ArchiveManifest.parse(_with(m, extra=1), DEFAULT_LIMITS)
    with pytest.raises(ValidationError, match="release must be an object"):
        ArchiveManifest.parse(_with(m, kind="release"), DEFAULT_LIMITS)  # a release archive without one
    with pytest.raises(ValidationError, match="Unsupported archive format 2"):
        ArchiveManifest.parse(_with(m, format=2), DEFAULT_LIMITS)
    with pytest.raises(ValidationError, match="2025-01-31T12:00:00Z"):
        ArchiveManifest.parse(_with(m, created_at="2025-01-31 12:00"), DEFAULT_LIMITS)
    huge = [{"path": "a", "sha256": SHA, "size": DEFAULT_LIMITS.max_total_size + 1}]
    with pytest.raises(ValidationError, match="larger than"):
        ArchiveManifest.parse(_with(m, files=huge), DEFAULT_LIMITS)


def test_release_config_must_describe_the_package() -> None:
    m = _manifest()
    doc = json.loads(json.dumps(m.release_config))
    doc["package"]["important"] = []
    raw = _with(m, release_config=doc)
    assert (
        "not exactly the package's files"
        in release_config_problems(ArchiveManifest.parse(raw, DEFAULT_LIMITS))[0]
    )


def test_seal_statement_and_strict_base64() -> None:
    record = SignatureRecord("arn:aws:kms:eu-west-1:1:key/k", "ECDSA_SHA_256", b"\x30\x59pub", b"\x30\x44sig")
    seal = Seal(SHA, record)
    assert Seal.parse(seal.canonical()) == seal
    assert json.loads(seal.statement())["public_key_sha256"] == record.public_key_sha256
    assert Seal.parse(Seal(SHA).canonical()).signature is None
    assert unb64(b64(b"\x00"), "x") == b"\x00"
    with pytest.raises(ValidationError, match="canonical base64"):
        unb64("AB==", "signature")  # decodes like "AA==": a flipped unused bit must not pass
    with pytest.raises(ValidationError, match="4096"):
        statement(SHA, "k" * MAX_STATEMENT, "ECDSA_SHA_256", b"pk")
    with pytest.raises(ValidationError, match="Unsupported signing algorithm"):
        Seal.parse(canonical_json({"format": 1, "manifest_sha256": SHA, "signature": {
            "algorithm": "HMAC", "key_id": "k", "public_key": "AA==", "signature": "AA=="}}))  # fmt: skip


def test_envelope_nonces_and_sizes() -> None:
    env = Envelope(
        "arn:k", b"blob", {"purpose": "x"}, b"\x01" * 7, SHA, plaintext_size=2 * 4096 + 1, chunk_size=4096
    )
    assert Envelope.parse(env.canonical(), max_plaintext=10**9) == env
    assert env.chunk_count == 3 and env.ciphertext_size == 2 * 4096 + 1 + 3 * 16
    nonces = {env.nonce(i, f) for i in range(3) for f in (False, True)}
    assert len(nonces) == 6 and all(len(n) == 12 for n in nonces)
    assert Envelope("k", b"b", {}, b"\x00" * 7, SHA, 0, 4096).chunk_count == 1
    bad = json.loads(env.canonical())
    bad["chunk_size"] = 10**9
    with pytest.raises(ValidationError, match="chunk size"):
        Envelope.parse(canonical_json(bad), max_plaintext=10**9)
    with pytest.raises(ValidationError, match="beyond the archive limits"):
        Envelope.parse(env.canonical(), max_plaintext=10)


def test_encryption_context_pairs() -> None:
    assert parse_context(["env=prod", "team=a=b"]) == {"env": "prod", "team": "a=b"}
    with pytest.raises(ValidationError, match="NAME=VALUE"):
        parse_context(["oops"])
    assert context_mismatch({"env": "prod"}, {"env": "prod"}) == []
    assert context_mismatch({"env": "dev"}, {"env": "prod", "x": "1"}) == [
        "env='prod' (the archive has env='dev')", "x='1' (absent)",
    ]  # fmt: skip


def test_report_states() -> None:
    report = VerifyReport("a.hota")
    assert not report.ok  # nothing checked is not a pass
    report.passed("structure", "fine")
    report.passed("file a", "fine")
    report.skipped("signature", "the archive is not signed")
    assert report.ok and not report.trusted and "not signed" in report.summary()
    report.failed("file b", "altered")
    assert not report.ok and report.status_of("file b") is Status.FAILED
    assert "FAIL  file b: altered" in report.text() and "1 file(s) match" in report.text()


def test_fallback_plans() -> None:
    m = _manifest(["index.android.bundle", "img/a.png"])
    android = plan_fallback(m, Platform.ANDROID)
    assert android.root == "assets/shop" and android.entries == [
        CONFIG_FILE,
        "img/a.png",
        "index.android.bundle",
    ]
    assert json.loads(android.config) == m.release_config
    assert plan_fallback(m, Platform.IOS).root == ""
    with pytest.raises(ValidationError, match=r"release_config\.json at its root"):
        plan_fallback(_manifest(["index.android.bundle", CONFIG_FILE]), Platform.IOS)
