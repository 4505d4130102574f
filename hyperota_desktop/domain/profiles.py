"""A profile is one backend environment: identity provider, Superposition, S3 and KMS settings.

Profiles hold no secrets: tokens and static AWS keys live in the OS keyring, keyed by profile name.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from hyperota_desktop.domain.errors import ValidationError

# Used with `fullmatch` only (`$` would accept a trailing newline).
PROFILE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class AwsCredentialMode(StrEnum):
    DEFAULT_CHAIN = "default"  # boto3's chain: env, ~/.aws, instance role
    STATIC_KEYS = "static"  # access key id + secret kept in the OS keyring
    WEB_IDENTITY = "web-identity"  # STS AssumeRoleWithWebIdentity with the OIDC token

    @property
    def isolation(self) -> str:
        """Whether S3 itself keeps organisations apart with these credentials (short, for a person)."""
        return {
            AwsCredentialMode.STATIC_KEYS: "shared keys: no isolation",
            AwsCredentialMode.DEFAULT_CHAIN: "AWS default credentials: isolation unknown",
            AwsCredentialMode.WEB_IDENTITY: "per-person web identity: S3 enforces organisations",
        }[self]

    @property
    def isolation_detail(self) -> str:
        return {
            AwsCredentialMode.STATIC_KEYS: "Everyone using these keys can write every organisation's files; "
            "only the app's own checks keep organisations apart.",
            AwsCredentialMode.DEFAULT_CHAIN: "Whatever the IAM policy of the machine's AWS credentials "
            "allows; S3 keeps organisations apart only if that policy does.",
            AwsCredentialMode.WEB_IDENTITY: "Each person gets their own STS credentials; with the role "
            "policies of packaging/aws, S3 refuses writes outside the organisations in their sign-in token.",
        }[self]


@dataclass(frozen=True)
class Profile:
    name: str
    issuer: str
    client_id: str = "hyperota-desktop"
    superposition_url: str = ""
    superposition_org_id: str = ""
    superposition_org_name: str = ""
    s3_endpoint: str = ""  # blank = AWS
    region: str = "us-east-1"
    bucket: str = ""
    key_prefix: str = ""
    public_base_url: str = ""
    kms_signing_key: str = ""
    kms_data_key: str = ""
    aws_credential_mode: AwsCredentialMode = AwsCredentialMode.DEFAULT_CHAIN
    aws_role_arn: str = ""

    @property
    def keycloak_base_url(self) -> str:
        """`https://sso.example.com` from `https://sso.example.com/realms/x` (any base path kept)."""
        return self.issuer.split("/realms/", 1)[0]

    @property
    def realm(self) -> str:
        return self.issuer.rstrip("/").split("/realms/", 1)[1]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["aws_credential_mode"] = str(self.aws_credential_mode)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        """Build and validate a profile from untrusted JSON (unknown keys are refused)."""
        if not isinstance(data, dict):
            raise ValidationError("A profile must be a JSON object.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError(f"Unknown profile field(s): {', '.join(unknown)}.")
        for key, value in data.items():
            if not isinstance(value, str):
                raise ValidationError(f"Profile field '{key}' must be a string.")
        values = dict(data)
        mode = values.pop("aws_credential_mode", AwsCredentialMode.DEFAULT_CHAIN)
        try:
            values["aws_credential_mode"] = AwsCredentialMode(mode)
        except ValueError:
            choices = ", ".join(m.value for m in AwsCredentialMode)
            raise ValidationError(f"aws_credential_mode must be one of: {choices}.") from None
        if "name" not in values or "issuer" not in values:
            raise ValidationError("A profile needs at least 'name' and 'issuer'.")
        profile = cls(**values)
        validate_profile(profile)
        return profile

    def with_changes(self, **changes: Any) -> Profile:
        profile = replace(self, **changes)
        validate_profile(profile)
        return profile


def _check_url(field: str, value: str, problems: list[str], *, required: bool) -> None:
    if not value:
        if required:
            problems.append(f"{field} is required.")
        return
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        problems.append(f"{field} must be an http(s) URL, got '{value}'.")
    elif parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        problems.append(f"{field} must use https (plain http is only allowed for 127.0.0.1/localhost).")


def profile_problems(profile: Profile) -> list[str]:
    """Every problem with a profile, worded for a person (empty when valid)."""
    return [text for _field, text in profile_field_problems(profile)]


def profile_field_problems(profile: Profile) -> list[tuple[str, str]]:
    """Every problem with a profile as (field name, text), for an editor that shows each next to its
    field; in the order of `profile_problems`."""
    found: list[tuple[str, str]] = []

    def add(field: str, text: str) -> None:
        found.append((field, text))

    def url(field: str, label: str, value: str, *, required: bool) -> None:
        texts: list[str] = []
        _check_url(label, value, texts, required=required)
        for text in texts:
            add(field, text)

    if not PROFILE_NAME_RE.fullmatch(profile.name):
        add("name", "Name: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.")
    url("issuer", "Issuer", profile.issuer, required=True)
    if profile.issuer and "/realms/" not in profile.issuer:
        add("issuer", "Issuer must look like https://host/realms/REALM (a Keycloak realm URL).")
    elif profile.issuer and not profile.issuer.rstrip("/").split("/realms/", 1)[1]:
        add("issuer", "Issuer names no realm after /realms/.")
    if not profile.client_id:
        add("client_id", "Client id is required (the public client with the device grant).")
    url("superposition_url", "Superposition URL", profile.superposition_url, required=False)
    if profile.superposition_org_id and not re.fullmatch(
        r"[A-Za-z0-9_-]{1,64}", profile.superposition_org_id
    ):
        add("superposition_org_id", "Superposition organisation id has unexpected characters.")
    url("s3_endpoint", "S3 endpoint", profile.s3_endpoint, required=False)
    url("public_base_url", "Public base URL", profile.public_base_url, required=False)
    if profile.bucket and not _BUCKET_RE.fullmatch(profile.bucket):
        add("bucket", "Bucket: 3-63 lowercase letters, digits, '.' or '-'.")
    if profile.region and not _REGION_RE.fullmatch(profile.region):
        add("region", f"Region '{profile.region}' does not look like an AWS region (e.g. eu-west-1).")
    if profile.key_prefix.startswith("/") or ".." in profile.key_prefix.split("/"):
        add("key_prefix", "Key prefix must be relative and must not contain '..'.")
    if profile.aws_credential_mode is AwsCredentialMode.WEB_IDENTITY and not profile.aws_role_arn.startswith(
        "arn:"
    ):
        add("aws_role_arn", "Web-identity credentials need a role ARN (arn:aws:iam::ACCOUNT:role/NAME).")
    return found


def validate_profile(profile: Profile) -> None:
    problems = profile_problems(profile)
    if problems:
        raise ValidationError(f"Profile '{profile.name}' is not valid: " + " ".join(problems))
