"""S3, KMS and STS for the sandbox: moto in server mode (the real AWS wire protocol) on a loopback port.

`AwsSandbox.start()` builds moto's WSGI dispatcher (the app `moto_server`/`ThreadedMotoServer` run) and
serves it through `sandbox.http.serve()`, so the fault injector (`/__sandbox__/faults`) works on it
like on every other emulator. One port answers S3 (path-style), KMS and STS: moto routes each request
by the service named in its SigV4 credential scope; unsigned requests go to S3, except the unsigned
STS actions (`AssumeRoleWithWebIdentity`).

Seeded state (through the server itself, over HTTP, with boto3):
  - bucket `hyperota` in us-east-1;
  - symmetric KMS key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT) with alias `alias/hyperota-data`;
  - ECC_NIST_P256 SIGN_VERIFY KMS key with alias `alias/hyperota-signing`.
Credentials are fixed test values (`ACCESS_KEY_ID`/`SECRET_ACCESS_KEY`); moto accepts any.

`public_base_url` = `{endpoint}/{bucket}`: the bucket gets a policy allowing anonymous `s3:GetObject`
(moto evaluates bucket policies for unsigned requests; without it anonymous GETs get 403), so devices
fetch files with a plain HTTP GET, as from the CDN in front of the bucket in production. (moto does not
authenticate anything else either: see the gaps below.)

**One process = one AWS state.** moto keeps its backends in process-global dictionaries. Every
`AwsSandbox` in a process has its own server (own port, own faults) but they all see the same buckets,
keys and objects; seeding is idempotent (a second sandbox reuses the bucket and the aliased keys). When
the last running `AwsSandbox` of the process stops, moto is reset (every backend emptied). For isolated
AWS state, run sandboxes in separate processes (`hyperota sandbox up`).

Known gaps of moto (5.2) that matter to HyperOTA; do not rely on the sandbox to catch these:
  - S3 does not check presigned-URL signatures (or expiry): a tampered presigned URL still works.
  - KMS `Sign` with `MessageType=DIGEST` hashes the digest again for ECDSA, so the signature does
    not verify against the digest elsewhere. Sign RAW messages (≤ 4 KB) instead.
  - KMS RSA-PSS signatures use a different salt length than AWS (AWS: the digest length).
  - STS `AssumeRoleWithWebIdentity` accepts any web-identity token (no signature, issuer, audience or
    expiry check) and any role ARN, even one that does not exist.
  - S3 does not verify `x-amz-checksum-*` values, it stores what the client claims:
    `S3ChecksumCheck` (below) closes that gap for SHA256/SHA1/CRC32 on plain (non aws-chunked) PUTs.
  - KMS `Verify` of a bad signature returns `SignatureValid: false`; AWS raises
    `KMSInvalidSignatureException`. Clients must treat both as "invalid".
  - KMS `DescribeKey` omits `KeyUsage` for symmetric keys.
  - KMS `GetPublicKey` names the key by its bare id (AWS: the ARN), gives only `CustomerMasterKeySpec`,
    and answers for symmetric keys (AWS: `UnsupportedOperationException`).
  - KMS `Decrypt` with another key's `KeyId` raises `AccessDeniedException` (AWS: `IncorrectKeyException`).
  - No authentication or IAM enforcement: any (or no) credentials are accepted, and even anonymous
    PUTs and listings succeed. Only an explicit bucket-policy Deny and anonymous GETs of objects that
    no policy/ACL makes public are refused.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from werkzeug.wrappers import Response

from .http import RunningServer, WSGIApp, serve

log = logging.getLogger("hyperota.sandbox.aws")

REGION = "us-east-1"
BUCKET = "hyperota"
ACCOUNT_ID = "123456789012"  # moto's default account
ACCESS_KEY_ID = "AKIASANDBOXHYPEROTA1"
SECRET_ACCESS_KEY = "hyperota-sandbox-secret-access-key-0000"
DATA_KEY_ALIAS = "alias/hyperota-data"
SIGNING_KEY_ALIAS = "alias/hyperota-signing"
# A role to assume with a web identity (moto does not require it to exist; documented gap).
WEB_IDENTITY_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/hyperota-publisher"

_registry_lock = threading.Lock()
_running: set[int] = set()  # ids of the running AwsSandbox instances of this process


def public_read_policy(bucket: str) -> dict[str, Any]:
    """Anonymous GetObject on every object: what a CDN origin gives devices (moto checks bucket policies)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicReadForDevices",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


_CHECKSUMS: dict[str, Callable[[bytes], bytes]] = {
    "SHA256": lambda data: hashlib.sha256(data).digest(),
    "SHA1": lambda data: hashlib.sha1(data).digest(),  # noqa: S324 - S3's checksum, not security
    "CRC32": lambda data: zlib.crc32(data).to_bytes(4, "big"),
}
_BAD_DIGEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadDigest</Code>'
    "<Message>The {algorithm} you specified did not match the calculated checksum.</Message></Error>"
)


class S3ChecksumCheck:
    """WSGI middleware closing a moto gap: S3 verifies `x-amz-checksum-*` headers, moto does not.

    For PUTs (PutObject, UploadPart) with a SHA256/SHA1/CRC32 checksum header and a plain body, the
    body is hashed and a mismatch answers `400 BadDigest` like S3. A checksum header without
    `x-amz-sdk-checksum-algorithm` (boto3 sends none when the caller passes `ChecksumSHA256=`) gets
    one added, so moto stores the checksum and returns it. aws-chunked bodies with trailing checksums
    (boto3 over https only) pass unchecked.
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "PUT" or _is_streaming(environ):
            return self.app(environ, start_response)
        given = [
            (algo, environ[f"HTTP_X_AMZ_CHECKSUM_{algo}"])
            for algo in _CHECKSUMS
            if f"HTTP_X_AMZ_CHECKSUM_{algo}" in environ
        ]
        if not given:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        for algorithm, value in given:
            if base64.b64encode(_CHECKSUMS[algorithm](body)).decode() != value.strip():
                xml = _BAD_DIGEST.format(algorithm=algorithm)
                response = Response(xml, status=400, content_type="application/xml")
                return response(environ, start_response)
        environ.setdefault("HTTP_X_AMZ_SDK_CHECKSUM_ALGORITHM", given[0][0])
        return self.app(environ, start_response)


PartId = tuple[str, str, int]  # (object key, upload id, part number)


class S3PartCounter:
    """WSGI middleware counting the multipart parts S3 stored (UploadPart answered 200), per
    (key, upload id, part number): a part counted twice was sent again after it had been stored.

    In-process: `AwsSandbox.parts`; over HTTP: `GET /__sandbox__/parts` →
    `[{"key", "upload_id", "part", "stored"}]`, `DELETE` resets the counts.
    """

    PATH = "/__sandbox__/parts"

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._stored: Counter[PartId] = Counter()

    def counts(self, prefix: str = "") -> Counter[PartId]:
        """How many times each part was stored, for keys below `prefix` (`bucket/key` paths)."""
        with self._lock:
            return Counter({p: n for p, n in self._stored.items() if p[0].startswith(prefix)})

    def resent(self, prefix: str = "") -> list[PartId]:
        """Parts stored more than once."""
        return sorted(p for p, n in self.counts(prefix).items() if n > 1)

    def reset(self) -> None:
        with self._lock:
            self._stored.clear()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == self.PATH:
            return self._control(environ, start_response)
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if environ.get("REQUEST_METHOD") != "PUT" or "partNumber" not in query or "uploadId" not in query:
            return self.app(environ, start_response)
        part: PartId = (
            unquote(environ.get("PATH_INFO", "")).lstrip("/"), query["uploadId"][0],
            int(query["partNumber"][0]) if query["partNumber"][0].isdigit() else -1,
        )  # fmt: skip

        def counting(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if status.startswith("200"):
                with self._lock:
                    self._stored[part] += 1
            return start_response(status, headers, exc_info)

        return self.app(environ, counting)

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method == "DELETE":
            self.reset()
            return Response(status=204)(environ, start_response)
        if method not in ("GET", "HEAD"):
            return Response(status=405, headers={"Allow": "GET, HEAD, DELETE"})(environ, start_response)
        rows = [
            {"key": key, "upload_id": upload, "part": number, "stored": count}
            for (key, upload, number), count in sorted(self.counts().items())
        ]
        return Response(json.dumps(rows), mimetype="application/json")(environ, start_response)


def _is_streaming(environ: dict[str, Any]) -> bool:
    return "aws-chunked" in environ.get("HTTP_CONTENT_ENCODING", "") or environ.get(
        "HTTP_X_AMZ_CONTENT_SHA256", ""
    ).startswith("STREAMING-")


def _no_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    return Response(status=404)(environ, start_response)


def _list_moto_modules_once() -> None:
    """moto (5.2.5) decides which service a request is for in `DomainDispatcherApplication.
    get_backend_for_host` (moto/moto_server/werkzeug_app.py), twice a request and under the dispatcher's
    lock; each time, `host in backends.list_of_moto_modules()` (moto/backends.py) lists moto's package
    folder anew (`os.listdir` and a `stat` per entry): 0.7 ms of a request, a third of the CPU the
    sandbox spends serving a 50 KB PutObject. The folder does not change while moto runs, so it is read
    once; the answers (the same names, in the same order) are moto's own."""
    from moto import backends

    if getattr(backends.list_of_moto_modules, "read_once", False):
        return
    names = tuple(backends.list_of_moto_modules())

    def list_of_moto_modules() -> Iterable[str]:
        return names

    list_of_moto_modules.read_once = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules


def _reset_moto() -> None:
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


@dataclass
class AwsSandbox:
    server: RunningServer
    parts: S3PartCounter = field(default_factory=lambda: S3PartCounter(_no_app))
    region: str = REGION
    bucket: str = BUCKET
    access_key_id: str = ACCESS_KEY_ID
    secret_access_key: str = SECRET_ACCESS_KEY
    data_key: str = DATA_KEY_ALIAS
    signing_key: str = SIGNING_KEY_ALIAS
    data_key_id: str = ""
    signing_key_id: str = ""
    _stopped: bool = field(default=False, init=False, repr=False)

    @classmethod
    def start(cls, port: int = 0) -> AwsSandbox:
        """Serve moto on 127.0.0.1 (a free port unless given) and seed the bucket and KMS keys."""
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        _list_moto_modules_once()
        app = DomainDispatcherApplication(create_backend_app)
        parts = S3PartCounter(S3ChecksumCheck(app))
        server = serve(parts, "aws", port=port)
        sandbox = cls(server=server, parts=parts)
        with _registry_lock:
            _running.add(id(sandbox))
        try:
            sandbox._seed()
        except BaseException:
            sandbox.stop()
            raise
        log.info("AWS sandbox (moto) on %s", server.url)
        return sandbox

    @property
    def endpoint(self) -> str:
        return self.server.url

    @property
    def public_base_url(self) -> str:
        return f"{self.endpoint}/{self.bucket}"

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for this sandbox (fixed credentials, its endpoint and region)."""
        import boto3

        params: dict[str, Any] = {
            "endpoint_url": self.endpoint,
            "region_name": self.region,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
        }
        params.update(kwargs)
        return boto3.session.Session().client(service, **params)  # type: ignore[call-overload]

    def _seed(self) -> None:
        s3 = self.client("s3")
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        if self.bucket not in existing:
            s3.create_bucket(Bucket=self.bucket)
            s3.put_bucket_policy(Bucket=self.bucket, Policy=json.dumps(public_read_policy(self.bucket)))
        kms = self.client("kms")
        aliases = {a["AliasName"]: a.get("TargetKeyId", "") for a in kms.list_aliases()["Aliases"]}
        self.data_key_id = aliases.get(self.data_key) or self._create_key(
            kms, self.data_key, "HyperOTA sandbox data key", KeySpec="SYMMETRIC_DEFAULT"
        )
        self.signing_key_id = aliases.get(self.signing_key) or self._create_key(
            kms,
            self.signing_key,
            "HyperOTA sandbox signing key",
            KeySpec="ECC_NIST_P256",
            KeyUsage="SIGN_VERIFY",
        )

    @staticmethod
    def _create_key(kms: Any, alias: str, description: str, **spec: Any) -> str:
        key_id = str(kms.create_key(Description=description, **spec)["KeyMetadata"]["KeyId"])
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        return key_id

    def stop(self) -> None:
        """Stop the server; reset moto's process-global state if no other AwsSandbox still runs."""
        if self._stopped:
            return
        self._stopped = True
        self.server.stop()
        with _registry_lock:
            _running.discard(id(self))
            last = not _running
        if last:
            _reset_moto()
