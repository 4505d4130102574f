"""Issue 17.4: `re.match` with `$` accepts a final "\\n"; every name rule must refuse it."""

from __future__ import annotations

import pytest

from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.membership import MemberScope
from hyperota_desktop.domain.names import name_problem, validate_app_name, validate_org_name
from hyperota_desktop.domain.packages import (
    AppKeys,
    check_sha256,
    check_tag,
    sha256_of_file_key,
    version_of_key,
)
from hyperota_desktop.domain.profiles import Profile, profile_problems

HEX = "ab" * 32


@pytest.mark.parametrize("name", ["demo\n", "..\n", "a\n", "demo\r\n"])
def test_org_and_app_names_with_a_line_break_are_refused(name: str) -> None:
    assert name_problem(name) is not None
    with pytest.raises(ValidationError):
        validate_org_name(name)
    with pytest.raises(ValidationError):
        validate_app_name(name)


def test_the_reason_names_the_invisible_character() -> None:
    assert "'\\n'" in (name_problem("demo\n") or "")


def test_tags_checksums_and_keys_with_a_line_break_are_refused() -> None:
    with pytest.raises(ValidationError):
        check_tag("stable\n")
    with pytest.raises(ValidationError):
        check_sha256(HEX + "\n")
    assert sha256_of_file_key(f"demo/web/files/sha256/ab/{HEX}\n") is None
    assert version_of_key("demo/web/packages/00000001.json\n") is None
    assert version_of_key("demo/web/packages/00000001.json") == 1


def test_profile_name_bucket_and_region_with_a_line_break_are_refused() -> None:
    good = Profile(name="prod", issuer="https://sso.example.com/realms/r", bucket="b-1", region="eu-west-1")
    assert profile_problems(good) == []
    for change in ({"name": "prod\n"}, {"bucket": "b-1\n"}, {"region": "eu-west-1\n"}):
        assert profile_problems(Profile(**{**good.to_dict(), **change})), change  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Profile.from_dict({**good.to_dict(), "name": "prod\n"})


@pytest.mark.parametrize(("org", "app"), [("../..", "web"), ("demo", ".."), ("demo\n", "web"), ("", "web")])
def test_read_paths_validate_names_too(org: str, app: str) -> None:
    """`package list --org ../..` used to list another prefix of the bucket."""
    with pytest.raises(ValidationError):
        AppKeys("", org, app)
    with pytest.raises(ValidationError):
        MemberScope(org, app)
