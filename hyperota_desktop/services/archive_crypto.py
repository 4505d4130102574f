"""Cryptography for archives, all through `cryptography` (no hand-written primitives).

- payload chunks: AES-256-GCM with the envelope's nonces and associated data (`domain.archive_seal`);
- signatures: checking a KMS signature offline against a public key (ECDSA or RSA, as KMS makes them:
  DER-encoded ECDSA signatures, PKCS#1 v1.5, or PSS with a salt as long as the digest, AWS's choice).
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hyperota_desktop.domain.archive_seal import Envelope, SignatureRecord
from hyperota_desktop.domain.errors import IntegrityError, ValidationError

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512,
}  # fmt: skip


class ChunkCipher:
    """Encrypts or decrypts the payload chunks of one envelope with the (plaintext) data key."""

    def __init__(self, data_key: bytes, envelope: Envelope) -> None:
        if len(data_key) != 32:
            raise IntegrityError("The archive's data key is not a 256-bit AES key.")
        self._aead = AESGCM(data_key)
        self._envelope = envelope
        self._aad = envelope.aad()

    def encrypt(self, index: int, final: bool, plaintext: bytes | memoryview) -> bytes:
        return self._aead.encrypt(self._envelope.nonce(index, final), bytes(plaintext), self._aad)

    def decrypt(self, index: int, final: bool, ciphertext: bytes) -> bytes:
        try:
            return self._aead.decrypt(self._envelope.nonce(index, final), ciphertext, self._aad)
        except InvalidTag:
            where = "the last chunk" if final else f"chunk {index}"
            raise IntegrityError(
                f"{where} of the encrypted payload does not authenticate: the payload or the envelope was "
                "altered, reordered or truncated."
            ) from None


def public_key_der(pem_or_der: bytes) -> bytes:
    """The DER SubjectPublicKeyInfo of a PEM or DER public key (ValidationError if it is none)."""
    try:
        key: PublicKeyTypes
        if pem_or_der.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(pem_or_der)
        else:
            key = serialization.load_der_public_key(pem_or_der)
    except (ValueError, UnsupportedAlgorithm):
        raise ValidationError("That is not a PEM or DER public key.") from None
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_pem(der: bytes) -> str:
    key = serialization.load_der_public_key(der)
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def fingerprint(der: bytes) -> str:
    """A short, stable name for a public key: SHA-256 of its DER, first 16 hex digits."""
    return hashlib.sha256(der).hexdigest()[:16]


def check_signature(record: SignatureRecord, message: bytes, der: bytes) -> None:
    """Raise IntegrityError unless `record.signature` signs `message` with the public key `der`."""
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        raise IntegrityError("The signature record's public key is not a valid key.") from None
    algorithm = record.algorithm
    digest = _HASHES[algorithm[-3:]]()
    try:
        if algorithm.startswith("ECDSA_"):
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise IntegrityError(f"An {algorithm} signature needs an elliptic-curve key.")
            key.verify(record.signature, message, ec.ECDSA(digest))
        else:
            if not isinstance(key, rsa.RSAPublicKey):
                raise IntegrityError(f"An {algorithm} signature needs an RSA key.")
            pad: padding.AsymmetricPadding = (
                padding.PSS(padding.MGF1(digest), digest.digest_size)
                if algorithm.startswith("RSASSA_PSS_")
                else padding.PKCS1v15()
            )
            key.verify(record.signature, message, pad, digest)
    except InvalidSignature:
        raise IntegrityError(
            "The signature does not verify: the seal or the signature was altered."
        ) from None


def algorithm_for(key_spec: str, offered: list[str]) -> str:
    """The signing algorithm to use with a KMS key: ECDSA with the curve's digest, RSA PKCS#1 v1.5 with
    SHA-256 (deterministic, and the same on AWS and moto, unlike PSS's salt); must be one KMS offers."""
    curves = {
        "ECC_NIST_P256": "256",
        "ECC_SECG_P256K1": "256",
        "ECC_NIST_P384": "384",
        "ECC_NIST_P521": "512",
    }
    if key_spec in curves:
        preferred = f"ECDSA_SHA_{curves[key_spec]}"
    else:
        preferred = "RSASSA_PKCS1_V1_5_SHA_256" if key_spec.startswith("RSA_") else ""
    if preferred and (not offered or preferred in offered):
        return preferred
    raise ValidationError(
        f"KMS key spec {key_spec or 'unknown'} cannot sign archives.",
        hint="Use an asymmetric SIGN_VERIFY key (ECC_NIST_P256/P384/P521 or RSA).",
    )
