"""The AWS part of the sandbox: moto in server mode behind our fault injector, over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hyperota_desktop.sandbox.aws import WEB_IDENTITY_ROLE_ARN, AwsSandbox

PART = 5 * 1024 * 1024


@pytest.fixture(autouse=True)
def _no_leftover_faults(aws: AwsSandbox) -> Iterator[None]:
    yield
    aws.server.faults.clear()


def _b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_seeded_bucket_and_keys(aws: AwsSandbox) -> None:
    s3, kms = aws.client("s3"), aws.client("kms")
    assert aws.bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    data = kms.describe_key(KeyId="alias/hyperota-data")["KeyMetadata"]
    assert data["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert data["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]  # moto omits KeyUsage here
    signing = kms.describe_key(KeyId="alias/hyperota-signing")["KeyMetadata"]
    assert signing["KeySpec"] == "ECC_NIST_P256"
    assert signing["KeyUsage"] == "SIGN_VERIFY"
    assert signing["KeyId"] == aws.signing_key_id


def test_requests_do_not_list_motos_package_folder(aws: AwsSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's dispatcher asks for its module list twice a request: the sandbox reads that folder once."""
    import moto

    folder, listed = os.path.dirname(moto.__file__), []
    listdir = os.listdir

    def counted(path: Any = ".") -> list[str]:
        if os.fspath(path) == folder:
            listed.append(path)
        return listdir(path)

    monkeypatch.setattr(os, "listdir", counted)
    s3 = aws.client("s3")
    for n in range(3):
        s3.put_object(Bucket=aws.bucket, Key=f"org/app/files/listing-{n}", Body=b"x")
    assert s3.get_object(Bucket=aws.bucket, Key="org/app/files/listing-2")["Body"].read() == b"x"
    assert listed == []  # moto alone: two listings of its folder per request


def test_multipart_upload_with_sha256_checksums(aws: AwsSandbox) -> None:
    s3 = aws.client("s3")
    parts_data = [b"a" * PART, b"b" * 1234]
    key = "org/app/files/multipart.bin"
    upload = s3.create_multipart_upload(Bucket=aws.bucket, Key=key, ChecksumAlgorithm="SHA256")
    parts = []
    for number, data in enumerate(parts_data, start=1):
        result = s3.upload_part(
            Bucket=aws.bucket,
            Key=key,
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=data,
            ChecksumSHA256=_b64_sha256(data),
        )
        assert result["ChecksumSHA256"] == _b64_sha256(data)
        parts.append({"PartNumber": number, "ETag": result["ETag"], "ChecksumSHA256": _b64_sha256(data)})
    s3.complete_multipart_upload(
        Bucket=aws.bucket, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
    )
    body = s3.get_object(Bucket=aws.bucket, Key=key)["Body"].read()
    assert body == b"".join(parts_data)


def test_put_with_wrong_sha256_checksum_is_refused(aws: AwsSandbox) -> None:
    s3 = aws.client("s3")
    with pytest.raises(ClientError) as info:
        s3.put_object(
            Bucket=aws.bucket, Key="org/app/bad.bin", Body=b"real", ChecksumSHA256=_b64_sha256(b"other")
        )
    assert info.value.response["Error"]["Code"] == "BadDigest"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError):
        s3.head_object(Bucket=aws.bucket, Key="org/app/bad.bin")


def test_put_with_checksum_algorithm_is_stored_and_returned(aws: AwsSandbox) -> None:
    s3 = aws.client("s3")
    s3.put_object(Bucket=aws.bucket, Key="org/app/ok.bin", Body=b"ok", ChecksumAlgorithm="SHA256")
    head = s3.head_object(Bucket=aws.bucket, Key="org/app/ok.bin", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == _b64_sha256(b"ok")


def test_conditional_put_if_none_match(aws: AwsSandbox) -> None:
    s3 = aws.client("s3")
    key = "org/app/packages/00000001.json"
    s3.put_object(Bucket=aws.bucket, Key=key, Body=b'{"v": 1}', IfNoneMatch="*")
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=aws.bucket, Key=key, Body=b'{"v": "other"}', IfNoneMatch="*")
    assert info.value.response["Error"]["Code"] == "PreconditionFailed"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert s3.get_object(Bucket=aws.bucket, Key=key)["Body"].read() == b'{"v": 1}'


def test_kms_sign_verify_raw_ecdsa(aws: AwsSandbox) -> None:
    kms = aws.client("kms")
    message = b"manifest bytes" * 100
    signature = kms.sign(
        KeyId=aws.signing_key, Message=message, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256"
    )["Signature"]
    ok = kms.verify(
        KeyId=aws.signing_key,
        Message=message,
        MessageType="RAW",
        Signature=signature,
        SigningAlgorithm="ECDSA_SHA_256",
    )
    assert ok["SignatureValid"] is True
    # Offline verification with the public key, as an archive verifier does.
    der = kms.get_public_key(KeyId=aws.signing_key)["PublicKey"]
    public = serialization.load_der_public_key(der)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        public.verify(signature, message + b"tampered", ec.ECDSA(hashes.SHA256()))
    # AWS raises KMSInvalidSignatureException; moto answers SignatureValid=false (documented gap).
    try:
        bad = kms.verify(
            KeyId=aws.signing_key,
            Message=message + b"x",
            MessageType="RAW",
            Signature=signature,
            SigningAlgorithm="ECDSA_SHA_256",
        )
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "KMSInvalidSignatureException"
    else:
        assert bad["SignatureValid"] is False


def test_kms_generate_data_key_and_decrypt(aws: AwsSandbox) -> None:
    kms = aws.client("kms")
    generated = kms.generate_data_key(KeyId=aws.data_key, KeySpec="AES_256")
    assert len(generated["Plaintext"]) == 32
    decrypted = kms.decrypt(CiphertextBlob=generated["CiphertextBlob"])
    assert decrypted["Plaintext"] == generated["Plaintext"]
    assert decrypted["KeyId"].endswith(aws.data_key_id)
    # Envelope encryption round trip with the plaintext data key.
    nonce = b"\0" * 12
    sealed = AESGCM(generated["Plaintext"]).encrypt(nonce, b"secret archive", None)
    key_again = kms.decrypt(CiphertextBlob=generated["CiphertextBlob"])["Plaintext"]
    assert AESGCM(key_again).decrypt(nonce, sealed, None) == b"secret archive"


def test_kms_decrypt_garbage_fails(aws: AwsSandbox) -> None:
    with pytest.raises(ClientError):
        aws.client("kms").decrypt(CiphertextBlob=b"not a ciphertext blob at all")


def test_sts_web_identity_credentials_work_for_s3(aws: AwsSandbox) -> None:
    import boto3

    sts = boto3.session.Session().client("sts", endpoint_url=aws.endpoint, region_name=aws.region)
    creds = sts.assume_role_with_web_identity(
        RoleArn=WEB_IDENTITY_ROLE_ARN, RoleSessionName="alice", WebIdentityToken="any.jwt.token"
    )["Credentials"]
    assert creds["AccessKeyId"] != aws.access_key_id
    s3 = aws.client(
        "s3",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    s3.put_object(Bucket=aws.bucket, Key="org/app/sts.txt", Body=b"via sts")
    assert s3.get_object(Bucket=aws.bucket, Key="org/app/sts.txt")["Body"].read() == b"via sts"
    caller = aws.client(
        "sts",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ).get_caller_identity()
    assert "assumed-role/hyperota-publisher/alice" in caller["Arn"]


def test_public_base_url_serves_objects_unauthenticated(aws: AwsSandbox) -> None:
    aws.client("s3").put_object(
        Bucket=aws.bucket, Key="org/app/files/index.js", Body=b"console.log(1)", ContentType="text/javascript"
    )
    response = httpx.get(f"{aws.public_base_url}/org/app/files/index.js")
    assert response.status_code == 200
    assert response.content == b"console.log(1)"
    assert response.headers["content-type"].startswith("text/javascript")
    missing = httpx.get(f"{aws.public_base_url}/org/app/files/missing.js")
    assert missing.status_code == 404


def test_moto_gap_presigned_signature_not_checked(aws: AwsSandbox) -> None:
    """Documented gap: a tampered presigned URL still works on moto (AWS would answer 403)."""
    s3 = aws.client("s3")
    s3.put_object(Bucket=aws.bucket, Key="org/app/presigned.txt", Body=b"p")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": aws.bucket, "Key": "org/app/presigned.txt"}, ExpiresIn=60
    )
    assert httpx.get(url).status_code == 200
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert httpx.get(tampered).status_code == 200


def test_faults_on_s3_then_boto3_retries_succeed(aws: AwsSandbox) -> None:
    key = "org/app/retried.txt"
    aws.server.faults.add(
        f"/{aws.bucket}/{key}$",
        method="PUT",
        times=2,
        status=503,
        body="<Error><Code>SlowDown</Code><Message>injected</Message></Error>",
        content_type="application/xml",
    )
    s3 = aws.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 4}))
    s3.put_object(Bucket=aws.bucket, Key=key, Body=b"after retries")
    assert aws.server.faults.hits.count(("PUT", f"/{aws.bucket}/{key}")) == 2
    assert aws.server.faults.pending() == []
    assert s3.get_object(Bucket=aws.bucket, Key=key)["Body"].read() == b"after retries"


def test_faults_exhaust_retries_and_surface(aws: AwsSandbox) -> None:
    key = "org/app/never.txt"
    aws.server.faults.add(f"/{aws.bucket}/{key}$", method="PUT", times=10, status=503, body="busy")
    s3 = aws.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 2}))
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=aws.bucket, Key=key, Body=b"x")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


def test_faults_control_route_over_http(aws: AwsSandbox) -> None:
    spec: dict[str, Any] = {"path": "/hyperota/org/app/ctl.txt$", "method": "GET", "times": 1, "status": 500}
    created = httpx.post(f"{aws.endpoint}/__sandbox__/faults", json=spec)
    assert created.status_code == 201
    assert httpx.get(f"{aws.public_base_url}/org/app/ctl.txt").status_code == 500
    assert httpx.get(f"{aws.endpoint}/__sandbox__/faults").json() == []
    assert httpx.get(f"{aws.public_base_url}/org/app/ctl.txt").status_code == 404  # fault used up


def test_second_sandbox_in_process_shares_state_and_reuses_keys(aws: AwsSandbox) -> None:
    other = AwsSandbox.start()
    try:
        assert other.endpoint != aws.endpoint
        assert other.signing_key_id == aws.signing_key_id
        assert other.data_key_id == aws.data_key_id
        aws.client("s3").put_object(Bucket=aws.bucket, Key="org/app/shared.txt", Body=b"s")
        assert other.client("s3").get_object(Bucket=aws.bucket, Key="org/app/shared.txt")["Body"].read()
    finally:
        other.stop()
    # `aws` still runs, so the state survived the other's stop.
    assert aws.client("kms").describe_key(KeyId=aws.signing_key)["KeyMetadata"]["Enabled"]


def test_stop_is_idempotent_and_closes_the_port() -> None:
    sandbox = AwsSandbox.start()
    url = sandbox.endpoint
    sandbox.stop()
    sandbox.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_upload_part_with_wrong_checksum_is_refused(aws: AwsSandbox) -> None:
    s3 = aws.client("s3")
    key = "org/app/files/bad-part.bin"
    upload = s3.create_multipart_upload(Bucket=aws.bucket, Key=key, ChecksumAlgorithm="SHA256")
    try:
        with pytest.raises(ClientError) as info:
            s3.upload_part(
                Bucket=aws.bucket,
                Key=key,
                UploadId=upload["UploadId"],
                PartNumber=1,
                Body=b"part",
                ChecksumSHA256=_b64_sha256(b"another part"),
            )
        assert info.value.response["Error"]["Code"] == "BadDigest"
    finally:
        s3.abort_multipart_upload(Bucket=aws.bucket, Key=key, UploadId=upload["UploadId"])


_RESET_CHILD = """
from hyperota_desktop.sandbox.aws import AwsSandbox
first = AwsSandbox.start()
first.client("s3").put_object(Bucket=first.bucket, Key="k", Body=b"v")
old_key = first.signing_key_id
first.stop()
second = AwsSandbox.start()
keys = second.client("s3").list_objects_v2(Bucket=second.bucket).get("KeyCount")
print(keys, second.signing_key_id != old_key)
second.stop()
"""


def test_last_stop_resets_moto_state() -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _RESET_CHILD], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "True"]
