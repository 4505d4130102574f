"""Trust in an archive: its data key (KMS, checking the key and context asked for), its signature (against
a public key or a KMS key the caller trusts), and whether an action may go on with it.

A valid signature by a key nobody vouched for is reported as *skipped* (valid, but not trusted); an
import needs it *passed* unless the caller accepts untrusted archives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hyperota_desktop.domain.archive_report import Status, VerifyReport
from hyperota_desktop.domain.archive_seal import Envelope, Seal
from hyperota_desktop.domain.archive_seal import context_mismatch as missing_pairs
from hyperota_desktop.domain.errors import HyperOtaError, IntegrityError, ValidationError
from hyperota_desktop.services.archive_crypto import check_signature, fingerprint
from hyperota_desktop.services.kms import Kms


@dataclass(frozen=True)
class Trust:
    """What a signature must be checked against: a public key (DER) or a KMS key the caller trusts."""

    public_key: bytes | None = None
    kms_key: str | None = None

    @property
    def given(self) -> bool:
        return self.public_key is not None or bool(self.kms_key)


async def data_key(
    kms: Kms | None, envelope: Envelope, expect_key: str | None, required: Mapping[str, str]
) -> tuple[bytes | None, str]:
    """(data key, "") or (None, why it could not be had), checking the key and context asked for."""
    missing = missing_pairs(envelope.encryption_context, dict(required))
    if missing:
        return None, f"the archive was not encrypted for the context you require: {', '.join(missing)}"
    if kms is None:
        return (
            None,
            f"encrypted with KMS key {envelope.kms_key_id}; decrypting needs a profile with KMS access",
        )
    try:
        if expect_key:
            wanted = await kms.key_arn(expect_key)
            if wanted != envelope.kms_key_id:
                return None, f"encrypted with KMS key {envelope.kms_key_id}, not with {expect_key} ({wanted})"
        key = await kms.decrypt(
            envelope.encrypted_data_key, envelope.encryption_context, envelope.kms_key_id,
            what="Decrypt the archive's data key",
        )  # fmt: skip
    except HyperOtaError as exc:
        return None, exc.user_text()
    return key, ""


async def check_trust(report: VerifyReport, seal: Seal, trust: Trust | None, kms: Kms | None) -> None:
    """Add the `signature` check: valid at all, then by the trusted key (offline or through KMS)."""
    if seal.signature is None:
        report.skipped("signature", "the archive is not signed")
        return
    record = seal.signature
    who = f"KMS key {record.key_id} (public key {fingerprint(record.public_key)})"
    try:
        check_signature(record, seal.statement(), record.public_key)
    except (IntegrityError, ValidationError) as exc:
        report.failed("signature", exc.message)
        return
    if trust is None or not trust.given:
        report.skipped("signature", f"valid signature by {who}, but not checked against a key you trust")
        return
    if trust.public_key is not None:
        if trust.public_key != record.public_key:
            report.failed(
                "signature", f"signed by {who}, not by the trusted key {fingerprint(trust.public_key)}"
            )
        else:
            report.passed(
                "signature", f"{record.algorithm} by the trusted key {fingerprint(trust.public_key)}"
            )
        return
    if kms is None:
        report.failed("signature", "checking through KMS needs a profile with KMS access")
        return
    assert trust.kms_key
    try:
        info = await kms.public_key(trust.kms_key)
        if info.der != record.public_key:
            report.failed("signature", f"signed by {who}, not by the trusted KMS key {info.key_id}")
            return
        valid = await kms.verify(info.key_id, seal.statement(), record.signature, record.algorithm)
    except HyperOtaError as exc:
        report.failed("signature", f"could not check with KMS key {trust.kms_key}: {exc.user_text()}")
        return
    if valid:
        report.passed("signature", f"{record.algorithm} by KMS key {record.key_id}, confirmed by KMS")
    else:
        report.failed("signature", f"KMS says the signature is not valid for key {info.key_id}")


class ArchiveRefused(IntegrityError):
    """An archive failed verification; `report` says which checks."""

    def __init__(self, message: str, report: VerifyReport, *, hint: str = "", gui_hint: str = "") -> None:
        super().__init__(message, hint=hint, gui_hint=gui_hint)
        self.report = report


def refusal(report: VerifyReport, action: str, *, allow_untrusted: bool) -> ArchiveRefused | None:
    """Why `action` must not proceed with this archive (None: it may)."""
    if not report.ok:
        return ArchiveRefused(f"Refusing to {action}: {report.summary()}", report)
    status = report.status_of("signature")
    if status is Status.PASSED or allow_untrusted:
        return None
    if not report.signed:
        return ArchiveRefused(
            f"Refusing to {action}: the archive is not signed.", report,
            hint="Sign it (`hyperota archive sign`), or accept it unsigned (in the window: \"Accept it "
            "unsigned or untrusted\"; in the CLI: --allow-untrusted).",
            gui_hint="Ask whoever made it for a signed archive, or tick \"Accept it unsigned or "
            "untrusted\" if you trust where it comes from.",
        )  # fmt: skip
    return ArchiveRefused(
        f"Refusing to {action}: the archive is signed, but not by a key you trust.", report,
        hint="Give the trusted public key (--public-key PEM) or KMS key (--kms-key), set the profile's "
        "signing key, or accept it anyway (--allow-untrusted).",
        gui_hint="Choose the signer's public key (Trusted public key: Choose PEM…) or check with the "
        "profile's KMS signing key, or tick \"Accept it unsigned or untrusted\".",
    )  # fmt: skip
