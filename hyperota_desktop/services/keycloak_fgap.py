"""Keycloak's fine-grained admin permissions v2 (26.2+) through the standard admin API.

Paths (Keycloak 26.x, org.keycloak.authorization.admin.PolicyService and friends):
`GET {admin}` (realm: `adminPermissionsEnabled`, `adminPermissionsClient.id`),
`{admin}/clients/{id}/authz/resource-server/policy|permission` (`POST .../{type}` creates → 201, a
duplicate name → 409; `GET .../search?name=` → 200 or 204; `PUT .../{type}/{id}` → 201;
`DELETE .../{id}` → 204), `GET {admin}/clients?clientId=`, `GET {admin}/clients/{id}/roles/{name}`,
`POST|DELETE {admin}/groups/{id}/role-mappings/clients/{client}`. All of it needs realm-management
roles a realm administrator has (view-realm, manage-authorization or manage-clients, view-clients,
and for mapping an admin role: manage-users and that role).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from hyperota_desktop.domain.errors import (
    BackendUnavailable,
    Conflict,
    MissingRight,
    NotFound,
    PermissionDenied,
)
from hyperota_desktop.services.http import ApiClient

log = logging.getLogger("hyperota.services.keycloak")
REALM_ADMIN = "a realm administrator (realm-management role realm-admin)"
MANAGE_AUTHZ = "the Keycloak role manage-authorization (realm-management)"


@dataclass(frozen=True)
class AdminPermissions:
    """Whether the realm has FGAP v2 on, and its resource server's client id when it has."""

    enabled: bool
    client_id: str = ""

    @property
    def usable(self) -> bool:
        return self.enabled and bool(self.client_id)


class KeycloakAuthz:
    def __init__(self, api: ApiClient, admin_path: str) -> None:
        self._api = api
        self._admin = admin_path

    async def _call(self, method: str, path: str, right: str, **kwargs: Any) -> Any:
        try:
            return await self._api.request(method, path, **kwargs)
        except PermissionDenied as exc:
            raise MissingRight(
                f"Keycloak refused this: it needs {right}.", right=right, granted_by=REALM_ADMIN
            ) from exc

    async def _json(self, method: str, path: str, right: str, **kwargs: Any) -> Any:
        response = await self._call(method, path, right, **kwargs)
        return response.json() if response.content else None

    # the realm --------------------------------------------------------------------------------------
    async def admin_permissions(self) -> AdminPermissions:
        """FGAP v2 state of the realm (the full realm representation needs view-realm)."""
        right = "the Keycloak role view-realm (realm-management)"
        realm = await self._json("GET", self._admin, right)
        if not isinstance(realm, dict):
            raise BackendUnavailable("Keycloak sent something other than the realm.")
        if "id" not in realm:  # RealmAdminResource.getRealm's brief answer to a caller without view-realm
            raise MissingRight(
                f"Keycloak refused this: it needs {right}.", right=right, granted_by=REALM_ADMIN
            )
        if "adminPermissionsEnabled" not in realm:
            return AdminPermissions(False)  # a Keycloak before 26.2: no admin permissions v2
        client = realm.get("adminPermissionsClient") or {}
        return AdminPermissions(bool(realm.get("adminPermissionsEnabled")), str(client.get("id") or ""))

    # policies and permissions of the admin-permissions client ----------------------------------------
    def _server(self, client: str) -> str:
        return f"{self._admin}/clients/{quote(client, safe='')}/authz/resource-server"

    async def find(self, client: str, kind: str, name: str) -> dict[str, Any] | None:
        """The policy or permission named exactly `name`, or None."""
        found = await self._json(
            "GET", f"{self._server(client)}/{kind}/search", MANAGE_AUTHZ, params={"name": name}
        )
        return found if isinstance(found, dict) and found.get("id") else None

    async def group_policy(self, client: str, policy_id: str) -> dict[str, Any]:
        return dict(await self._json("GET", f"{self._server(client)}/policy/group/{policy_id}", MANAGE_AUTHZ))

    async def create(self, client: str, kind: str, ptype: str, body: dict[str, Any]) -> str:
        try:
            made = await self._json(
                "POST", f"{self._server(client)}/{kind}/{ptype}", MANAGE_AUTHZ, json_body=body
            )
        except Conflict:
            raise Conflict(f"Keycloak already has a policy or permission named '{body['name']}'.") from None
        if not isinstance(made, dict) or not made.get("id"):
            raise BackendUnavailable(f"Keycloak created '{body['name']}' but did not say its id.")
        return str(made["id"])

    async def update(self, client: str, kind: str, ptype: str, policy_id: str, body: dict[str, Any]) -> None:
        await self._call(
            "PUT", f"{self._server(client)}/{kind}/{ptype}/{policy_id}", MANAGE_AUTHZ, json_body=body
        )

    async def delete(self, client: str, policy_id: str) -> None:
        """Delete a policy or permission; one already gone counts as deleted."""
        try:
            await self._call("DELETE", f"{self._server(client)}/policy/{policy_id}", MANAGE_AUTHZ)
        except NotFound:
            log.info("admin permission %s was already deleted", policy_id)

    # client roles on groups ----------------------------------------------------------------------------
    async def client_uuid(self, client_id: str) -> str:
        right = "the Keycloak role view-clients (realm-management)"
        found = await self._json("GET", f"{self._admin}/clients", right, params={"clientId": client_id})
        match = [c for c in found or [] if isinstance(c, dict) and c.get("clientId") == client_id]
        if not match:
            raise NotFound(f"Keycloak has no client '{client_id}' in this realm.")
        return str(match[0]["id"])

    async def client_role(self, client_uuid: str, role: str) -> dict[str, Any]:
        right = "the Keycloak role view-clients (realm-management)"
        return dict(
            await self._json("GET", f"{self._admin}/clients/{client_uuid}/roles/{quote(role)}", right)
        )

    async def map_client_roles(self, group_id: str, client_uuid: str, roles: list[dict[str, Any]]) -> None:
        right = (
            f"the Keycloak roles manage-users and {', '.join(r['name'] for r in roles)} (realm-management)"
        )
        path = f"{self._admin}/groups/{group_id}/role-mappings/clients/{client_uuid}"
        await self._call("POST", path, right, json_body=roles)
