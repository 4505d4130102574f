"""AWS credentials per profile against the moto sandbox: STS web identity with the OIDC token, static
keys from the keyring, and the error when keys are missing."""

from __future__ import annotations

import asyncio
import datetime

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


async def test_default_chain_uses_environment(
    profile: Profile, aws: AwsSandbox, secrets, monkeypatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", aws.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", aws.secret_access_key)
    creds = AwsCredentials(aws_profile(profile, aws, AwsCredentialMode.DEFAULT_CHAIN), secrets)
    session = await creds.asession()
    assert session.get_credentials().access_key == aws.access_key_id
