"""The seal (last member) and the encryption envelope (first member of an encrypted archive).

Seal: `{"format": 1, "manifest_sha256": hex, "signature": null | {algorithm, key_id, public_key,
signature}}`. Every archive has one, so a changed manifest is found even unsigned. A signature is a
KMS signature over the *statement*: a small canonical JSON naming the manifest digest, the key, the
algorithm and the public key's digest (signed as a RAW message: well under KMS's 4 KB, and it behaves
the same on AWS and moto). Because the statement covers every field of the signature record, no byte of
the seal can change unnoticed.

Envelope: how the payload (the plain archive's members as one tar stream) is encrypted: AES-256-GCM in
chunks under a KMS data key (`encrypted_data_key`, `kms_key_id`, `encryption_context`). Chunk `i` uses
the nonce `nonce_prefix (7 bytes) ‖ i (4 bytes, big-endian) ‖ final (1 byte)` and, as associated data,
the SHA-256 of the canonical envelope: chunks cannot be reordered, dropped, truncated or moved to another
archive, and no envelope field can change (the STREAM construction of Hoang, Reyhanitabar, Rogaway and
Vizár, 2015).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.archive_manifest import canonical_json, parse_canonical
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.packages import check_sha256

SEAL_FORMAT = 1
STATEMENT_PURPOSE = "hyperota-archive-seal"
MAX_STATEMENT = 4096  # KMS Sign: a RAW message is at most 4096 bytes
MAX_SMALL_MEMBER = 64 * 1024  # seal and envelope
SIGNING_ALGORITHMS = (
    "ECDSA_SHA_256", "ECDSA_SHA_384", "ECDSA_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
)  # fmt: skip
CIPHER = "AES-256-GCM"
TAG_SIZE = 16
NONCE_PREFIX_SIZE = 7
DEFAULT_CHUNK = 1024 * 1024
MIN_CHUNK, MAX_CHUNK = 4096, 16 * 1024 * 1024
MAX_CONTEXT_PAIRS = 32
ARCHIVE_CONTEXT = {"purpose": "hyperota-archive"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, what: str) -> bytes:
    """Strict base64: the only accepted spelling is the one `b64` writes (no stray bits, no spaces)."""
    if not isinstance(text, str):
        raise ValidationError(f"The {what} must be a base64 string.")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(f"The {what} is not valid base64.") from None
    if b64(data) != text:
        raise ValidationError(f"The {what} is not in canonical base64.")
    return data


def _require(data: dict[str, Any], fields: set[str], what: str) -> None:
    if set(data) != fields:
        odd = ", ".join(sorted(set(data) ^ fields))
        raise ValidationError(f"The {what} has missing or unknown fields: {odd}.")


@dataclass(frozen=True)
class SignatureRecord:
    key_id: str  # the KMS key's ARN as Sign returned it
    algorithm: str
    public_key: bytes  # DER SubjectPublicKeyInfo
    signature: bytes

    @property
    def public_key_sha256(self) -> str:
        return hashlib.sha256(self.public_key).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm, "key_id": self.key_id, "public_key": b64(self.public_key),
            "signature": b64(self.signature),
        }  # fmt: skip


def statement(manifest_sha256: str, key_id: str, algorithm: str, public_key: bytes) -> bytes:
    """The exact bytes a signature covers."""
    data = canonical_json(
        {
            "purpose": STATEMENT_PURPOSE,
            "format": SEAL_FORMAT,
            "manifest_sha256": check_sha256(manifest_sha256),
            "key_id": key_id,
            "algorithm": algorithm,
            "public_key_sha256": hashlib.sha256(public_key).hexdigest(),
        }
    )
    if len(data) > MAX_STATEMENT:
        raise ValidationError(
            "The signing statement is larger than KMS signs (4096 bytes): the key id is too long."
        )
    return data


@dataclass(frozen=True)
class Seal:
    manifest_sha256: str
    signature: SignatureRecord | None = None

    def canonical(self) -> bytes:
        return canonical_json(
            {
                "format": SEAL_FORMAT, "manifest_sha256": self.manifest_sha256,
                "signature": self.signature.to_dict() if self.signature else None,
            }
        )  # fmt: skip

    def statement(self) -> bytes:
        if self.signature is None:
            raise ValidationError("The archive is not signed.")
        s = self.signature
        return statement(self.manifest_sha256, s.key_id, s.algorithm, s.public_key)

    @classmethod
    def parse(cls, raw: bytes) -> Seal:
        data = parse_canonical(raw, "seal")
        _require(data, {"format", "manifest_sha256", "signature"}, "seal")
        if data["format"] != SEAL_FORMAT:
            raise ValidationError(f"Unsupported seal format {data['format']!r}.")
        if not isinstance(data["manifest_sha256"], str):
            raise ValidationError("The seal's manifest_sha256 must be a string.")
        digest = check_sha256(data["manifest_sha256"])
        sig = data["signature"]
        if sig is None:
            return cls(digest)
        if not isinstance(sig, dict):
            raise ValidationError("The seal's signature must be an object or null.")
        _require(sig, {"algorithm", "key_id", "public_key", "signature"}, "signature record")
        if sig["algorithm"] not in SIGNING_ALGORITHMS:
            raise ValidationError(f"Unsupported signing algorithm {sig['algorithm']!r}.")
        if not isinstance(sig["key_id"], str) or not sig["key_id"] or len(sig["key_id"]) > 2048:
            raise ValidationError("The signature record's key_id must be a KMS key id.")
        record = SignatureRecord(
            sig["key_id"], sig["algorithm"], unb64(sig["public_key"], "public key"),
            unb64(sig["signature"], "signature"),
        )  # fmt: skip
        return cls(digest, record)


@dataclass(frozen=True)
class Envelope:
    kms_key_id: str
    encrypted_data_key: bytes
    encryption_context: dict[str, str]
    nonce_prefix: bytes
    manifest_sha256: str
    plaintext_size: int
    chunk_size: int = DEFAULT_CHUNK

    def canonical(self) -> bytes:
        return canonical_json(
            {
                "format": SEAL_FORMAT, "cipher": CIPHER, "chunk_size": self.chunk_size,
                "nonce_prefix": b64(self.nonce_prefix), "kms_key_id": self.kms_key_id,
                "encrypted_data_key": b64(self.encrypted_data_key),
                "encryption_context": dict(self.encryption_context), "manifest_sha256": self.manifest_sha256,
                "plaintext_size": self.plaintext_size,
            }
        )  # fmt: skip

    def aad(self) -> bytes:
        return hashlib.sha256(self.canonical()).digest()

    @property
    def chunk_count(self) -> int:
        return max(1, -(-self.plaintext_size // self.chunk_size))

    @property
    def ciphertext_size(self) -> int:
        return self.plaintext_size + TAG_SIZE * self.chunk_count

    def nonce(self, index: int, final: bool) -> bytes:
        if not 0 <= index < 2**32:
            raise ValidationError("The payload has too many chunks.")
        return self.nonce_prefix + index.to_bytes(4, "big") + (b"\x01" if final else b"\x00")

    @classmethod
    def parse(cls, raw: bytes, *, max_plaintext: int) -> Envelope:
        data = parse_canonical(raw, "encryption envelope")
        fields = {"format", "cipher", "chunk_size", "nonce_prefix", "kms_key_id", "encrypted_data_key",
                  "encryption_context", "manifest_sha256", "plaintext_size"}  # fmt: skip
        _require(data, fields, "encryption envelope")
        if data["format"] != SEAL_FORMAT or data["cipher"] != CIPHER:
            raise ValidationError(f"Unsupported encryption ({data['cipher']!r}, format {data['format']!r}).")
        chunk, size = data["chunk_size"], data["plaintext_size"]
        if not isinstance(chunk, int) or isinstance(chunk, bool) or not MIN_CHUNK <= chunk <= MAX_CHUNK:
            raise ValidationError(f"The envelope's chunk size must be {MIN_CHUNK}..{MAX_CHUNK} bytes.")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= max_plaintext:
            raise ValidationError("The envelope's plaintext size is invalid or beyond the archive limits.")
        context = data["encryption_context"]
        if (
            not isinstance(context, dict)
            or len(context) > MAX_CONTEXT_PAIRS
            or not all(isinstance(v, str) for v in context.values())
        ):
            raise ValidationError("The envelope's encryption context must map names to strings.")
        if not isinstance(data["kms_key_id"], str) or not data["kms_key_id"]:
            raise ValidationError("The envelope names no KMS key.")
        if not isinstance(data["manifest_sha256"], str):
            raise ValidationError("The envelope's manifest_sha256 must be a string.")
        prefix = unb64(data["nonce_prefix"], "nonce prefix")
        if len(prefix) != NONCE_PREFIX_SIZE:
            raise ValidationError("The envelope's nonce prefix must be 7 bytes.")
        key = unb64(data["encrypted_data_key"], "encrypted data key")
        if not 1 <= len(key) <= 6144:
            raise ValidationError("The envelope's encrypted data key has an impossible size.")
        return cls(
            kms_key_id=data["kms_key_id"], encrypted_data_key=key, encryption_context=dict(context),
            nonce_prefix=prefix, manifest_sha256=check_sha256(data["manifest_sha256"]), plaintext_size=size,
            chunk_size=chunk,
        )  # fmt: skip


def parse_context(pairs: list[str]) -> dict[str, str]:
    """`["env=prod", "team=ota"]` → a KMS encryption context (ValidationError for a pair without '=')."""
    context: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(
                f"'{pair}' is not NAME=VALUE.", hint="Give the context as name=value pairs."
            )
        context[key.strip()] = value
    if len(context) > MAX_CONTEXT_PAIRS:
        raise ValidationError(f"An encryption context holds at most {MAX_CONTEXT_PAIRS} pairs.")
    return context


def context_mismatch(actual: dict[str, str], required: dict[str, str]) -> list[str]:
    """The required pairs `actual` lacks or differs in (described), [] when all are present."""
    return [
        f"{k}={v!r} (the archive has {k}={actual[k]!r})" if k in actual else f"{k}={v!r} (absent)"
        for k, v in sorted(required.items())
        if actual.get(k) != v
    ]
