"""Realm-management client roles, their composites, and a user's effective roles.

Keycloak creates these roles in every realm's `realm-management` client (RealmManager
.setupRealmAdminManagement / AdminRoles.java, 26.x): `realm-admin` is a composite of all of them,
`view-users` of `query-users` + `query-groups`, `view-clients` of `query-clients`. A user's roles are
their own mappings plus the mappings of every group they belong to and of those groups' parents
(subgroups inherit their parents' role mappings), expanded through composites. Tokens carry the
expanded set (`resource_access`), and for tokens of an ordinary client like ours the admin REST API
checks the roles in the token (MgmtPermissions uses a KeycloakIdentity built from the token).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Realm, User

REALM_MANAGEMENT = "realm-management"
ADMIN_PERMISSIONS = "admin-permissions"  # Constants.ADMIN_PERMISSIONS_CLIENT_ID (FGAP v2 resource server)

MANAGEMENT_ROLES = (
    "create-client",
    "impersonation",
    "manage-authorization",
    "manage-clients",
    "manage-events",
    "manage-identity-providers",
    "manage-realm",
    "manage-users",
    "query-clients",
    "query-groups",
    "query-realms",
    "query-users",
    "view-authorization",
    "view-clients",
    "view-events",
    "view-identity-providers",
    "view-realm",
    "view-users",
)
COMPOSITES: dict[str, dict[str, tuple[str, ...]]] = {
    REALM_MANAGEMENT: {
        "realm-admin": MANAGEMENT_ROLES,
        "view-users": ("query-users", "query-groups"),
        "view-clients": ("query-clients",),
    },
    "account": {"manage-account": ("manage-account-links",)},
}


def client_roles(client_id: str) -> tuple[str, ...]:
    """Every role the emulator defines on a client (realm-management: the admin roles)."""
    if client_id == REALM_MANAGEMENT:
        return (*MANAGEMENT_ROLES, "realm-admin")
    return ()


def expand(client_id: str, roles: set[str]) -> set[str]:
    """`roles` with every composite expanded (transitively)."""
    result = set(roles)
    pending = list(roles)
    composites = COMPOSITES.get(client_id, {})
    while pending:
        for child in composites.get(pending.pop(), ()):
            if child not in result:
                result.add(child)
                pending.append(child)
    return result


def effective_client_roles(realm: Realm, user: User) -> dict[str, set[str]]:
    """Client roles of `user`: direct, from groups and their ancestors, composites expanded."""
    found: dict[str, set[str]] = {k: set(v) for k, v in user.client_roles.items()}
    for group_id in user.groups:
        group = realm.groups.get(group_id)
        if group is None:
            continue
        for ancestor in realm.ancestry(group):
            for client_id, names in ancestor.client_roles.items():
                found.setdefault(client_id, set()).update(names)
    return {client_id: expand(client_id, names) for client_id, names in found.items() if names}
