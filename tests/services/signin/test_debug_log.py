"""Issue 17.3: a log captured at DEBUG, with every library's debug output switched on, through sign-in,
refresh, STS web identity, a publish (single and multipart uploads) and KMS GenerateDataKey, Encrypt,
Decrypt and Sign, holds no secret. The registry of known values is switched off: structure alone
(headers, bytes reprs, XML, JSON, query strings, signatures) must catch everything."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperota_desktop.app.logging_setup import setup_logging
from hyperota_desktop.domain.profiles import AwsCredentialMode, Profile
from hyperota_desktop.domain.redaction import KNOWN_SECRETS, MASK
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.services.aws_credentials import AwsCredentials
from hyperota_desktop.stores.secrets import SecretStore
from tests.support import bundles
from tests.support.packages_env import make_service

from .conftest import sign_in
from .test_aws_credentials import aws_profile

MiB = 1024 * 1024


@pytest.fixture
def debug_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    KNOWN_SECRETS.clear()
    monkeypatch.setattr(KNOWN_SECRETS, "add", lambda value: None)  # structure alone must suffice
    path = setup_logging(tmp_path / "logs", "DEBUG", libraries=True)
    yield path
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_hyperota", False):
            root.removeHandler(handler)
            handler.close()
    setup_logging(tmp_path / "logs-after", "INFO", libraries=False)  # libraries back to WARNING
    for handler in list(root.handlers):
        if getattr(handler, "_hyperota", False):
            root.removeHandler(handler)
            handler.close()


async def test_a_debug_log_of_every_flow_holds_no_secret(
    debug_log: Path, make_auth, kc, profile: Profile, aws: AwsSandbox, secrets: SecretStore, fake_time,
    tmp_path: Path,
) -> None:  # fmt: skip
    # sign-in (device flow) and a refresh
    target = aws_profile(profile, aws, AwsCredentialMode.WEB_IDENTITY)
    auth = make_auth(profile=target)
    await sign_in(auth, kc, "alice")
    first = await auth.access_token()
    refresh_before = auth._refresh
    second = await auth.refresh_after_unauthorized(first)
    # STS AssumeRoleWithWebIdentity, then S3 and KMS with the temporary credentials
    creds = AwsCredentials(target, secrets, web_token=auth.access_token_blocking)
    s3 = await asyncio.to_thread(creds.client, "s3")
    await asyncio.to_thread(s3.put_object, Bucket=aws.bucket, Key="debuglog/sts.txt", Body=b"x")
    session = await creds.asession()
    frozen = await asyncio.to_thread(lambda: session.get_credentials().get_frozen_credentials())
    kms = await asyncio.to_thread(creds.client, "kms")
    data_key = await asyncio.to_thread(kms.generate_data_key, KeyId=aws.data_key, KeySpec="AES_256")
    secret_text = b"archive-passphrase-do-not-log-0123456789"
    sealed = await asyncio.to_thread(kms.encrypt, KeyId=aws.data_key, Plaintext=secret_text)
    opened = await asyncio.to_thread(kms.decrypt, CiphertextBlob=sealed["CiphertextBlob"])
    assert opened["Plaintext"] == secret_text
    signed = await asyncio.to_thread(
        kms.sign, KeyId=aws.signing_key, Message=b"manifest", MessageType="RAW",
        SigningAlgorithm="ECDSA_SHA_256",
    )  # fmt: skip
    # a publish with static keys: one small object and one multipart upload
    root = bundles.react_native(tmp_path / "rn")
    (root / "raw" / "big.bin").write_bytes(b"\x01" * (6 * MiB))
    service = make_service(tmp_path / "home", aws.endpoint)
    result = await service.publish("acme", "debuglog", [root])
    assert result.version >= 1

    for handler in logging.getLogger().handlers:
        handler.flush()
    text = debug_log.read_text(encoding="utf-8")
    # the flows really were logged at DEBUG by the libraries
    for needle in (
        "AssumeRoleWithWebIdentity",
        "GenerateDataKey",
        "UploadPart",
        "Response body",
        "[REDACTED]",
    ):
        assert needle in text, needle
    secrets_seen = {
        "access token": first, "renewed access token": second, "refresh token": refresh_before or "",
        "STS secret key": frozen.secret_key, "STS session token": frozen.token,
        "static secret key": aws.secret_access_key,
        "data key": base64.b64encode(data_key["Plaintext"]).decode(),
        "encrypted text": base64.b64encode(secret_text).decode(), "encrypted text raw": secret_text.decode(),
        "KMS signature": base64.b64encode(signed["Signature"]).decode(),
    }  # fmt: skip
    leaked = [name for name, value in secrets_seen.items() if value and value in text]
    assert leaked == []
    assert not re.search(r"Signature=[0-9a-f]{64}", text)  # SigV4 signatures in Authorization headers
    assert not re.search(r"Signature:\s*\n[0-9a-f]{64}", text)  # botocore.auth's own debug line
    tokens = [m.end() for m in re.finditer(r"(?i)x-amz-security-token[\"']?\s*[:=]", text)]
    assert tokens  # the session token header was logged...
    assert all(MASK in text[end : end + 16] for end in tokens)  # ...and masked each time
