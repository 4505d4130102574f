"""Fine-grained admin permissions v2 (Keycloak 26.2+): policies, scope permissions and their evaluation.

Read from Keycloak's source (main, 2025-2026; files under services/.../resources/admin/fgap/ and
server-spi-private/.../authorization/fgap/):
- AdminPermissionsSchema.java: the resource types and their scopes; Users scopes are also granted by the
  Groups "...-members" scopes of the groups a user belongs to (scope aliases).
- GroupPermissionsV2 / UserPermissionsV2: the admin roles (`manage-users`, `view-users`, ...) bypass
  permissions; otherwise a check evaluates the permissions of that one resource, falling back to the
  permissions of the whole resource type. Group permissions are NOT inherited by subgroups (only the
  "-members" aliases walk the user's group ancestry: UserResourceTypePolicyEvaluator); Keycloak issue
  #29100 (open) asks for inheritance.
- FGAPEvaluation: a deny from a permission on the specific resource (or on one of the user's groups)
  wins; a permission for all resources of the type is used only when no specific one exists.
- GroupPolicyProvider: a group policy grants when the caller is a direct member of a listed group, or
  a member of it or any subgroup with `extendChildren`; evaluated on current memberships.
- PartialEvaluator: list queries of a caller who holds a `query-*` role (and not `view-users` /
  `manage-users`) are filtered to the resources of permissions whose policies name the caller.
Only `group` and `user` policies and `scope` permissions are emulated.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Group, Realm, User

GROUPS, USERS, CLIENTS, ROLES = "Groups", "Users", "Clients", "Roles"
SCOPES: dict[str, frozenset[str]] = {
    CLIENTS: frozenset({"manage", "map-roles", "map-roles-client-scope", "map-roles-composite", "view"}),
    GROUPS: frozenset(
        {
            "manage",
            "view",
            "manage-membership",
            "manage-membership-of-members",
            "manage-members",
            "view-members",
            "impersonate-members",
        }
    ),
    ROLES: frozenset({"map-role", "map-role-client-scope", "map-role-composite"}),
    USERS: frozenset(
        {"manage", "view", "impersonate", "map-roles", "manage-group-membership", "reset-password"}
    ),
}
USER_SCOPE_ALIASES = {  # AdminPermissionsSchema.USERS: Users scope -> the Groups scope that also grants it
    "view": "view-members",
    "manage": "manage-members",
    "impersonate": "impersonate-members",
    "manage-group-membership": "manage-membership-of-members",
}
POLICY_TYPES = ("group", "user")
STRATEGIES = ("UNANIMOUS", "AFFIRMATIVE", "CONSENSUS")


@dataclass
class Policy:
    """A policy (`group`, `user`) or a scope permission (`scope`) of the admin-permissions client."""

    id: str
    name: str
    type: str
    description: str = ""
    logic: str = "POSITIVE"
    decision_strategy: str = "UNANIMOUS"
    groups: list[dict[str, Any]] = field(default_factory=list)  # [{"id", "extendChildren"}]
    users: list[str] = field(default_factory=list)
    resource_type: str = ""
    resources: list[str] = field(default_factory=list)  # model ids; empty = every resource of the type
    scopes: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)  # associated policy ids

    @property
    def is_permission(self) -> bool:
        return self.type == "scope"


@dataclass
class AuthzStore:
    policies: dict[str, Policy] = field(default_factory=dict)

    def by_name(self, name: str) -> Policy | None:
        return next((p for p in self.policies.values() if p.name == name), None)

    def add(self, policy: Policy) -> Policy:
        self.policies[policy.id] = policy
        return policy

    def new_id(self) -> str:
        return str(uuid.uuid4())

    def permissions(self, resource_type: str, scope: str) -> list[Policy]:
        return [
            p
            for p in self.policies.values()
            if p.is_permission and p.resource_type == resource_type and scope in p.scopes
        ]

    def forget_resource(self, model_id: str) -> None:
        """A group/user was deleted: AdminPermissionsSchema.removeResourceObject drops it from every
        permission, deleting a permission whose only resource it was."""
        for permission in [p for p in self.policies.values() if p.is_permission and model_id in p.resources]:
            if len(permission.resources) == 1:
                del self.policies[permission.id]
            else:
                permission.resources.remove(model_id)

    def delete(self, policy_id: str) -> None:
        self.policies.pop(policy_id, None)
        for other in self.policies.values():
            if policy_id in other.policies:
                other.policies.remove(policy_id)


# -- evaluation -------------------------------------------------------------------------------------------
def _is_member(realm: Realm, user: User, group: Group, extend: bool) -> bool:
    if not extend:
        return group.id in user.groups
    for group_id in user.groups:
        mine = realm.groups.get(group_id)
        if mine is not None and group in realm.ancestry(mine):
            return True
    return False


def policy_grants(realm: Realm, policy: Policy, user: User) -> bool:
    granted = False
    if policy.type == "group":
        for definition in policy.groups:
            group = realm.groups.get(str(definition.get("id")))
            if group is not None and _is_member(realm, user, group, bool(definition.get("extendChildren"))):
                granted = True
                break
    elif policy.type == "user":
        granted = user.id in policy.users
    return granted if policy.logic != "NEGATIVE" else not granted


def permission_grants(realm: Realm, store: AuthzStore, permission: Policy, user: User) -> bool:
    votes = [
        policy_grants(realm, store.policies[p], user) for p in permission.policies if p in store.policies
    ]
    if not votes:
        return False  # a permission without policies grants nothing
    if permission.decision_strategy == "AFFIRMATIVE":
        granted = any(votes)
    elif permission.decision_strategy == "CONSENSUS":
        granted = votes.count(True) > votes.count(False)
    else:
        granted = all(votes)
    return granted if permission.logic != "NEGATIVE" else not granted


def _all_grant(realm: Realm, store: AuthzStore, permissions: list[Policy], user: User) -> bool:
    return bool(permissions) and all(permission_grants(realm, store, p, user) for p in permissions)


def group_allowed(realm: Realm, caller: User, group: Group | None, scope: str) -> bool:
    """GroupPermissionsV2's evaluation for one group (or, with None, for all groups)."""
    if not realm.admin_permissions_enabled:
        return False
    store = realm.authz
    permissions = store.permissions(GROUPS, scope)
    if group is not None:
        specific = [p for p in permissions if group.id in p.resources]
        if specific:
            return _all_grant(realm, store, specific, caller)
    return _all_grant(realm, store, [p for p in permissions if not p.resources], caller)


def _group_derived(realm: Realm, target: User, alias: str) -> list[Policy]:
    """Group permissions reaching `target` through its groups (UserResourceTypePolicyEvaluator): those
    of each direct group, then of its ancestors for scopes the direct group does not already cover."""
    store = realm.authz
    found: list[Policy] = []
    for group_id in target.groups:
        direct = realm.groups.get(group_id)
        if direct is None:
            continue
        own = [p for p in store.policies.values() if p.is_permission and direct.id in p.resources]
        covered = {s for p in own for s in p.scopes}
        found += [p for p in own if alias in p.scopes]
        for ancestor in realm.ancestry(direct)[1:]:
            found += [
                p
                for p in store.policies.values()
                if p.is_permission
                and ancestor.id in p.resources
                and alias in p.scopes
                and any(s not in covered for s in p.scopes)
            ]
    return found


def user_allowed(realm: Realm, caller: User, target: User | None, scope: str) -> bool:
    """UserPermissionsV2's evaluation for one user (or, with None, for all users)."""
    if not realm.admin_permissions_enabled:
        return False
    store = realm.authz
    typed = [p for p in store.permissions(USERS, scope) if not p.resources]
    if target is None:
        return _all_grant(realm, store, typed, caller)
    specific = [p for p in store.permissions(USERS, scope) if target.id in p.resources]
    alias = USER_SCOPE_ALIASES.get(scope)
    derived = _group_derived(realm, target, alias) if alias else []
    votes = [(p, permission_grants(realm, store, p, caller)) for p in specific + derived]
    if any(not granted for _, granted in votes):
        return False  # a deny on the user or on one of its groups wins
    if any(granted for p, granted in votes if p in specific):
        return True
    typed_votes = [permission_grants(realm, store, p, caller) for p in typed]
    if typed_votes and not all(typed_votes):
        return False
    return any(typed_votes) or any(granted for _, granted in votes)


# -- partial evaluation (list filtering) ---------------------------------------------------------------
def _policy_names_caller(realm: Realm, policy: Policy, user: User) -> bool:
    """GroupPolicyProvider/UserPolicyProvider.getPermissions: the policy references the caller (one of
    their groups or an ancestor, or the caller themself)."""
    if policy.type == "user":
        return user.id in policy.users
    mine = {g.id for gid in user.groups if gid in realm.groups for g in realm.ancestry(realm.groups[gid])}
    return any(str(d.get("id")) in mine for d in policy.groups)


def _partial_outcome(realm: Realm, policy: Policy, user: User) -> str:
    """GRANT / DENY / SKIP as GroupPolicyProvider.evaluateOutcome (a direct-member definition the
    caller does not match is SKIP, not DENY)."""
    if policy.type == "user":
        outcome = "GRANT" if user.id in policy.users else "DENY"
    else:
        outcome, skipped = "DENY", False
        for definition in policy.groups:
            group = realm.groups.get(str(definition.get("id")))
            if group is None:
                continue
            extend = bool(definition.get("extendChildren"))
            if _is_member(realm, user, group, extend):
                outcome = "GRANT"
                break
            skipped = skipped or not extend
        if outcome == "DENY" and skipped:
            return "SKIP"
    if policy.logic == "NEGATIVE" and outcome != "SKIP":
        outcome = "DENY" if outcome == "GRANT" else "GRANT"
    return outcome


def partial_evaluation(realm: Realm, user: User, resource_type: str) -> tuple[set[str], set[str]]:
    """(allowed, denied) resource ids (the type name stands for "all") for list filtering."""
    store = realm.authz
    allowed: set[str] = set()
    denied: set[str] = set()
    for permission in store.policies.values():
        if not permission.is_permission or permission.resource_type != resource_type:
            continue
        policies = [store.policies[p] for p in permission.policies if p in store.policies]
        if not any(_policy_names_caller(realm, p, user) for p in policies):
            continue
        ids = set(permission.resources) or {resource_type}
        for policy in policies:
            outcome = _partial_outcome(realm, policy, user)
            if outcome == "GRANT":
                allowed |= ids
            elif outcome == "DENY":
                denied |= ids
    return allowed - denied, denied
