"""AWS credentials per profile against the moto sandbox: STS web identity with the OIDC token, static
keys from the keyring, and the error when keys are missing."""

from __future__ import annotations

import asyncio
import datetime
import os
import subprocess
import sys

import pytest

from hyperota_desktop.domain.errors import AuthError
from hyperota_desktop.domain.profiles import AwsCredentialMode, Profile
from hyperota_desktop.sandbox.aws import WEB_IDENTITY_ROLE_ARN, AwsSandbox
from hyperota_desktop.services.aws_credentials import AwsCredentials
from hyperota_desktop.services.profiles import AWS_KEY_ID, AWS_SECRET
from hyperota_desktop.stores.secrets import SecretStore

from .conftest import sign_in


def aws_profile(base: Profile, aws: AwsSandbox, mode: AwsCredentialMode) -> Profile:
    return base.with_changes(
        s3_endpoint=aws.endpoint,
        region=aws.region,
        bucket=aws.bucket,
        aws_credential_mode=mode,
        aws_role_arn=WEB_IDENTITY_ROLE_ARN if mode is AwsCredentialMode.WEB_IDENTITY else "",
    )


async def test_sts_web_identity_credentials_used_for_s3(
    make_auth, kc, profile: Profile, aws: AwsSandbox, secrets: SecretStore, fake_time
) -> None:
    target = aws_profile(profile, aws, AwsCredentialMode.WEB_IDENTITY)
    auth = make_auth(profile=target)
    await sign_in(auth, kc, "dave")
    creds = AwsCredentials(target, secrets, web_token=auth.access_token_blocking)
    s3 = await asyncio.to_thread(creds.client, "s3")
    await asyncio.to_thread(s3.put_object, Bucket=aws.bucket, Key="demo/app/sts.txt", Body=b"via sts")
    got = await asyncio.to_thread(s3.get_object, Bucket=aws.bucket, Key="demo/app/sts.txt")
    assert got["Body"].read() == b"via sts"
    session = await creds.asession()
    frozen = await asyncio.to_thread(lambda: session.get_credentials().get_frozen_credentials())
    assert frozen.access_key != aws.access_key_id and frozen.token  # temporary STS credentials
    sts = await asyncio.to_thread(creds.client, "sts")
    caller = await asyncio.to_thread(sts.get_caller_identity)
    assert "assumed-role/hyperota-publisher/hyperota-desktop-kc" in caller["Arn"]
    assert creds.sts_calls == 1


async def test_web_identity_credentials_refresh_before_expiry(
    make_auth, kc, profile: Profile, aws: AwsSandbox, secrets: SecretStore, fake_time
) -> None:
    target = aws_profile(profile, aws, AwsCredentialMode.WEB_IDENTITY)
    auth = make_auth(profile=target)
    await sign_in(auth, kc, "alice")
    creds = AwsCredentials(target, secrets, web_token=auth.access_token_blocking)
    session = await creds.asession()
    refreshable = session.get_credentials()
    first = await asyncio.to_thread(lambda: refreshable.get_frozen_credentials().access_key)
    # Make botocore see the credentials as about to expire: it must assume the role again.
    refreshable._expiry_time = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=30)
    second = await asyncio.to_thread(lambda: refreshable.get_frozen_credentials().access_key)
    assert creds.sts_calls == 2 and second != first


async def test_web_identity_without_sign_in_is_an_auth_error(
    make_auth, profile: Profile, aws: AwsSandbox, secrets: SecretStore, fake_time
) -> None:
    target = aws_profile(profile, aws, AwsCredentialMode.WEB_IDENTITY)
    auth = make_auth(profile=target)
    creds = AwsCredentials(target, secrets, web_token=auth.access_token_blocking)
    with pytest.raises(AuthError):
        await creds.asession()


async def test_static_keys_from_keyring(profile: Profile, aws: AwsSandbox, secrets: SecretStore) -> None:
    target = aws_profile(profile, aws, AwsCredentialMode.STATIC_KEYS)
    creds = AwsCredentials(target, secrets)
    with pytest.raises(AuthError, match="none are in the keyring") as missing:
        await creds.asession()
    assert f"hyperota profile aws-keys {target.name}" in missing.value.hint  # a way that exists
    secrets.set(target.name, AWS_KEY_ID, aws.access_key_id)
    secrets.set(target.name, AWS_SECRET, aws.secret_access_key)
    creds.invalidate()
    s3 = await asyncio.to_thread(creds.client, "s3")
    listed = await asyncio.to_thread(s3.list_buckets)
    assert aws.bucket in {b["Name"] for b in listed["Buckets"]}


async def test_static_keys_the_s3_model_loads_before_the_keyring_is_read(
    profile: Profile, aws: AwsSandbox, secrets: SecretStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most of an S3 client's build is loading botocore's model of S3; it needs no keys, so it is done
    before the keys are read (a command's keyring read, tens of milliseconds, overlaps it)."""
    from botocore.loaders import Loader

    target = aws_profile(profile, aws, AwsCredentialMode.STATIC_KEYS)
    secrets.set(target.name, AWS_KEY_ID, aws.access_key_id)
    secrets.set(target.name, AWS_SECRET, aws.secret_access_key)
    order: list[str] = []
    real_load, real_get = Loader.load_service_model, SecretStore.get

    def load(self: Loader, service: str, type_name: str, api_version: str | None = None) -> object:
        order.append(f"{service}:{type_name}")
        return real_load(self, service, type_name, api_version)

    def get(self: SecretStore, name: str, key: str) -> str | None:
        order.append(f"keyring:{key}")
        return real_get(self, name, key)

    monkeypatch.setattr(Loader, "load_service_model", load)
    monkeypatch.setattr(SecretStore, "get", get)
    s3 = await asyncio.to_thread(AwsCredentials(target, secrets).client, "s3")
    assert order.index("s3:service-2") < order.index(f"keyring:{AWS_KEY_ID}"), order
    assert order.index("s3:endpoint-rule-set-1") < order.index(f"keyring:{AWS_KEY_ID}"), order
    listed = await asyncio.to_thread(s3.list_buckets)  # and the keys it was given sign its requests
    assert aws.bucket in {b["Name"] for b in listed["Buckets"]}


async def test_default_chain_uses_environment(
    profile: Profile, aws: AwsSandbox, secrets, monkeypatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", aws.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", aws.secret_access_key)
    creds = AwsCredentials(aws_profile(profile, aws, AwsCredentialMode.DEFAULT_CHAIN), secrets)
    session = await creds.asession()
    assert session.get_credentials().access_key == aws.access_key_id


def test_clients_are_plain_botocore_without_boto3(aws: AwsSandbox, tmp_path) -> None:
    """boto3 adds nothing the app uses (resources, s3transfer) and ~60 ms of every command's start-up:
    a client built by a fresh process talks to S3 without boto3 ever being imported."""
    script = (
        "import sys\n"
        "from hyperota_desktop.domain.profiles import Profile\n"
        "from hyperota_desktop.services.aws_credentials import AwsCredentials\n"
        "from hyperota_desktop.stores.secrets import SecretStore\n"
        f"p = Profile(name='p', issuer='http://x/realms/r', s3_endpoint={aws.endpoint!r}, "
        f"region={aws.region!r}, bucket={aws.bucket!r})\n"
        "s3 = AwsCredentials(p, SecretStore()).client('s3')\n"
        "names = {b['Name'] for b in s3.list_buckets()['Buckets']}\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 's3transfer'))\n"
        f"print({aws.bucket!r} in names, heavy)\n"
    )
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": aws.access_key_id,
        "AWS_SECRET_ACCESS_KEY": aws.secret_access_key,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert proc.stdout.split() == ["True", "[]"], proc.stderr[-2000:]
