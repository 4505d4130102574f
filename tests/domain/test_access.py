"""Access levels from group paths and the permission helper the UI uses for tooltips."""

from __future__ import annotations

from hyperota_desktop.domain.access import (
    AccessLevel,
    Action,
    identity_from_claims,
    memberships_from_paths,
)
from hyperota_desktop.domain.access import can as may


def test_org_access_is_the_highest_role() -> None:
    (org,) = memberships_from_paths(["/demo/read", "/demo/write"])
    assert org.name == "demo" and org.access is AccessLevel.WRITE and org.applications == ()


def test_app_access_is_higher_of_app_and_org_role() -> None:
    orgs = memberships_from_paths(["/demo/read", "/demo/shop/write", "/acme/owner", "/acme/web/read"])
    demo, acme = {o.name: o for o in orgs}["demo"], {o.name: o for o in orgs}["acme"]
    assert demo.app_access("shop") is AccessLevel.WRITE
    assert demo.app_access("other") is AccessLevel.READ  # org read reaches every app
    assert acme.app_access("web") is AccessLevel.ADMIN  # org owner ⇒ app admin, not owner
    assert [(a.name, a.access) for a in acme.applications] == [("web", AccessLevel.ADMIN)]


def test_app_only_membership_gives_no_org_access() -> None:
    (org,) = memberships_from_paths(["/demo/shop/admin", "/demo", "/demo/shop", "/x/y/z/w"])
    assert org.access is AccessLevel.NONE and org.app_access("shop") is AccessLevel.ADMIN


def test_escaped_slash_in_names() -> None:
    (org,) = memberships_from_paths(["/a~/b/admin"])
    assert org.name == "a/b" and org.access is AccessLevel.ADMIN


def claims(groups: list[str], roles: list[str] = ()) -> dict:
    return {
        "sub": "1",
        "preferred_username": "u",
        "email": "u@x",
        "realm_access": {"roles": list(roles)},
        "groups": groups,
    }


def test_can_explains_why_not() -> None:
    bob = identity_from_claims(claims(["/demo/read"]), ["/demo/read"])
    allowed = may(bob, Action.VIEW_APP, "demo", "shop")
    assert allowed and allowed.reason == ""
    denied = may(bob, Action.PUBLISH_PACKAGE, "demo", "shop")
    assert not denied
    assert "read access to demo/shop" in denied.reason and "write" in denied.reason
    assert "no access" in may(bob, Action.VIEW_ORG, "other").reason
    assert "Select an application" in may(bob, Action.PUBLISH_PACKAGE, "demo").reason
    assert "Sign in" in may(None, Action.VIEW_ORG, "demo").reason
    assert not may(bob, Action.CREATE_ORG)


def management(groups: list[str], rights: list[str]) -> dict:
    """Claims with realm-management client roles, as Keycloak puts them in the token."""
    return {**claims(groups), "resource_access": {"realm-management": {"roles": rights}}}


def test_owner_and_realm_admin() -> None:
    alice = identity_from_claims(
        management([], ["realm-admin", "manage-users", "view-users"]), ["/demo/owner"]
    )
    assert alice.is_realm_admin and alice.can_create_organisations
    assert may(alice, Action.DELETE_ORG, "demo") and may(alice, Action.DELETE_ORG, "elsewhere")
    assert may(alice, Action.CREATE_APP, "elsewhere")
    admin_only = identity_from_claims(claims(["/demo/admin"]), ["/demo/admin"])
    refused = may(admin_only, Action.CREATE_APP, "demo")  # stock Keycloak: FGAP misses new groups
    assert not refused and "realm administrator" in refused.reason and "keycloak#29100" in refused.reason
    assert may(admin_only, Action.MANAGE_ORG_MEMBERS, "demo")


def test_only_realm_admin_or_the_right_an_action_needs_count() -> None:
    """Issue 12.1: query-groups or view-users do not make anyone a realm admin or an owner."""
    lister = identity_from_claims(management([], ["query-groups", "query-users"]), [])
    assert not lister.is_realm_admin and not lister.can_create_organisations
    assert not may(lister, Action.VIEW_ORG, "demo") and not may(lister, Action.CREATE_ORG)
    viewer = identity_from_claims(management([], ["view-users", "query-groups", "query-users"]), [])
    assert not viewer.is_realm_admin and viewer.org_access("demo") is AccessLevel.READ
    assert may(viewer, Action.VIEW_APP, "demo", "shop") and not may(viewer, Action.MANAGE_ORG_MEMBERS, "demo")
    manager = identity_from_claims(management([], ["manage-users"]), [])
    assert manager.can_create_organisations and not manager.is_realm_admin
    assert may(manager, Action.DELETE_ORG, "demo") and may(manager, Action.CREATE_APP, "demo")
    creator = identity_from_claims(claims([], ["org-creator"]), [])  # a realm role Keycloak never had
    refused = may(creator, Action.CREATE_ORG)
    assert not refused and "manage-users" in refused.reason and "realm administrator" in refused.reason


def test_json_shape() -> None:
    who = identity_from_claims(claims([]), ["/demo/write", "/demo/shop/admin"])
    assert who.to_json() == {
        "sub": "1",
        "username": "u",
        "email": "u@x",
        "organisations": [
            {"name": "demo", "access": "write", "applications": [{"name": "shop", "access": "admin"}]}
        ],
    }
