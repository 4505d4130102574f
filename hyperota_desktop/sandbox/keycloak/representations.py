"""Keycloak JSON representations of groups and users."""

from __future__ import annotations

from typing import Any

from .model import Group, Realm, User
from .permissions import Permissions


def group_rep(
    realm: Realm, group: Group, perms: Permissions | None, full: bool, count: bool = True
) -> dict[str, Any]:
    """GroupRepresentation as ModelToRepresentation.toRepresentation (26.x) + GroupUtils: subGroups not
    expanded (use /children), `subGroupCount` when asked for, `access` (GroupPermissions.getAccess)."""
    rep: dict[str, Any] = {"id": group.id, "name": group.name, "path": realm.path(group)}
    if group.parent_id is not None:
        rep["parentId"] = group.parent_id
    if count:
        rep["subGroupCount"] = len(realm.children(group))
    rep["subGroups"] = []
    if full:
        rep["attributes"] = {k: list(v) for k, v in group.attributes.items()}
        rep["realmRoles"] = []
        rep["clientRoles"] = {k: sorted(v) for k, v in sorted(group.client_roles.items()) if v}
    if perms is not None:
        rep["access"] = perms.access(group)
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
