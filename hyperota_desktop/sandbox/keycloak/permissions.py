"""Who may do what through the Admin REST API: stock Keycloak's admin roles plus FGAP v2.

Admin roles come from the `realm-management` roles in the caller's token (composites expanded, as the
token carries them). When the realm has admin permissions (FGAP v2) enabled, a caller without the role
an action needs may still be granted it by a permission (fgap.py), evaluated on the caller's current
group memberships. The role checks are those of GroupPermissions(V2) / UserPermissionsV2 /
RealmPermissions (Keycloak 26.x, services/.../resources/admin/fgap/):

| check | admin roles that pass | else FGAP scope |
|---|---|---|
| list groups (`GET /groups`) | query-groups | `view` on all groups |
| view a group | manage-users, view-users | `view` on it |
| manage a group / create a top-level one | manage-users | `manage` on it / on all groups |
| view a group's members | view-users, manage-users | `view-members` |
| add or remove members of a group | manage-users | `manage-membership` on it |
| query users (`GET /users`) | query-users | `view` on all users |
| view a user | manage-users, view-users | `view` on them |
| add/remove a user to/from groups | manage-users | `manage-group-membership` on them |
| manage the admin permissions | manage-authorization, manage-clients | (not delegated here) |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import fgap
from .model import Group, Realm, User
from .roles import REALM_MANAGEMENT
from .web import status_error

QUERY_ROLES = ("query-users", "query-groups", "query-clients")


@dataclass
class Caller:
    user: User
    claims: dict[str, Any]

    @property
    def management_roles(self) -> set[str]:
        access = self.claims.get("resource_access") or {}
        return set((access.get(REALM_MANAGEMENT) or {}).get("roles") or [])

    def has(self, *roles: str) -> bool:
        """MgmtPermissions.hasOneAdminRole (the token's roles, composites already expanded)."""
        return bool(self.management_roles & set(roles))


class Permissions:
    def __init__(self, realm: Realm, caller: Caller) -> None:
        self.realm = realm
        self.caller = caller

    @property
    def user(self) -> User:
        return self.caller.user

    def require(self, allowed: bool) -> None:
        if not allowed:
            raise status_error(403)

    # groups ---------------------------------------------------------------------------------------
    def can_list_groups(self) -> bool:
        return self.caller.has("query-groups") or self.can_view_all_groups()

    def can_view_all_groups(self) -> bool:
        return self.caller.has("manage-users", "view-users") or fgap.group_allowed(
            self.realm, self.user, None, "view"
        )

    def can_view(self, group: Group) -> bool:
        return self.caller.has("manage-users", "view-users") or fgap.group_allowed(
            self.realm, self.user, group, "view"
        )

    def can_manage_all_groups(self) -> bool:
        return self.caller.has("manage-users") or fgap.group_allowed(self.realm, self.user, None, "manage")

    def can_manage(self, group: Group) -> bool:
        return self.caller.has("manage-users") or fgap.group_allowed(self.realm, self.user, group, "manage")

    def can_view_members(self, group: Group) -> bool:
        return self.caller.has("view-users", "manage-users") or fgap.group_allowed(
            self.realm, self.user, group, "view-members"
        )

    def can_manage_members(self, group: Group) -> bool:
        return self.caller.has("manage-users") or fgap.group_allowed(
            self.realm, self.user, group, "manage-members"
        )

    def can_manage_membership(self, group: Group) -> bool:
        return self.caller.has("manage-users") or fgap.group_allowed(
            self.realm, self.user, group, "manage-membership"
        )

    def access(self, group: Group) -> dict[str, bool]:
        """GroupPermissions.getAccess: the `access` map of a group representation."""
        return {
            "view": self.can_view(group),
            "manage": self.can_manage(group),
            "manageMembership": self.can_manage_membership(group),
            "viewMembers": self.can_view_members(group),
            "manageMembers": self.can_manage_members(group),
        }

    # users ------------------------------------------------------------------------------------------
    def can_view_all_users(self) -> bool:
        return self.caller.has("manage-users", "view-users") or fgap.user_allowed(
            self.realm, self.user, None, "view"
        )

    def can_query_users(self) -> bool:
        return self.caller.has("query-users") or self.can_view_all_users()

    def can_view_user(self, user: User) -> bool:
        return self.caller.has("manage-users", "view-users") or fgap.user_allowed(
            self.realm, self.user, user, "view"
        )

    def can_manage_group_membership_of(self, user: User) -> bool:
        return self.caller.has("manage-users") or fgap.user_allowed(
            self.realm, self.user, user, "manage-group-membership"
        )

    # realm, clients, authorization ----------------------------------------------------------------------
    def can_view_realm(self) -> bool:
        return self.caller.has("view-realm", "manage-realm")

    def is_admin(self) -> bool:
        """MgmtPermissions.isAdmin: holds any realm-management role (may see the realm's name list)."""
        return bool(self.caller.management_roles)

    def can_list_clients(self) -> bool:
        return self.caller.has("query-clients", "view-clients", "manage-clients")

    def can_view_clients(self) -> bool:
        return self.caller.has("view-clients", "manage-clients")

    def can_view_authorization(self) -> bool:
        return self.caller.has("manage-authorization", "view-authorization", "manage-clients", "view-clients")

    def can_manage_authorization(self) -> bool:
        return self.caller.has("manage-authorization", "manage-clients")

    def can_map_admin_role(self, role: str) -> bool:
        """RolePermissions.canMapRole for a realm-management role: only someone holding it may give it."""
        return self.caller.has("manage-users") and self.caller.has(role)

    # list filtering (PartialEvaluator) -----------------------------------------------------------------
    def filters_lists(self) -> bool:
        """Lists are filtered when FGAP v2 is on and the caller has a query role but not view/manage-users."""
        return (
            self.realm.admin_permissions_enabled
            and not self.caller.has("view-users", "manage-users")
            and self.caller.has(*QUERY_ROLES)
        )

    def visible_groups(self, groups: list[Group]) -> list[Group]:
        if not self.filters_lists():
            return groups
        allowed, denied = fgap.partial_evaluation(self.realm, self.user, fgap.GROUPS)
        if fgap.GROUPS in allowed:
            return [g for g in groups if g.id not in denied]
        return [g for g in groups if g.id in allowed]

    def visible_users(self, users: list[User]) -> list[User]:
        if not self.filters_lists():
            return users
        allowed, denied = fgap.partial_evaluation(self.realm, self.user, fgap.USERS)
        groups_allowed, _ = fgap.partial_evaluation(self.realm, self.user, fgap.GROUPS)
        return [
            u
            for u in users
            if u.id not in denied
            and (fgap.USERS in allowed or u.id in allowed or bool(u.groups & groups_allowed))
        ]


def authorize(kc: Any, request: Any) -> Permissions:
    """The caller's permissions from a valid bearer token; 401 `HTTP 401 Unauthorized` otherwise."""
    found = kc.oidc.authenticate(request)
    if found is None:
        raise status_error(401)
    user, claims = found
    return Permissions(kc.realm, Caller(user, claims))
