"""AWS KMS for archives and server secrets: sign, public keys, data keys, encrypt and decrypt.

Every boto3 call runs in a worker thread, retried like S3 calls (5xx, throttling), and every KMS error
becomes one of our typed errors with words for a person. Behaviour relied on is AWS's, as moto also
implements it, with two differences handled here (see docs/sandbox.md): a bad signature is
`SignatureValid: false` on moto and `KMSInvalidSignatureException` on AWS (both mean "invalid"); a
Decrypt naming another key than the ciphertext's is `IncorrectKeyException` on AWS and
`AccessDeniedException` on moto — callers compare key ARNs first (`key_arn`) so the message is the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from hyperota_desktop.domain.errors import (
    AuthError,
    BackendUnavailable,
    HyperOtaError,
    IntegrityError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from hyperota_desktop.services.storage import RetryPolicy, is_retryable, retry_after

log = logging.getLogger("hyperota.services.kms")
T = TypeVar("T")
KmsClientFactory = Callable[[], Any]


@dataclass(frozen=True)
class PublicKeyInfo:
    key_id: str  # ARN
    der: bytes
    key_spec: str
    usage: str
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class DataKey:
    key_id: str  # ARN
    plaintext: bytes
    encrypted: bytes


class InvalidSignature(IntegrityError):
    """AWS's answer to Verify with a signature that does not verify."""


def map_kms_error(exc: BaseException, what: str, key: str = "") -> HyperOtaError:
    if isinstance(exc, HyperOtaError):
        return exc
    if isinstance(exc, NoCredentialsError):
        return AuthError(f"{what}: no AWS credentials.", hint="Sign in or set the profile's AWS keys.")
    named = f" {key}" if key else ""
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        message = str(exc.response.get("Error", {}).get("Message", "")) or code
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code == "NotFoundException":
            return NotFound(f"{what}: KMS key{named} does not exist.", hint="Check the key id or alias.")
        if code in ("AccessDeniedException", "AccessDenied"):
            return PermissionDenied(
                f"{what}: KMS denied access to key{named}.",
                hint="Your AWS credentials need kms permissions on that key.",
            )
        if code == "InvalidCiphertextException":
            return IntegrityError(
                f"{what}: KMS could not decrypt: the encryption context does not match, or the encrypted "
                "data was altered or made with another key.",
            )
        if code == "KMSInvalidSignatureException":
            return InvalidSignature(f"{what}: the signature is not valid for key{named}.")
        if code == "IncorrectKeyException":
            return IntegrityError(f"{what}: the data was encrypted with another KMS key than{named}.")
        if code in ("DisabledException", "KMSInvalidStateException"):
            return ValidationError(f"{what}: KMS key{named} is disabled or pending deletion.")
        if code == "UnsupportedOperationException":
            return ValidationError(f"{what}: KMS key{named} does not support this ({message}).")
        if code == "InvalidKeyUsageException":
            return ValidationError(f"{what}: KMS key{named} cannot be used for this ({message}).")
        if code in ("ValidationException", "InvalidKeyIdException"):
            return ValidationError(f"{what}: KMS rejected the request: {message}")
        return BackendUnavailable(f"{what}: KMS error {status} {code}: {message}")
    if isinstance(exc, BotoCoreError):
        return BackendUnavailable(
            f"{what}: could not reach KMS ({exc}).", hint="Check the network and endpoint."
        )
    return BackendUnavailable(f"{what}: {type(exc).__name__}: {exc}")


class Kms:
    """One profile's KMS. `client_factory` gives the profile's boto3 KMS client (blocking the first time,
    so it runs in a worker thread); it is asked on every call, never kept here, because the profile's
    AWS credentials own their clients and replace them when the keys or the signed-in person change."""

    def __init__(self, client_factory: KmsClientFactory, retry: RetryPolicy | None = None) -> None:
        self._factory = client_factory
        self.retry = retry or RetryPolicy()
        self._public_keys: dict[str, PublicKeyInfo] = {}

    async def _call(self, what: str, key: str, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            client = await asyncio.to_thread(self._factory)
        except Exception as exc:
            raise map_kms_error(exc, what, key) from exc
        fn = getattr(client, operation)
        for attempt in range(self.retry.attempts):
            try:
                return dict(await asyncio.to_thread(fn, **kwargs))
            except Exception as exc:
                if attempt + 1 < self.retry.attempts and is_retryable(exc):
                    await asyncio.sleep(retry_after(exc) or self.retry.delay(attempt))
                    continue
                raise map_kms_error(exc, what, key) from exc
        raise AssertionError("unreachable")

    async def key_arn(self, key: str) -> str:
        """The ARN a key id, ARN or alias stands for (DescribeKey)."""
        answer = await self._call("Look up the KMS key", key, "describe_key", KeyId=key)
        return str(answer["KeyMetadata"]["Arn"])

    async def public_key(self, key: str) -> PublicKeyInfo:
        cached = self._public_keys.get(key)
        if cached is not None:
            return cached
        answer = await self._call("Read the public key", key, "get_public_key", KeyId=key)
        info = PublicKeyInfo(
            key_id=str(answer["KeyId"]), der=bytes(answer["PublicKey"]),
            key_spec=str(answer.get("KeySpec") or answer.get("CustomerMasterKeySpec") or ""),
            usage=str(answer.get("KeyUsage", "")), algorithms=tuple(answer.get("SigningAlgorithms") or ()),
        )  # fmt: skip
        if info.usage and info.usage != "SIGN_VERIFY":
            raise ValidationError(f"KMS key {key} is for {info.usage}, not for signing.",
                                  hint="Use an asymmetric SIGN_VERIFY key.")  # fmt: skip
        self._public_keys[key] = info
        return info

    async def sign(self, key: str, message: bytes, algorithm: str) -> tuple[str, bytes]:
        """(key ARN, signature) of a RAW message (KMS hashes it with the algorithm's digest)."""
        answer = await self._call(
            "Sign the archive", key, "sign", KeyId=key, Message=message, MessageType="RAW",
            SigningAlgorithm=algorithm,
        )  # fmt: skip
        return str(answer["KeyId"]), bytes(answer["Signature"])

    async def verify(self, key: str, message: bytes, signature: bytes, algorithm: str) -> bool:
        try:
            answer = await self._call(
                "Verify the signature", key, "verify", KeyId=key, Message=message, MessageType="RAW",
                Signature=signature, SigningAlgorithm=algorithm,
            )  # fmt: skip
        except InvalidSignature:  # AWS; moto answers SignatureValid: false
            return False
        return bool(answer.get("SignatureValid"))

    async def generate_data_key(self, key: str, context: dict[str, str]) -> DataKey:
        answer = await self._call(
            "Create a data key",
            key,
            "generate_data_key",
            KeyId=key,
            KeySpec="AES_256",
            EncryptionContext=context,
        )
        return DataKey(str(answer["KeyId"]), bytes(answer["Plaintext"]), bytes(answer["CiphertextBlob"]))

    async def decrypt(
        self, blob: bytes, context: dict[str, str], key: str = "", what: str = "Decrypt"
    ) -> bytes:
        """Plaintext of a symmetric ciphertext; `key` (if given) must be the key it was encrypted with."""
        extra = {"KeyId": key} if key else {}
        answer = await self._call(
            what, key, "decrypt", CiphertextBlob=blob, EncryptionContext=context, **extra
        )
        return bytes(answer["Plaintext"])

    async def encrypt(
        self, key: str, plaintext: bytes, context: dict[str, str], what: str = "Encrypt"
    ) -> tuple[str, bytes]:
        answer = await self._call(
            what, key, "encrypt", KeyId=key, Plaintext=plaintext, EncryptionContext=context
        )
        return str(answer["KeyId"]), bytes(answer["CiphertextBlob"])
