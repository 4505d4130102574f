"""The whole sandbox: every emulator on its own port, wired together, stoppable, importable as a profile."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest

from hyperota_desktop.app.cli_entry import main as cli_main
from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.directories import resolve_dirs
from hyperota_desktop.sandbox.runtime import ORG_NAME, Sandbox

ENDPOINT_KEYS = {
    "issuer",
    "client_id",
    "realm",
    "keycloak_url",
    "superposition_url",
    "superposition_org_id",
    "superposition_org_name",
    "s3_endpoint",
    "region",
    "bucket",
    "aws_access_key_id",
    "aws_secret_access_key",
    "kms_data_key",
    "kms_signing_key",
    "public_base_url",
    "users",
}


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _device_token(sandbox: Sandbox) -> str:
    oidc = f"{sandbox.issuer}/protocol/openid-connect"
    grant = httpx.post(f"{oidc}/auth/device", data={"client_id": "hyperota-desktop"}).json()
    token = httpx.post(
        f"{oidc}/token",
        data={
            "client_id": "hyperota-desktop",
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": grant["device_code"],
        },
    )
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])


def test_endpoints_have_exactly_the_documented_keys(sandbox: Sandbox) -> None:
    endpoints = sandbox.endpoints
    assert set(endpoints) == ENDPOINT_KEYS
    assert endpoints["superposition_org_name"] == ORG_NAME
    assert endpoints["issuer"] == f"{endpoints['keycloak_url']}/realms/{endpoints['realm']}"
    assert endpoints["users"]["alice"]
    json.dumps(endpoints)  # serialisable as the endpoints file
    ports = {sandbox.servers[name].port for name in ("keycloak", "superposition", "aws")}
    assert len(ports) == 3
    assert set(sandbox.servers) == {"keycloak", "superposition", "aws"}


def test_discovery_and_landing_page(sandbox: Sandbox) -> None:
    discovery = httpx.get(f"{sandbox.issuer}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == sandbox.issuer
    assert httpx.get(sandbox.landing_url).status_code == 200


def test_superposition_accepts_keycloak_tokens_only(sandbox: Sandbox) -> None:
    url = f"{sandbox.superposition_url}/superposition/organisations/{sandbox.org_id}"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    sandbox.keycloak.set_auto_approve("alice")
    try:
        token = _device_token(sandbox)
    finally:
        sandbox.keycloak.set_auto_approve(None)
    response = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == ORG_NAME


def test_faults_apply_to_every_emulator(sandbox: Sandbox) -> None:
    for name, server in sandbox.servers.items():
        spec = {"path": "^/nowhere$", "method": "GET", "times": 1, "status": 418}
        assert httpx.post(f"{server.url}/__sandbox__/faults", json=spec).status_code == 201, name
        assert httpx.get(f"{server.url}/nowhere").status_code == 418, name
        assert server.faults.pending() == []


BAD_FAULTS = [
    b"not json",
    b"[1, 2]",
    b"null",
    b'{"method": "GET"}',
    b'{"path": "x", "colour": "red"}',
    b'{"path": "("}',
    b'{"path": "x", "times": "a"}',
    b'{"path": "x", "times": -1}',
    b'{"path": "x", "status": "abc"}',
    b'{"path": "x", "status": 1000}',
    b'{"path": "x", "delay": "x"}',
    b'{"path": "x", "drop": "yes"}',
    b'{"path": 7}',
    b'{"path": "x", "headers": {"Retry-After": 3}}',
    b'{"path": "x", "headers": ["Retry-After"]}',
    b'{"path": "x", "headers": {"X": "a\\nb"}}',
    b'{"path": "x", "apply": 1}',
    b'{"path": "x", "on_hit": "print"}',
]


def test_a_fault_carries_headers_such_as_retry_after(sandbox: Sandbox) -> None:
    server = sandbox.servers["superposition"]
    spec = {"path": "^/nowhere$", "status": 429, "headers": {"Retry-After": "2"}}
    assert httpx.post(f"{server.url}/__sandbox__/faults", json=spec).status_code == 201
    answer = httpx.get(f"{server.url}/nowhere")
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"


def test_an_applied_fault_does_the_work_then_loses_or_replaces_the_answer(sandbox: Sandbox) -> None:
    """`apply`: the emulator handles the request (the object is stored), then the answer is replaced
    (512), lost (drop) or late; `on_hit` runs after the work, in the server thread."""
    aws, s3 = sandbox.servers["aws"], sandbox.aws.client("s3")
    seen: list[tuple[str, str]] = []
    bucket, base = sandbox.aws.bucket, "fault-apply"
    try:
        aws.faults.add(f"/{base}/a$", method="PUT", apply=True, status=512, body={"message": "webhook"},
                       on_hit=lambda method, path: seen.append((method, path)))  # fmt: skip
        answer = httpx.put(f"{aws.url}/{bucket}/{base}/a", content=b"stored")
        assert answer.status_code == 512 and answer.json() == {"message": "webhook"}
        assert s3.get_object(Bucket=bucket, Key=f"{base}/a")["Body"].read() == b"stored"
        assert seen == [("PUT", f"/{bucket}/{base}/a")]
        aws.faults.add(f"/{base}/b$", method="PUT", apply=True, drop=True)
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.put(f"{aws.url}/{bucket}/{base}/b", content=b"lost answer")
        assert s3.get_object(Bucket=bucket, Key=f"{base}/b")["Body"].read() == b"lost answer"
        aws.faults.add(f"/{base}/b$", method="GET", apply=True, status=0, delay=0.2, headers={"X-Late": "1"})
        late = httpx.get(f"{aws.url}/{bucket}/{base}/b")
        assert late.status_code == 200 and late.content == b"lost answer" and late.headers["X-Late"] == "1"
    finally:
        aws.faults.clear()
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"{base}/a"}, {"Key": f"{base}/b"}]})


def test_the_aws_emulator_counts_every_stored_part(sandbox: Sandbox) -> None:
    s3, bucket, key = sandbox.aws.client("s3"), sandbox.aws.bucket, "parts-counted/big"
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    try:
        for number in (1, 2, 2):
            s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=b"x" * 10)
        counts = sandbox.aws.parts.counts(f"{bucket}/{key}")
        assert counts == {(f"{bucket}/{key}", upload, 1): 1, (f"{bucket}/{key}", upload, 2): 2}
        assert sandbox.aws.parts.resent(f"{bucket}/{key}") == [(f"{bucket}/{key}", upload, 2)]
        rows = httpx.get(f"{sandbox.aws.endpoint}/__sandbox__/parts").json()
        assert {"key": f"{bucket}/{key}", "upload_id": upload, "part": 2, "stored": 2} in rows
    finally:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)


@pytest.mark.parametrize("name", ["keycloak", "superposition", "aws"])
def test_bad_fault_requests_get_400_and_never_break_the_emulator(sandbox: Sandbox, name: str) -> None:
    server = sandbox.servers[name]
    control = f"{server.url}/__sandbox__/faults"
    try:
        for body in BAD_FAULTS:
            response = httpx.post(control, content=body)
            assert response.status_code == 400, (name, body, response.text)
            assert response.json()["message"].startswith("bad fault"), (name, body)
        assert server.faults.pending() == []
        assert httpx.get(f"{server.url}/nowhere-at-all").status_code != 500, name  # still routing
        refused = httpx.put(control, json={"path": "x"})
        assert refused.status_code == 405 and "POST" in refused.headers["Allow"]
        assert server.faults.pending() == []
    finally:
        server.faults.clear()


def test_2025_dialect(sandbox_2025: Sandbox) -> None:
    assert sandbox_2025.dialect == "2025" and sandbox_2025.build == "0.74"
    assert sandbox_2025.superposition.dialect == "2025"
    assert sandbox_2025.superposition.server_version == "v0.74.0"
    assert sandbox_2025.endpoints["superposition_org_name"] == ORG_NAME


def test_unknown_dialect_is_refused_before_anything_starts() -> None:
    with pytest.raises(ValueError, match="dialect"):
        Sandbox.start(dialect="1999")
    with pytest.raises(ValueError, match="build"):
        Sandbox.start(build="0.99")


def test_unknown_auto_approve_user_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown user"):
        Sandbox.start(auto_approve="mallory")


def test_start_stop_frees_every_port() -> None:
    sandbox = Sandbox.start(auto_approve="alice")
    ports = [server.port for server in sandbox.servers.values()]
    assert all(_port_open(port) for port in ports)
    with sandbox:
        pass
    assert not any(_port_open(port) for port in ports)
    sandbox.stop()  # idempotent


def test_endpoints_file_imports_as_a_working_profile(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "endpoints.json"
    path.write_text(json.dumps(sandbox.endpoints), encoding="utf-8")
    assert cli_main(["profile", "import", str(path), "--name", "sandbox"]) == 0
    assert cli_main(["profile", "use", "sandbox"]) == 0
    services = build_services(resolve_dirs(None))
    profile = services.profiles.active()
    assert profile.name == "sandbox"
    assert profile.issuer == sandbox.issuer
    assert profile.superposition_org_id == sandbox.org_id
    assert profile.public_base_url == sandbox.aws.public_base_url
    keys = services.profiles.static_aws_keys("sandbox")
    assert keys == (sandbox.aws.access_key_id, sandbox.aws.secret_access_key)
    # The profile works: discovery at its issuer, and S3 + KMS with its keys.
    assert httpx.get(f"{profile.issuer}/.well-known/openid-configuration").status_code == 200
    s3 = sandbox.aws.client(
        "s3",
        endpoint_url=profile.s3_endpoint,
        region_name=profile.region,
        aws_access_key_id=keys[0],
        aws_secret_access_key=keys[1],
    )
    s3.put_object(Bucket=profile.bucket, Key="profile-check.txt", Body=b"ok")
    assert httpx.get(f"{profile.public_base_url}/profile-check.txt").content == b"ok"
    kms = sandbox.aws.client("kms", endpoint_url=profile.s3_endpoint)
    assert kms.describe_key(KeyId=profile.kms_signing_key)["KeyMetadata"]["KeySpec"] == "ECC_NIST_P256"
