"""Keycloak JSON representations of groups and users."""

from __future__ import annotations

from typing import Any

from .model import Group, Realm, User
from .permissions import Permissions


def group_rep(realm: Realm, group: Group, perms: Permissions | None, full: bool) -> dict[str, Any]:
    """GroupRepresentation as Keycloak 23+ returns it (subGroups not expanded: use /children)."""
    rep: dict[str, Any] = {"id": group.id, "name": group.name, "path": realm.path(group)}
    if group.parent_id is not None:
        rep["parentId"] = group.parent_id
    rep["subGroupCount"] = len(realm.children(group))
    rep["subGroups"] = []
    if full:
        rep["attributes"] = {k: list(v) for k, v in group.attributes.items()}
        rep["realmRoles"] = []
        rep["clientRoles"] = {}
    if perms is not None:
        rep["access"] = {
            "view": perms.can_view(group),
            "viewMembers": perms.can_view(group),
            "manageMembers": perms.can_manage_membership(group),
            "manage": perms.can_manage(group),
            "manageMembership": perms.can_manage_membership(group),
        }
    return rep


def user_rep(user: User, full: bool) -> dict[str, Any]:
    """UserRepresentation (brief: the fields Keycloak guarantees in `briefRepresentation`)."""
    rep: dict[str, Any] = {
        "id": user.id,
        "username": user.username,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "email": user.email,
        "emailVerified": user.email_verified,
        "createdTimestamp": user.created,
        "enabled": user.enabled,
    }
    if full:
        rep.update(
            {
                "totp": False,
                "disableableCredentialTypes": [],
                "requiredActions": [],
                "notBefore": 0,
                "access": {
                    "manageGroupMembership": True,
                    "view": True,
                    "mapRoles": False,
                    "impersonate": False,
                    "manage": False,
                },
            }
        )
    return rep
