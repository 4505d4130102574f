from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.profiles import AwsCredentialMode, Profile, profile_problems

GOOD = {"name": "prod", "issuer": "https://sso.example.com/realms/hyperota"}


def test_keycloak_base_and_realm_are_derived_from_the_issuer() -> None:
    profile = Profile.from_dict({**GOOD, "issuer": "https://sso.example.com/auth/realms/ota"})
    assert profile.keycloak_base_url == "https://sso.example.com/auth"
    assert profile.realm == "ota"


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"name": "bad name"}, "Name"),
        ({"issuer": "ftp://x/realms/a"}, r"http\(s\) URL"),
        ({"issuer": "http://sso.example.com/realms/a"}, "https"),
        ({"issuer": "https://sso.example.com/oidc"}, "/realms/"),
        ({"bucket": "Bad_Bucket"}, "Bucket"),
        ({"region": "mars"}, "Region"),
        ({"key_prefix": "../up"}, "Key prefix"),
        ({"aws_credential_mode": "web-identity"}, "role ARN"),
        ({"client_id": ""}, "Client id"),
    ],
)
def test_invalid_profiles_are_refused_with_a_clear_reason(changes: dict[str, str], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        Profile.from_dict({**GOOD, **changes})


def test_plain_http_is_allowed_on_loopback_only() -> None:
    Profile.from_dict({**GOOD, "issuer": "http://127.0.0.1:8080/realms/hyperota"})
    Profile.from_dict({**GOOD, "s3_endpoint": "http://localhost:5000"})


def test_unknown_fields_and_non_strings_are_refused() -> None:
    with pytest.raises(ValidationError, match="Unknown profile field"):
        Profile.from_dict({**GOOD, "client_secret": "x"})
    with pytest.raises(ValidationError, match="must be a string"):
        Profile.from_dict({**GOOD, "region": 5})
    with pytest.raises(ValidationError, match="aws_credential_mode"):
        Profile.from_dict({**GOOD, "aws_credential_mode": "magic"})


def test_round_trip_through_dict() -> None:
    profile = Profile.from_dict(
        {
            **GOOD,
            "aws_credential_mode": "web-identity",
            "aws_role_arn": "arn:aws:iam::1:role/r",
            "bucket": "ota",
        }
    )
    assert Profile.from_dict(profile.to_dict()) == profile
    assert profile.aws_credential_mode is AwsCredentialMode.WEB_IDENTITY


@given(st.text(max_size=80))
def test_any_name_is_either_accepted_or_explained(name: str) -> None:
    problems = profile_problems(Profile(name=name, issuer=GOOD["issuer"]))
    valid = bool(name) and len(name) <= 64 and name[0].isascii() and name[0].isalnum()
    valid = valid and all(c.isascii() and (c.isalnum() or c in "._-") for c in name)
    assert (not problems) == valid
