"""Who may do what through the Admin REST API (see the package docstring for the rules).

Realm-wide rights come from the realm-management client roles in the caller's token, as Keycloak
evaluates them. Organisation rights model Keycloak fine-grained group permissions: they are evaluated
against the caller's *current* memberships (a group policy), so a new owner gains rights immediately.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import Group, Realm, User
from .web import status_error

MANAGERS = ("owner", "admin")


@dataclass
class Caller:
    user: User
    claims: dict[str, Any]

    @property
    def management_roles(self) -> set[str]:
        access = self.claims.get("resource_access") or {}
        return set((access.get("realm-management") or {}).get("roles") or [])

    @property
    def realm_roles(self) -> set[str]:
        return set((self.claims.get("realm_access") or {}).get("roles") or [])

    @property
    def realm_admin(self) -> bool:
        return "realm-admin" in self.management_roles

    def has(self, *roles: str) -> bool:
        return self.realm_admin or bool(self.management_roles & set(roles))


class Permissions:
    def __init__(self, realm: Realm, caller: Caller) -> None:
        self.realm = realm
        self.caller = caller

    # organisation rights ---------------------------------------------------------------------------
    def _role_in(self, top: Group) -> str | None:
        """'owner' / 'admin' if the caller manages organisation `top` (creator counts as owner)."""
        if top.created_by == self.caller.user.id:
            return "owner"
        for role in MANAGERS:
            sub = self.realm.sibling_named(top.id, role)
            if sub is not None and sub.id in self.caller.user.groups:
                return role
        return None

    def managed_tops(self) -> list[Group]:
        return [g for g in self.realm.children(None) if self._role_in(g) is not None]

    def org_manager(self) -> bool:
        return bool(self.managed_tops())

    # groups ---------------------------------------------------------------------------------------
    def can_view(self, group: Group) -> bool:
        return (
            self.caller.has("view-users", "manage-users")
            or self._role_in(self.realm.top_level(group)) is not None
        )

    def can_manage(self, group: Group) -> bool:
        return self.caller.has("manage-users") or self._role_in(self.realm.top_level(group)) is not None

    def can_delete(self, group: Group) -> bool:
        if group.parent_id is None:
            return self.caller.has("manage-users") or self._role_in(group) == "owner"
        return self.can_manage(group)

    def can_manage_membership(self, group: Group) -> bool:
        if self.caller.has("manage-users"):
            return True
        role = self._role_in(self.realm.top_level(group))
        if role is None:
            return False
        is_owner_group = group.name == "owner" and group.parent_id == self.realm.top_level(group).id
        return role == "owner" or not is_owner_group

    def require(self, allowed: bool) -> None:
        if not allowed:
            raise status_error(403)

    def can_list_groups(self) -> bool:
        return self.caller.has("view-users", "manage-users", "query-groups") or self.org_manager()

    def sees_all_groups(self) -> bool:
        return self.caller.has("view-users", "manage-users", "query-groups")

    def can_create_top_level(self) -> bool:
        return self.caller.has("manage-users") or "org-creator" in self.caller.realm_roles

    # users ------------------------------------------------------------------------------------------
    def can_query_users(self) -> bool:
        return self.caller.has("view-users", "manage-users", "query-users") or self.org_manager()

    def can_view_users(self) -> bool:
        return self.caller.has("view-users", "manage-users") or self.org_manager()


def authorize(kc: Any, request: Any) -> Permissions:
    """The caller's permissions from a valid bearer token; 401 `HTTP 401 Unauthorized` otherwise."""
    found = kc.oidc.authenticate(request)
    if found is None:
        raise status_error(401)
    user, claims = found
    return Permissions(kc.realm, Caller(user, claims))
