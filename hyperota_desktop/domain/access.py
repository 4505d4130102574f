"""Who the signed-in person is and what they may do: access levels per organisation and application.

Keycloak models organisations and applications as groups with role subgroups (see keycloak.md):
`/{org}/owner|admin|write|read` and `/{org}/{app}/admin|write|read`. A person's access to an org is the
highest role subgroup they belong to; app access is the higher of their app role and their org role,
with org owner/admin giving app admin. The UI uses `can()` to enable actions and to say why not; the
backends still enforce their own rules (this gate is convenience, not security).

Realm-wide rights are stock Keycloak's realm-management roles, and count only for what they let one do:
`realm-admin` is owner of everything, `manage-users` manages every group and membership (so it creates
organisations and acts as their owner), `view-users` views every group and member (reader of every
organisation). `query-groups` / `query-users` only let a person list what they may see anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

ORG_ROLES = ("owner", "admin", "write", "read")
APP_ROLES = ("admin", "write", "read")
REALM_ADMIN_ROLE = "realm-admin"
MANAGE_USERS = "manage-users"
VIEW_USERS = "view-users"
REALM_ADMINISTRATOR = "a realm administrator"
APP_NEEDS_REALM_ADMIN = (
    "Only a realm administrator can create applications in {org}: an application is a group with its "
    "own role groups, and Keycloak's admin permissions do not reach groups created after them "
    "(keycloak#29100), so a realm administrator must create it (or give you the roles manage-users "
    "and manage-authorization). You can manage its members afterwards."
)


class AccessLevel(IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2
    ADMIN = 3
    OWNER = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_role(cls, role: str) -> AccessLevel | None:
        return {"owner": cls.OWNER, "admin": cls.ADMIN, "write": cls.WRITE, "read": cls.READ}.get(role)


def app_level_from_org(org: AccessLevel) -> AccessLevel:
    """What an org role grants on every application of the org (owner/admin ⇒ app admin)."""
    return AccessLevel.ADMIN if org >= AccessLevel.ADMIN else org


@dataclass(frozen=True)
class AppAccess:
    name: str
    access: AccessLevel


@dataclass(frozen=True)
class OrgAccess:
    name: str
    access: AccessLevel  # NONE when the person only has roles on some of its applications
    applications: tuple[AppAccess, ...] = ()

    def app_access(self, app: str) -> AccessLevel:
        explicit = next((a.access for a in self.applications if a.name == app), AccessLevel.NONE)
        return max(explicit, app_level_from_org(self.access))


@dataclass(frozen=True)
class Identity:
    sub: str
    username: str
    email: str
    organisations: tuple[OrgAccess, ...] = ()
    is_realm_admin: bool = False
    can_create_organisations: bool = False
    realm_roles: frozenset[str] = field(default_factory=frozenset)
    realm_rights: frozenset[str] = field(default_factory=frozenset)  # realm-management roles

    @property
    def realm_level(self) -> AccessLevel:
        """What the realm-management roles alone grant in every organisation."""
        return realm_level(self.realm_rights)

    def org(self, name: str) -> OrgAccess | None:
        return next((o for o in self.organisations if o.name == name), None)

    def org_access(self, org: str) -> AccessLevel:
        found = self.org(org)
        return max(found.access if found else AccessLevel.NONE, self.realm_level)

    def app_access(self, org: str, app: str) -> AccessLevel:
        found = self.org(org)
        return max(found.app_access(app) if found else AccessLevel.NONE, app_level_from_org(self.realm_level))

    def display_name(self) -> str:
        return self.username or self.email or self.sub

    def to_json(self) -> dict[str, Any]:
        """The `hyperota whoami --json` shape."""
        return {
            "sub": self.sub,
            "username": self.username,
            "email": self.email,
            "organisations": [
                {
                    "name": org.name,
                    "access": org.access.label,
                    "applications": [{"name": a.name, "access": a.access.label} for a in org.applications],
                }
                for org in self.organisations
            ],
        }


def _split_path(path: str) -> list[str]:
    """Group path segments; Keycloak escapes a '/' inside a name as '~/'."""
    parts: list[str] = []
    current = ""
    raw = path.strip()
    if raw.startswith("/"):
        raw = raw[1:]
    i = 0
    while i < len(raw):
        if raw.startswith("~/", i):
            current += "/"
            i += 2
        elif raw[i] == "/":
            parts.append(current)
            current = ""
            i += 1
        else:
            current += raw[i]
            i += 1
    if current:
        parts.append(current)
    return [p for p in parts if p]


def memberships_from_paths(paths: Iterable[str]) -> tuple[OrgAccess, ...]:
    """Organisations and applications with access levels from group paths (`/demo/write`, ...).

    Paths that are not role subgroups (the org or app group itself, deeper groups) grant nothing.
    Applications are listed when the person has an explicit role on them; their access includes what
    the org role grants.
    """
    org_levels: dict[str, AccessLevel] = {}
    app_levels: dict[str, dict[str, AccessLevel]] = {}
    for path in paths:
        parts = _split_path(path)
        if len(parts) == 2 and (level := AccessLevel.from_role(parts[1])) is not None:
            org_levels[parts[0]] = max(org_levels.get(parts[0], AccessLevel.NONE), level)
        elif len(parts) == 3 and parts[2] in APP_ROLES:
            org, app, role = parts
            level = AccessLevel.from_role(role) or AccessLevel.NONE
            apps = app_levels.setdefault(org, {})
            apps[app] = max(apps.get(app, AccessLevel.NONE), level)
    result = []
    for org in sorted(set(org_levels) | set(app_levels)):
        org_level = org_levels.get(org, AccessLevel.NONE)
        listed = tuple(
            AppAccess(app, max(level, app_level_from_org(org_level)))
            for app, level in sorted(app_levels.get(org, {}).items())
        )
        result.append(OrgAccess(org, org_level, listed))
    return tuple(result)


def _roles(claims: dict[str, Any]) -> frozenset[str]:
    realm = claims.get("realm_access")
    roles = realm.get("roles", []) if isinstance(realm, dict) else []
    return frozenset(r for r in roles if isinstance(r, str))


def _client_roles(claims: dict[str, Any], client: str) -> frozenset[str]:
    access = claims.get("resource_access")
    entry = access.get(client) if isinstance(access, dict) else None
    roles = entry.get("roles", []) if isinstance(entry, dict) else []
    return frozenset(r for r in roles if isinstance(r, str))


def groups_claim(claims: dict[str, Any]) -> list[str] | None:
    """The `groups` claim, or None when the token has none (no group-membership mapper)."""
    groups = claims.get("groups")
    if not isinstance(groups, list):
        return None
    return [g for g in groups if isinstance(g, str)]


def realm_level(rights: Iterable[str]) -> AccessLevel:
    """The level realm-management roles give in every organisation (stock Keycloak's meaning)."""
    held = set(rights)
    if REALM_ADMIN_ROLE in held or MANAGE_USERS in held:
        return AccessLevel.OWNER
    if VIEW_USERS in held:
        return AccessLevel.READ
    return AccessLevel.NONE


def identity_from_claims(claims: dict[str, Any], group_paths: Iterable[str]) -> Identity:
    """Identity from access-token claims and the person's group paths (from the claim or Account API)."""
    rights = _client_roles(claims, "realm-management")
    return Identity(
        sub=str(claims.get("sub", "")),
        username=str(claims.get("preferred_username", "")),
        email=str(claims.get("email", "")),
        organisations=memberships_from_paths(group_paths),
        is_realm_admin=REALM_ADMIN_ROLE in rights,
        can_create_organisations=REALM_ADMIN_ROLE in rights or MANAGE_USERS in rights,
        realm_roles=_roles(claims),
        realm_rights=rights,
    )


class Scope(StrEnum):
    REALM = "realm"
    ORG = "organisation"
    APP = "application"


class Action(StrEnum):
    """Things the UI offers, each needing a level on an organisation or application."""

    VIEW_APP = "view the application"
    PUBLISH_PACKAGE = "publish packages"
    TAG_PACKAGE = "move package tags"
    CREATE_RELEASE = "create releases"
    CHANGE_RELEASE = "ramp, pause or conclude releases"
    EDIT_DIMENSIONS = "edit dimensions"
    CHANGE_APP_SETTINGS = "change the application's settings"
    MANAGE_APP_MEMBERS = "manage the application's members"
    DELETE_APP = "delete the application"
    MIGRATE_WORKSPACE = "repair the application's workspace"
    VIEW_ORG = "view the organisation"
    CREATE_APP = "create applications"
    MANAGE_ORG_MEMBERS = "manage the organisation's members"
    DELETE_ORG = "delete the organisation"
    CREATE_ORG = "create organisations"

    @property
    def requirement(self) -> tuple[Scope, AccessLevel]:
        return _REQUIREMENTS[self]


_REQUIREMENTS: dict[Action, tuple[Scope, AccessLevel]] = {
    Action.VIEW_APP: (Scope.APP, AccessLevel.READ),
    Action.PUBLISH_PACKAGE: (Scope.APP, AccessLevel.WRITE),
    Action.TAG_PACKAGE: (Scope.APP, AccessLevel.WRITE),
    Action.CREATE_RELEASE: (Scope.APP, AccessLevel.WRITE),
    Action.CHANGE_RELEASE: (Scope.APP, AccessLevel.WRITE),
    Action.EDIT_DIMENSIONS: (Scope.APP, AccessLevel.ADMIN),
    Action.CHANGE_APP_SETTINGS: (Scope.APP, AccessLevel.ADMIN),
    Action.MANAGE_APP_MEMBERS: (Scope.APP, AccessLevel.ADMIN),
    Action.DELETE_APP: (Scope.APP, AccessLevel.ADMIN),
    Action.MIGRATE_WORKSPACE: (Scope.APP, AccessLevel.ADMIN),
    Action.VIEW_ORG: (Scope.ORG, AccessLevel.READ),
    Action.CREATE_APP: (Scope.ORG, AccessLevel.ADMIN),
    Action.MANAGE_ORG_MEMBERS: (Scope.ORG, AccessLevel.ADMIN),
    Action.DELETE_ORG: (Scope.ORG, AccessLevel.OWNER),
    Action.CREATE_ORG: (Scope.REALM, AccessLevel.NONE),
}


@dataclass(frozen=True)
class Permission:
    allowed: bool
    reason: str = ""  # why not, in words for a tooltip (empty when allowed)
    right: str = ""  # refused for a realm role Keycloak itself requires: which one (MissingRight)

    def __bool__(self) -> bool:
        return self.allowed


def can(identity: Identity | None, action: Action, org: str = "", app: str = "") -> Permission:
    """May this person do `action` on `org`/`app`? If not, the reason, worded for a tooltip."""
    if identity is None:
        return Permission(False, f"Sign in to {action.value}.")
    scope, needed = action.requirement
    if scope is Scope.REALM:
        if identity.can_create_organisations:
            return Permission(True)
        return Permission(
            False,
            f"You cannot {action.value}: Keycloak lets only holders of the role {MANAGE_USERS} "
            f"(realm-management) create them. Ask {REALM_ADMINISTRATOR} to create it or to grant the role.",
            right=f"the Keycloak role {MANAGE_USERS} (realm-management)",
        )
    if not org:
        return Permission(False, f"Select an organisation to {action.value}.")
    if scope is Scope.APP:
        if not app:
            return Permission(False, f"Select an application to {action.value}.")
        have = identity.app_access(org, app)
        where = f"{org}/{app}"
    else:
        have = identity.org_access(org)
        where = org
    if have >= needed and action is Action.CREATE_APP and not identity.can_create_organisations:
        return Permission(
            False,
            APP_NEEDS_REALM_ADMIN.format(org=org),
            right="the Keycloak roles manage-users and manage-authorization (realm-management)",
        )
    if have >= needed:
        return Permission(True)
    if have is AccessLevel.NONE:
        return Permission(False, f"You have no access to {where}; ask an admin of {org} to add you.")
    return Permission(
        False,
        f"You have {have.label} access to {where}; to {action.value} you need {needed.label} access. "
        f"Ask an admin of {org}.",
    )
