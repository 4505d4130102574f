"""Name rules, workspace names, default configs and membership guards (pure rules, property tests)."""

from __future__ import annotations

import re

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.errors import Conflict, PermissionDenied, ValidationError
from hyperota_desktop.domain.membership import (
    MemberScope,
    check_change,
    level_from_paths,
    parse_level,
    refusal,
    selectable_levels,
)
from hyperota_desktop.domain.names import (
    ORG_ROLES,
    name_problem,
    validate_app_name,
    validate_org_name,
    workspace_name,
)
from hyperota_desktop.domain.workspace_defaults import default_configs

VALID = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=50).filter(
    lambda s: s not in (".", "..")
)


@given(VALID)
def test_every_name_of_the_allowed_alphabet_is_a_valid_org_name(name: str) -> None:
    assert validate_org_name(name) == name


@given(st.text(min_size=1, max_size=60))
def test_names_outside_the_rules_are_refused_with_a_reason(name: str) -> None:
    ok = re.fullmatch(r"[a-z0-9._-]{1,50}", name) is not None and name not in (".", "..")
    assert (name_problem(name) is None) == ok
    if not ok:
        with pytest.raises(ValidationError):
            validate_org_name(name)


@given(st.sampled_from(ORG_ROLES))
def test_role_names_are_reserved_for_applications_only(role: str) -> None:
    assert validate_org_name(role) == role
    with pytest.raises(ValidationError, match="reserved"):
        validate_app_name(role)


def test_problems_are_worded_for_people() -> None:
    assert "at most 50" in (name_problem("a" * 51) or "")
    assert "'A'" in (name_problem("Acme") or "")
    # issue 16.5: the problem is named (the space), and the rule mentions underscores
    spaced = name_problem("acme corp") or ""
    assert spaced.startswith("An organisation name cannot contain a space:") and "'_'" in spaced
    assert "required" in (name_problem("", kind="application") or "")


@given(VALID, VALID, st.sets(st.text(alphabet="abcdefghij0123456789", min_size=1, max_size=25), max_size=30))
def test_workspace_names_match_superposition_and_are_unique(org: str, app: str, taken: set[str]) -> None:
    name = workspace_name(org, app, taken)
    assert re.fullmatch(r"[a-zA-Z0-9]{1,25}", name)
    assert name.lower() not in {t.lower() for t in taken}


def test_workspace_name_skips_taken_candidates() -> None:
    suffixes = iter(["aaaaaaaa", "aaaaaaaa", "bbbbbbbb"])
    first = workspace_name("demo", "shop", [], random=lambda _n: "aaaaaaaa")
    second = workspace_name("demo", "shop", [first], random=lambda _n: next(suffixes))
    assert first != second and second.endswith("bbbbbbbb")


def test_default_configs_validate_against_their_own_schemas() -> None:
    configs = default_configs("shop")
    keys = [c.key for c in configs]
    assert keys[0] == "config.version" and "resources" in keys and len(set(keys)) == len(keys) == 11
    for config in configs:
        jsonschema.validate(config.value, config.schema)
    by_key = {c.key: c for c in configs}
    assert by_key["package.name"].value == "shop"
    good = {"file_path": "a.js", "url": "https://x/a.js", "checksum": "0" * 64, "size": 1}
    jsonschema.validate(good, by_key["package.index"].schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{**good, "checksum": "xyz"}], by_key["package.important"].schema)


def test_levels_from_paths() -> None:
    paths = ["/demo/write", "/demo/shop/admin", "/other/owner"]
    assert level_from_paths(paths, MemberScope("demo")) is AccessLevel.WRITE
    assert level_from_paths(paths, MemberScope("demo", "shop")) is AccessLevel.ADMIN
    assert level_from_paths(paths, MemberScope("other", "x")) is AccessLevel.ADMIN  # owner ⇒ app admin
    assert level_from_paths(paths, MemberScope("nope")) is AccessLevel.NONE
    assert parse_level("Owner") is AccessLevel.OWNER
    with pytest.raises(ValidationError):
        parse_level("god")


LEVELS = st.sampled_from(list(AccessLevel))


@given(LEVELS, LEVELS, LEVELS, st.integers(min_value=1, max_value=3), st.booleans())
def test_member_guards(actor, current, new, owners, app) -> None:  # type: ignore[no-untyped-def]
    scope = MemberScope("demo", "shop" if app else "")
    try:
        check_change(scope, actor, target_current=current, target_new=new, owners=owners)
    except (PermissionDenied, Conflict, ValidationError):
        return
    # whatever was allowed obeys every rule
    assert actor >= AccessLevel.ADMIN
    assert new <= actor and current <= actor
    assert new is not AccessLevel.OWNER or actor is AccessLevel.OWNER
    assert new is AccessLevel.NONE or new in scope.levels
    if not app and current is AccessLevel.OWNER and new is not AccessLevel.OWNER:
        assert owners > 1


def test_the_last_owner_cannot_leave_or_be_demoted() -> None:
    org = MemberScope("demo")
    for new in (AccessLevel.NONE, AccessLevel.ADMIN):
        with pytest.raises(Conflict, match="last owner"):
            check_change(org, AccessLevel.OWNER, target_current=AccessLevel.OWNER, target_new=new, owners=1)
    check_change(
        org, AccessLevel.OWNER, target_current=AccessLevel.OWNER, target_new=AccessLevel.NONE, owners=2
    )


def test_nobody_grants_above_their_level_and_only_owners_make_owners() -> None:
    org = MemberScope("demo")
    with pytest.raises(PermissionDenied, match="above"):
        check_change(
            org, AccessLevel.ADMIN, target_current=AccessLevel.READ, target_new=AccessLevel.OWNER, owners=1
        )
    with pytest.raises(PermissionDenied, match="admin or owner"):
        check_change(
            org, AccessLevel.WRITE, target_current=AccessLevel.NONE, target_new=AccessLevel.READ, owners=1
        )


@given(LEVELS, st.sampled_from(list(AccessLevel)[1:]), st.integers(min_value=1, max_value=3), st.booleans())
def test_the_level_selector_offers_exactly_what_the_guards_allow(actor, current, owners, app) -> None:  # type: ignore[no-untyped-def]
    scope = MemberScope("demo", "shop" if app else "")
    if current not in scope.levels:
        return
    offered = selectable_levels(scope, actor, current, owners=owners)
    assert current in offered
    for level in scope.levels:
        allowed = not refusal(scope, actor, target_current=current, target_new=level, owners=owners)
        assert (level in offered) is (allowed or level is current)


def test_the_selector_locks_the_last_owner_and_members_above_the_actor() -> None:
    org = MemberScope("demo")
    owner, admin = AccessLevel.OWNER, AccessLevel.ADMIN
    assert selectable_levels(org, owner, owner, owners=1) == (owner,)  # last owner: nothing to pick
    assert selectable_levels(org, owner, owner, owners=2) == org.levels
    assert selectable_levels(org, admin, owner, owners=2) == (owner,)  # above the admin
    assert selectable_levels(org, admin, AccessLevel.READ, owners=1) == (
        admin,
        AccessLevel.WRITE,
        AccessLevel.READ,
    )
    assert "last owner" in refusal(org, owner, target_current=owner, target_new=AccessLevel.NONE, owners=1)
    assert refusal(org, admin, target_current=AccessLevel.READ, target_new=AccessLevel.NONE, owners=1) == ""
