"""Signed and encrypted archives against moto's KMS over HTTP: round trips, trust, wrong keys and contexts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperota_desktop.domain.archive_manifest import canonical_json
from hyperota_desktop.domain.archive_report import Status
from hyperota_desktop.domain.archive_seal import MAX_STATEMENT
from hyperota_desktop.domain.errors import IntegrityError
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.services.archive_crypto import public_key_der, public_key_pem
from hyperota_desktop.services.archive_reader import ArchiveReader
from hyperota_desktop.services.archive_trust import ArchiveRefused, Trust
from hyperota_desktop.services.archives import ArchiveService, Protection
from hyperota_desktop.services.kms import Kms
from tests.archives.conftest import TIME
from tests.support import bundles
from tests.support.archives import Member, flipped, join, split

SIGNING = "alias/hyperota-signing"
DATA = "alias/hyperota-data"


@pytest.fixture
def kms_service(aws: AwsSandbox, tmp_path: Path) -> ArchiveService:
    return ArchiveService(tmp_path / "cache", kms=Kms(lambda: aws.client("kms")), signing_key=SIGNING)


@pytest.fixture(scope="module")
def other_keys(aws: AwsSandbox) -> dict[str, str]:
    kms = aws.client("kms")
    made = {
        "ec": kms.create_key(KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY"),
        "rsa": kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY"),
        "data": kms.create_key(KeySpec="SYMMETRIC_DEFAULT"),
    }
    return {k: v["KeyMetadata"]["Arn"] for k, v in made.items()}


def _pem(aws: AwsSandbox, key: str) -> bytes:
    return public_key_pem(bytes(aws.client("kms").get_public_key(KeyId=key)["PublicKey"])).encode()


@pytest.fixture
def big_bundle(tmp_path: Path) -> Path:
    return bundles.write(tmp_path / "big", {"index.android.bundle": b"var a = 1;" * 10,
                                            "raw/video.mp4": bytes(range(256)) * 10_000})  # fmt: skip


async def test_signed_round_trip_offline_and_through_kms(
    kms_service: ArchiveService, aws: AwsSandbox, tmp_path: Path
) -> None:
    root = bundles.react_native(tmp_path / "rn")
    built = await kms_service.build(
        [root], tmp_path / "s.hota", created_at=TIME, protection=Protection(sign_key=SIGNING)
    )
    assert built.signed and not built.encrypted
    seal = split((tmp_path / "s.hota").read_bytes())[-1]
    record = json.loads(seal.data)["signature"]
    assert record["algorithm"] == "ECDSA_SHA_256" and record["key_id"].startswith("arn:aws:kms:")
    assert len(json.dumps(record)) < MAX_STATEMENT
    offline = await kms_service.verify(
        tmp_path / "s.hota", trust=Trust(public_key=public_key_der(_pem(aws, SIGNING)))
    )
    assert (
        offline.trusted
        and "by the trusted key" in next(c for c in offline.checks if c.part == "signature").detail
    )
    through_kms = await kms_service.verify(tmp_path / "s.hota", trust=Trust(kms_key=SIGNING))
    assert through_kms.trusted and "confirmed by KMS" in through_kms.checks[-1].detail
    untrusted = await kms_service.verify(tmp_path / "s.hota")
    assert untrusted.ok and not untrusted.trusted and untrusted.status_of("signature") is Status.SKIPPED


async def test_rsa_and_p384_keys_sign_too(
    kms_service: ArchiveService, aws: AwsSandbox, other_keys: dict[str, str], tmp_path: Path
) -> None:
    root = bundles.hermes(tmp_path / "h")
    for kind, algorithm in (("rsa", "RSASSA_PKCS1_V1_5_SHA_256"), ("ec", "ECDSA_SHA_384")):
        path = tmp_path / f"{kind}.hota"
        await kms_service.build(
            [root], path, created_at=TIME, protection=Protection(sign_key=other_keys[kind])
        )
        assert json.loads(split(path.read_bytes())[-1].data)["signature"]["algorithm"] == algorithm
        report = await kms_service.verify(
            path, trust=Trust(public_key=public_key_der(_pem(aws, other_keys[kind])))
        )
        assert report.trusted, report.text()
    with pytest.raises(Exception, match=r"cannot sign archives|not for signing"):
        await kms_service.build([root], tmp_path / "x.hota", protection=Protection(sign_key=DATA))


async def test_wrong_trusted_keys_fail_with_their_own_messages(
    kms_service: ArchiveService, other_keys: dict[str, str], tmp_path: Path
) -> None:
    root = bundles.react_native(tmp_path / "rn")
    await kms_service.build(
        [root], tmp_path / "s.hota", created_at=TIME, protection=Protection(sign_key=SIGNING)
    )
    stranger = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    by_pem = await kms_service.verify(tmp_path / "s.hota", trust=Trust(public_key=stranger))
    by_kms = await kms_service.verify(tmp_path / "s.hota", trust=Trust(kms_key=other_keys["ec"]))
    assert "not by the trusted key" in by_pem.failures[0].detail
    assert "not by the trusted KMS key" in by_kms.failures[0].detail
    assert [c.part for c in by_pem.failures] == ["signature"] == [c.part for c in by_kms.failures]


async def test_signature_swapped_between_archives_fails(kms_service: ArchiveService, tmp_path: Path) -> None:
    paths = []
    for name, seed in (("a", b"1"), ("b", b"2")):
        root = bundles.react_native(tmp_path / name, seed=seed)
        path = tmp_path / f"{name}.hota"
        await kms_service.build([root], path, created_at=TIME, protection=Protection(sign_key=SIGNING))
        paths.append(path)
    a, b = (split(p.read_bytes()) for p in paths)
    seal_a, seal_b = json.loads(a[-1].data), json.loads(b[-1].data)
    seal_a["signature"]["signature"] = seal_b["signature"]["signature"]
    a[-1] = Member("hota/seal.json", canonical_json(seal_a))
    (tmp_path / "swapped.hota").write_bytes(join(a, TIME))
    (tmp_path / "whole-seal.hota").write_bytes(join([*a[:-1], b[-1]], TIME))
    swapped = await kms_service.verify(tmp_path / "swapped.hota", trust=Trust(kms_key=SIGNING))
    assert [(c.part, c.detail) for c in swapped.failures] == [
        ("signature", "The signature does not verify: the seal or the signature was altered.")
    ]
    whole = await kms_service.verify(tmp_path / "whole-seal.hota", trust=Trust(kms_key=SIGNING))
    assert [c.part for c in whole.failures] == ["seal"] and "another archive's" in whole.failures[0].detail


async def test_sign_existing_archive_and_resign(
    kms_service: ArchiveService, other_keys: dict[str, str], tmp_path: Path
) -> None:
    root = bundles.react_native(tmp_path / "rn")
    await kms_service.build([root], tmp_path / "u.hota", created_at=TIME)
    before = (tmp_path / "u.hota").read_bytes()
    signed = await kms_service.sign(tmp_path / "u.hota", dest=tmp_path / "s.hota")  # the profile's key
    after = (tmp_path / "s.hota").read_bytes()
    cut = split(before)[-1].offset
    assert signed.signed and after[:cut] == before[:cut]  # only the seal changes
    assert (await kms_service.verify(tmp_path / "s.hota", trust=Trust(kms_key=SIGNING))).trusted
    await kms_service.sign(tmp_path / "s.hota", other_keys["ec"])  # in place, with another key
    assert (await kms_service.verify(tmp_path / "s.hota", trust=Trust(kms_key=other_keys["ec"]))).trusted
    (tmp_path / "t.hota").write_bytes(flipped(before, split(before)[1].data_offset))
    with pytest.raises(ArchiveRefused, match="Refusing to sign"):
        await kms_service.sign(tmp_path / "t.hota")


async def test_encrypted_round_trip_hides_the_content(
    kms_service: ArchiveService, big_bundle: Path, tmp_path: Path
) -> None:
    path = tmp_path / "e.hota"
    built = await kms_service.build(
        [big_bundle], path, created_at=TIME, protection=Protection(sign_key=SIGNING, encrypt_key=DATA,
                                                                   context={"env": "prod"}),
    )  # fmt: skip
    raw = path.read_bytes()
    assert built.encrypted and b"var a = 1;" not in raw and b"index.android.bundle" not in raw
    assert [m.name for m in split(raw)] == ["hota/envelope.json", "hota/payload.bin", "hota/seal.json"]
    envelope = json.loads(split(raw)[0].data)
    assert envelope["encryption_context"] == {"env": "prod", "purpose": "hyperota-archive"}
    assert envelope["kms_key_id"].startswith("arn:aws:kms:")
    out = tmp_path / "out"
    out.mkdir()
    result = await kms_service.read(path, trust=Trust(kms_key=SIGNING), require_context={"env": "prod"},
                                    expect_key=DATA, extract_to=out)  # fmt: skip
    assert result.report.trusted and result.report.status_of("encryption") is Status.PASSED
    assert (out / "raw/video.mp4").read_bytes() == (big_bundle / "raw/video.mp4").read_bytes()
    again = await kms_service.build([big_bundle], tmp_path / "e2.hota", created_at=TIME,
                                    protection=Protection(encrypt_key=DATA))  # fmt: skip
    assert again.manifest_sha256 == built.manifest_sha256  # same content, fresh data key and nonces


def _payload_chunks_swapped(raw: bytes) -> bytes:
    members = split(raw)
    payload = members[1].data
    size = 1024 * 1024 + 16
    members[1] = Member(members[1].name, payload[size : 2 * size] + payload[:size] + payload[2 * size :])
    return join(members, 0)


def _context_changed(raw: bytes) -> bytes:
    members = split(raw)
    envelope = json.loads(members[0].data)
    envelope["encryption_context"]["env"] = "dev"
    members[0] = Member(members[0].name, canonical_json(envelope))
    return join(members, 0)


async def test_encrypted_tamper_wrong_key_and_context(
    kms_service: ArchiveService, big_bundle: Path, other_keys: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "e.hota"
    await kms_service.build([big_bundle], path, created_at=TIME,
                            protection=Protection(encrypt_key=DATA, context={"env": "prod"}))  # fmt: skip
    raw = path.read_bytes()
    payload = split(raw)[1]
    cases: list[tuple[str, bytes, dict[str, Any], str]] = [
        ("chunk byte", flipped(raw, payload.data_offset + 5000), {}, "chunk 0 of the encrypted payload"),
        ("last chunk", flipped(raw, payload.data_offset + len(payload.data) - 3), {}, "the last chunk"),
        ("reordered", _payload_chunks_swapped(raw), {}, "chunk 0 of the encrypted payload"),
        ("context edited", _context_changed(raw), {}, "encryption context does not match"),
        ("wrong key", raw, {"expect_key": other_keys["data"]}, f"not with {other_keys['data']}"),
        ("wrong context", raw, {"require_context": {"env": "dev"}}, "env='dev' (the archive has env='prod')"),
    ]
    seen = set()
    for name, data, options, needle in cases:
        target = tmp_path / f"{name}.hota"
        target.write_bytes(data)
        report = await kms_service.verify(target, **options)
        failures = [c for c in report.failures if c.part == "encryption"]
        assert failures and needle in failures[0].detail, (name, report.text())
        seen.add(failures[0].detail)
    assert len(seen) == len(cases) - 1  # chunk byte and reordered both say chunk 0 fails, rightly
    no_kms = ArchiveService(tmp_path / "c2")
    report = await no_kms.verify(path)
    assert "decrypting needs a profile with KMS" in report.failures[0].detail


@pytest.fixture(scope="module")
def signed_archive(aws: AwsSandbox, tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    import asyncio

    tmp = tmp_path_factory.mktemp("signed")
    service = ArchiveService(tmp / "cache", kms=Kms(lambda: aws.client("kms")))
    root = bundles.write(tmp / "b", {"index.android.bundle": b"var a = 1;"})
    asyncio.run(
        service.build([root], tmp / "s.hota", created_at=TIME, protection=Protection(sign_key=SIGNING))
    )
    return (tmp / "s.hota").read_bytes(), public_key_der(_pem(aws, SIGNING))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.integers(min_value=0), bit=st.integers(0, 7))
def test_any_flipped_bit_of_the_seal_fails(signed_archive: tuple[bytes, bytes], tmp_path: Path, where: int,
                                           bit: int) -> None:  # fmt: skip
    raw, trusted = signed_archive
    seal = split(raw)[-1]
    path = tmp_path / "f.hota"
    path.write_bytes(flipped(raw, seal.data_offset + where % len(seal.data), 1 << bit))
    report = ArchiveReader(path).read().report
    if report.ok:  # the seal still parses: then the signature must catch it
        import asyncio

        service = ArchiveService(tmp_path / "c")
        report = asyncio.run(service.verify(path, trust=Trust(public_key=trusted)))
    assert not report.ok


async def test_kms_errors_are_typed(kms_service: ArchiveService, tmp_path: Path) -> None:
    root = bundles.react_native(tmp_path / "rn")
    with pytest.raises(Exception, match="does not exist"):
        await kms_service.build([root], tmp_path / "x.hota", protection=Protection(sign_key="alias/nope"))
    assert not (tmp_path / "x.hota").exists()
    with pytest.raises(IntegrityError):
        await kms_service.kms.decrypt(b"garbage", {}, DATA)  # type: ignore[union-attr]
