"""Delegated administration of one organisation with Keycloak's admin permissions (FGAP v2, 26.2+).

A realm administrator creating an organisation also creates (docs/keycloak-setup.md):
- group policies `hyperota org {org}: members` (the org group with its subgroups), `...: managers`
  (the owner and admin groups) and `...: owners` (the owner group);
- scope permissions on Groups: members may `view` and `view-members` every group of the organisation,
  managers may `manage` and `manage-membership` every group but the owner group, owners may manage
  the owner group;
- its owner and admin groups join the shared group policy `hyperota: organisation managers`, which
  the one permission `hyperota: organisation managers may find and add people` (all users: `view`,
  `manage-group-membership`) uses — one permission for every organisation, because Keycloak grants a
  resource only when *every* permission on it grants;
- the realm-management roles `query-groups` and `query-users` mapped to the organisation group, so its
  members (subgroups inherit role mappings) may list what the permissions let them see.
Keycloak's group permissions cover the groups they name, not groups created later (keycloak#29100),
so a new application's groups are added to the organisation's permissions, which only a realm
administrator (manage-authorization) can do.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.errors import HyperOtaError, MissingRight, NotFound
from hyperota_desktop.services.keycloak_admin import KcGroup, KeycloakAdmin
from hyperota_desktop.services.keycloak_fgap import AdminPermissions, KeycloakAuthz

log = logging.getLogger("hyperota.services.orgs")
MANAGERS_POLICY = "hyperota: organisation managers"
FIND_PEOPLE = "hyperota: organisation managers may find and add people"
QUERY_ROLES = ("query-groups", "query-users")
# What creating a delegated organisation needs besides realm-admin (packaging/keycloak/hyperota-realm.json
# bundles them as the realm role hyperota-administrator): groups and memberships, the admin permissions,
# reading the realm and the realm-management client, and holding the query roles it maps.
ORG_CREATOR_RIGHTS = ("manage-users", "manage-authorization", "view-realm", "view-clients", *QUERY_ROLES)
REALM_MANAGEMENT = "realm-management"
ENABLE = (
    "Turn on Realm settings > General > Admin Permissions (Keycloak 26.2 or later; the server feature "
    "admin-fine-grained-authz:v2 is on by default there), then run `hyperota org delegate {org}` as a "
    "realm administrator."
)
ASK_IN_WINDOW = "Ask a realm administrator to delegate it (Organisation menu → Delegate permissions…)."
ENABLE_IN_WINDOW = (
    "Turn on Realm settings > General > Admin Permissions (Keycloak 26.2 or later), then, as a realm "
    "administrator, select the organisation and choose Organisation menu → Delegate permissions…."
)
Save = Callable[[], Awaitable[None]]


def policy_names(org: str) -> dict[str, str]:
    prefix = f"hyperota org {org}"
    return {"members": f"{prefix}: members", "managers": f"{prefix}: managers", "owners": f"{prefix}: owners"}


def permission_names(org: str) -> dict[str, str]:
    prefix = f"hyperota org {org}"
    return {
        "view": f"{prefix}: members may view",
        "manage": f"{prefix}: managers may manage",
        "owners": f"{prefix}: owners may manage owners",
    }


@dataclass(frozen=True)
class OrgTree:
    org: KcGroup
    owner: str
    admin: str
    groups: tuple[str, ...]  # ids of the org group and every group below it


class DelegationUnavailable(HyperOtaError):
    """The realm cannot delegate: admin permissions are off, or the caller may not manage them."""


class OrgDelegation:
    def __init__(self, keycloak: KeycloakAdmin) -> None:
        self.kc = keycloak
        self.authz: KeycloakAuthz = keycloak.authz

    async def _client(self, org: str, doing: str = "") -> str:
        """The admin-permissions client, or DelegationUnavailable saying what to enable."""
        doing = doing or f"give the members of {org} their rights"
        try:
            state: AdminPermissions = await self.authz.admin_permissions()
        except MissingRight as exc:
            raise DelegationUnavailable(
                f"Only a realm administrator can {doing} ({exc.message})",
                hint=f"Ask a realm administrator to run `hyperota org delegate {org}`.",
                gui_hint=ASK_IN_WINDOW,
            ) from exc
        if not state.usable:
            raise DelegationUnavailable(
                f"This Keycloak realm has its admin permissions (FGAP v2) switched off, so the owners and "
                f"admins of {org} cannot manage it and its members cannot see it without realm roles.",
                hint=ENABLE.format(org=org),
                gui_hint=ENABLE_IN_WINDOW,
            )
        return state.client_id

    async def tree(self, org: str) -> OrgTree:
        group = await self.kc.group_by_path(f"/{org}")
        found: list[KcGroup] = []
        pending = [group]
        while pending:
            parent = pending.pop()
            children = await self.kc.children(parent.id)
            found += children
            pending += children
        roles = {g.name: g.id for g in found if g.parent_id == group.id}
        if "owner" not in roles or "admin" not in roles:
            raise NotFound(f"Organisation {org} lacks its owner/admin groups.")
        return OrgTree(group, roles["owner"], roles["admin"], (group.id, *(g.id for g in found)))

    # granting ----------------------------------------------------------------------------------------
    async def grant(self, org: str, record: dict[str, Any], save: Save) -> None:
        """Create or bring up to date every object of the organisation (idempotent). Objects this call
        creates are listed in `record["created"]` (saved before the next call) so they can be undone.
        A right the caller lacks (e.g. manage-authorization) becomes DelegationUnavailable."""
        try:
            await self._grant(org, record, save)
        except MissingRight as exc:
            raise DelegationUnavailable(
                f"Only a realm administrator can give the members of {org} their rights ({exc.message})",
                hint=f"Ask a realm administrator to run `hyperota org delegate {org}`.",
                gui_hint=ASK_IN_WINDOW,
            ) from exc

    async def _grant(self, org: str, record: dict[str, Any], save: Save) -> None:
        client = await self._client(org)
        tree = await self.tree(org)
        created: list[str] = record.setdefault("created", [])
        names = policy_names(org)
        groups = {
            "members": [{"id": tree.org.id, "extendChildren": True}],
            "managers": [
                {"id": tree.owner, "extendChildren": False},
                {"id": tree.admin, "extendChildren": False},
            ],
            "owners": [{"id": tree.owner, "extendChildren": False}],
        }
        ids = {}
        for key, name in names.items():
            ids[key] = await self._ensure(
                client, "policy", "group", {"name": name, "groups": groups[key]}, created, save
            )
        everyone_but_owner = [g for g in tree.groups if g != tree.owner]
        permissions = permission_names(org)
        for key, resources, scopes, policy in (
            ("view", list(tree.groups), ["view", "view-members"], ids["members"]),
            ("manage", everyone_but_owner, ["manage", "manage-membership"], ids["managers"]),
            ("owners", [tree.owner], ["manage", "manage-membership"], ids["owners"]),
        ):
            body = {
                "name": permissions[key],
                "resourceType": "Groups",
                "resources": resources,
                "scopes": scopes,
                "policies": [policy],
                "decisionStrategy": "UNANIMOUS",
            }
            await self._ensure(client, "permission", "scope", body, created, save)
        await self._join_managers(client, tree, record, save)
        await self._map_query_roles(tree)

    async def _ensure(
        self, client: str, kind: str, ptype: str, body: dict[str, Any], created: list[str], save: Save
    ) -> str:
        found = await self.authz.find(client, kind, body["name"])
        if found is not None:
            await self.authz.update(client, kind, ptype, str(found["id"]), body)
            return str(found["id"])
        made = await self.authz.create(client, kind, ptype, body)
        created.append(made)
        await save()
        return made

    async def _join_managers(self, client: str, tree: OrgTree, record: dict[str, Any], save: Save) -> None:
        """Put the owner and admin groups in the shared managers policy (noted in `record["joined"]`)."""
        created: list[str] = record["created"]
        shared = await self.authz.find(client, "policy", MANAGERS_POLICY)
        mine = [{"id": tree.owner, "extendChildren": False}, {"id": tree.admin, "extendChildren": False}]
        if shared is None:
            body = {"name": MANAGERS_POLICY, "groups": mine}
            policy = await self._ensure(client, "policy", "group", body, created, save)
        else:
            policy = str(shared["id"])
            current = await self.authz.group_policy(client, policy)
            known = {str(g.get("id")) for g in current.get("groups") or []}
            missing = [g for g in mine if g["id"] not in known]
            if missing:
                record["joined"] = [g["id"] for g in missing]
                await save()
                groups = [*(current.get("groups") or []), *missing]
                await self.authz.update(client, "policy", "group", policy, {**current, "groups": groups})
        if await self.authz.find(client, "permission", FIND_PEOPLE) is None:
            body = {
                "name": FIND_PEOPLE,
                "resourceType": "Users",
                "scopes": ["view", "manage-group-membership"],
                "policies": [policy],
                "decisionStrategy": "UNANIMOUS",
            }
            await self._ensure(client, "permission", "scope", body, created, save)

    async def _map_query_roles(self, tree: OrgTree) -> None:
        management = await self.authz.client_uuid(REALM_MANAGEMENT)
        roles = [await self.authz.client_role(management, name) for name in QUERY_ROLES]
        await self.authz.map_client_roles(tree.org.id, management, roles)

    # undoing -------------------------------------------------------------------------------------------
    async def undo(self, org: str, record: dict[str, Any]) -> None:
        """Compensation of `grant`: delete what it created and take out of the shared policy the groups
        it put there; objects that existed before are left as they were."""
        if not record.get("created") and not record.get("joined"):
            return
        client = await self._client(org)
        for policy_id in reversed(record.get("created", [])):
            await self.authz.delete(client, policy_id)
        await self._leave_managers(client, set(record.get("joined", [])))

    async def _leave_managers(self, client: str, group_ids: set[str]) -> None:
        shared = await self.authz.find(client, "policy", MANAGERS_POLICY) if group_ids else None
        if shared is None:
            return
        current = await self.authz.group_policy(client, str(shared["id"]))
        groups = [g for g in current.get("groups") or [] if str(g.get("id")) not in group_ids]
        if len(groups) != len(current.get("groups") or []):
            await self.authz.update(
                client, "policy", "group", str(shared["id"]), {**current, "groups": groups}
            )

    async def remove(self, org: str, managers: set[str]) -> None:
        """Remove the organisation's objects (its groups are gone or going) and its owner/admin groups
        (`managers`) from the shared policy. Keycloak itself drops deleted groups from permissions."""
        client = await self._client(org, f"remove the admin permissions of {org}")
        for name in (*permission_names(org).values(), *policy_names(org).values()):
            found = await self.authz.find(client, "policy", name)
            if found is not None:
                await self.authz.delete(client, str(found["id"]))
        await self._leave_managers(client, managers)
