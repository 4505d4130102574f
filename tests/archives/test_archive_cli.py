"""`hyperota archive …` and `hyperota secrets …` as a user runs them (in-process `main`, real HTTP)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from hyperota_desktop.app.cli_entry import main as cli_main
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.services.archive_crypto import public_key_pem
from tests.support import bundles
from tests.support.archives import flipped, split


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], aws: AwsSandbox, tmp_path: Path):
    endpoints = {
        "issuer": "http://127.0.0.1:9/realms/hyperota", "client_id": "hyperota-desktop",
        "superposition_url": "http://127.0.0.1:9", "s3_endpoint": aws.endpoint, "region": aws.region,
        "bucket": aws.bucket, "public_base_url": aws.public_base_url, "kms_signing_key": aws.signing_key,
        "kms_data_key": aws.data_key, "aws_access_key_id": aws.access_key_id,
        "aws_secret_access_key": aws.secret_access_key,
    }  # fmt: skip
    (tmp_path / "e.json").write_text(json.dumps(endpoints))
    assert _run(capsys, "profile", "import", str(tmp_path / "e.json"), "--name", "sb")[0] == 0
    assert _run(capsys, "profile", "use", "sb")[0] == 0
    return lambda *argv: _run(capsys, *argv)


def test_offline_build_verify_and_fallback_without_any_profile(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = bundles.react_native(tmp_path / "rn")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")
    archive = str(tmp_path / "a.hota")
    code, out, err = _run(capsys, "archive", "build", str(root), "-o", archive, "--app", "shop", "--json")
    assert code == 0, err
    built = json.loads(out)
    assert built["files"] == 4 and not built["signed"] and built["archive"].endswith("a.hota")
    code, out, _ = _run(capsys, "archive", "verify", str(tmp_path / "a.hota"), "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and not report["trusted"]
    code, out, _ = _run(capsys, "archive", "verify", str(tmp_path / "a.hota"), "--require-signature")
    assert code == 5 and "a signature checked against a trusted key is required" in out
    raw = (tmp_path / "a.hota").read_bytes()
    (tmp_path / "t.hota").write_bytes(flipped(raw, split(raw)[3].data_offset))
    code, out, _ = _run(capsys, "archive", "verify", str(tmp_path / "t.hota"), "--json")
    failed = [c for c in json.loads(out)["checks"] if c["status"] == "failed"]
    assert code == 5 and [c["part"] for c in failed] == ["file index.android.bundle"]
    code, out, err = _run(capsys, "archive", "fallback", str(tmp_path / "a.hota"), "--platform", "android",
                          "--out", str(tmp_path / "main"))  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "main/assets/shop/release_config.json").is_file()
    code, out, err = _run(capsys, "archive", "fallback", str(tmp_path / "t.hota"), "--platform", "ios",
                          "--out", str(tmp_path / "ios"), "--json")  # fmt: skip
    assert code == 5 and not (tmp_path / "ios").exists()
    assert json.loads(out)["verification"]["ok"] is False and "Refusing to make fallback assets" in err
    code, _, err = _run(
        capsys, "archive", "export", "--org", "o", "--app", "a", "--version", "1", "-o", "x.hota"
    )
    assert code == 4 and "No profile yet" in err


def test_signed_encrypted_build_and_trust_options(cli, aws: AwsSandbox, tmp_path: Path) -> None:
    root = bundles.react_native(tmp_path / "rn")
    code, out, err = cli("archive", "build", str(root), "-o", str(tmp_path / "s.hota"), "--sign", "--encrypt",
                         "--context", "env=prod", "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["signed"] and json.loads(out)["encrypted"]
    pem = tmp_path / "signing.pem"
    pem.write_text(
        public_key_pem(bytes(aws.client("kms").get_public_key(KeyId=aws.signing_key)["PublicKey"]))
    )
    for trust in (["--public-key", str(pem)], ["--kms-key", aws.signing_key]):
        code, out, err = cli("archive", "verify", str(tmp_path / "s.hota"), *trust, "--context", "env=prod")
        assert code == 0, out + err
        assert "Verified: 4 file(s), every check passed; signed and trusted." in out
    code, out, _ = cli("archive", "verify", str(tmp_path / "s.hota"), "--context", "env=dev")
    assert code == 5 and "env='dev' (the archive has env='prod')" in out
    code, out, err = cli("archive", "sign", str(tmp_path / "s.hota"), "--key", "alias/none", "--json")
    assert code == 4 and "does not exist" in err


def test_export_needs_a_signed_in_reader(cli, tmp_path: Path) -> None:
    root = bundles.react_native(tmp_path / "rn")
    code, _, err = cli("package", "publish", "--org", "clia", "--app", "one", str(root))
    assert code == 3 and "Not signed in" in err  # publishing needs someone with write access too
    code, _, err = cli("archive", "export", "--org", "clia", "--app", "one", "--version", "1", "-o",
                       str(tmp_path / "p.hota"))  # fmt: skip
    assert code == 3 and "Not signed in" in err and not (tmp_path / "p.hota").exists()


def test_secrets_round_trip_and_server_compatibility(cli, aws: AwsSandbox, tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        '# server settings\nDB_USER=ota\nDB_PASSWORD=\'p@ss word#1\'\nexport KEYCLOAK_SECRET="s3cr\\"et"\n'
        "PUBLIC_ENDPOINT=https://ota.example # not secret\n"
    )
    code, out, err = cli("secrets", "encrypt", str(env), "--json")
    assert code == 0, err
    assert "DB_PASSWORD, KEYCLOAK_SECRET" in err and json.loads(out)["encrypted"] == [
        "DB_PASSWORD",
        "KEYCLOAK_SECRET",
    ]
    text = (tmp_path / ".env.encrypted").read_text()
    assert "p@ss" not in text and "s3cr" not in text and "DB_USER=ota" in text and "# server settings" in text
    assert (tmp_path / ".env.encrypted").stat().st_mode & 0o077 == 0
    lines = dict(line.removeprefix("export ").split("=", 1) for line in text.splitlines() if "=" in line
                 and not line.startswith("#"))  # fmt: skip
    kms = aws.client("kms")  # what the server does: Decrypt(base64 value), no context
    assert kms.decrypt(CiphertextBlob=base64.b64decode(lines["DB_PASSWORD"]))["Plaintext"] == b"p@ss word#1"
    assert kms.decrypt(CiphertextBlob=base64.b64decode(lines["KEYCLOAK_SECRET"]))["Plaintext"] == b's3cr"et'
    code, out, err = cli("secrets", "decrypt", str(tmp_path / ".env.encrypted"))
    assert code == 0 and "p@ss" not in out + err and "DB_PASSWORD: decrypts (11 characters" in out
    code, out, _ = cli("secrets", "decrypt", str(tmp_path / ".env.encrypted"), "--show", "--json")
    assert {v["key"]: v["value"] for v in json.loads(out)["values"]} == {
        "DB_PASSWORD": "p@ss word#1", "KEYCLOAK_SECRET": 's3cr"et',
    }  # fmt: skip
    code, out, err = cli("secrets", "encrypt", str(env), "--keys", "DB_PASSWORD", "--context", "svc=ota",
                         "-o", str(tmp_path / "ctx.env"))  # fmt: skip
    assert code == 0 and "needs the same context" in err
    code, out, _ = cli("secrets", "decrypt", str(tmp_path / "ctx.env"), "--context", "svc=other")
    assert code == 5 and "encryption context does not match" in out
    assert cli("secrets", "decrypt", str(tmp_path / "ctx.env"))[0] == 0  # the context from the file's header
