"""Typed client of the Keycloak Admin REST subset we use (keycloak.md), with the user's own token.

Every admin listing pages with `first`/`max` until a short page: Keycloak never says how many there
are. The Account API's group list is not paged (AccountRestService.groupMemberships, 26.x) and is read
in one request. Raw JSON stays in here; callers get `KcGroup` / `KcUser`. A 403 becomes `MissingRight`
naming the right that call needs and who can grant it (stock Keycloak: admin roles of the
realm-management client, or an organisation's delegated admin permissions; see org_delegation.py).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hyperota_desktop.domain.errors import (
    BackendUnavailable,
    HyperOtaError,
    MissingRight,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from hyperota_desktop.services.http import ApiClient, TokenSource
from hyperota_desktop.services.keycloak_fgap import REALM_ADMIN, KeycloakAuthz

log = logging.getLogger("hyperota.services.keycloak")
PAGE = 100
REALM_MANAGEMENT = "realm-management"
ORG_MANAGER = "an owner or admin of the organisation"
ORG_VIEW = (
    "membership of the organisation (its admin permissions let members view it; listing needs the "
    "role query-groups, which the organisation group gives its members)"
)


@dataclass(frozen=True)
class Right:
    """What a call needs, in words, and who can grant it."""

    needs: str
    granted_by: str = REALM_ADMIN


@dataclass(frozen=True)
class KcGroup:
    id: str
    name: str
    path: str
    parent_id: str | None = None
    sub_group_count: int = 0
    attributes: dict[str, list[str]] = field(default_factory=dict)

    def attribute(self, key: str) -> str:
        values = self.attributes.get(key) or []
        return values[0] if values else ""


@dataclass(frozen=True)
class KcUser:
    id: str
    username: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    enabled: bool = True

    @property
    def display(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return f"{self.username} ({full})" if full else self.username


def _group(data: Any) -> KcGroup:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise BackendUnavailable("Keycloak sent a group without an id.")
    attrs = data.get("attributes") or {}
    return KcGroup(
        id=data["id"],
        name=str(data.get("name", "")),
        path=str(data.get("path", "")),
        parent_id=data.get("parentId"),
        sub_group_count=int(data.get("subGroupCount") or 0),
        attributes={str(k): [str(v) for v in vs] for k, vs in attrs.items() if isinstance(vs, list)},
    )


def _user(data: Any) -> KcUser:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise BackendUnavailable("Keycloak sent a user without an id.")
    return KcUser(
        id=data["id"],
        username=str(data.get("username", "")),
        email=str(data.get("email") or ""),
        first_name=str(data.get("firstName") or ""),
        last_name=str(data.get("lastName") or ""),
        enabled=bool(data.get("enabled", True)),
    )


def _id_from_location(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]


def token_claims(token: str) -> dict[str, Any]:
    """The (unverified) payload of our own access token: used only to shape the UI, never to trust."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


class KeycloakAdmin:
    """Admin REST (`{base}/admin/realms/{realm}`) and Account API (`{issuer}/account`) of one realm."""

    def __init__(
        self, base_url: str, realm: str, tokens: TokenSource, *, api: ApiClient | None = None
    ) -> None:
        self._tokens = tokens
        self._api = api or ApiClient(base_url, service="Keycloak", tokens=tokens)
        self._admin = f"/admin/realms/{quote(realm, safe='')}"
        self._account = f"/realms/{quote(realm, safe='')}/account"

    async def aclose(self) -> None:
        await self._api.aclose()

    @property
    def authz(self) -> KeycloakAuthz:
        """The realm's admin permissions (FGAP v2) API, on the same connection."""
        return KeycloakAuthz(self._api, self._admin)

    @staticmethod
    def _refused(right: Right, exc: PermissionDenied) -> MissingRight:
        return MissingRight(
            f"Keycloak refused this: it needs {right.needs}.", right=right.needs, granted_by=right.granted_by
        )

    async def _json(self, method: str, path: str, right: Right, **kwargs: Any) -> Any:
        try:
            return await self._api.json(method, path, **kwargs)
        except PermissionDenied as exc:
            raise self._refused(right, exc) from exc

    async def _paged(
        self, path: str, right: Right, params: dict[str, Any] | None = None
    ) -> AsyncIterator[Any]:
        first = 0
        while True:
            page = await self._json(
                "GET", path, right, params={**(params or {}), "first": first, "max": PAGE}
            )
            if not isinstance(page, list):
                raise BackendUnavailable(f"Keycloak sent something other than a list for {path}.")
            for item in page:
                yield item
            if len(page) < PAGE:
                return
            first += PAGE

    # -- identity -----------------------------------------------------------------------------------
    async def claims(self) -> dict[str, Any]:
        return token_claims(await self._tokens.access_token())

    async def realm_rights(self) -> frozenset[str]:
        """The realm-management roles in the caller's token (composites already expanded by Keycloak)."""
        claims = await self.claims()
        roles = ((claims.get("resource_access") or {}).get(REALM_MANAGEMENT) or {}).get("roles") or []
        return frozenset(r for r in roles if isinstance(r, str))

    async def is_realm_admin(self) -> bool:
        """Only `realm-admin` makes a realm administrator; `view-users` or `query-groups` do not."""
        return "realm-admin" in await self.realm_rights()

    async def me(self) -> KcUser:
        data = await self._json("GET", self._account, Right("a valid sign-in (Account API)"))
        return _user(data)

    async def my_groups(self) -> list[KcGroup]:
        """The caller's own group memberships (Account API: any signed-in user may ask), in one request:
        the endpoint is not paged, so asking for `first`/`max` pages would repeat the same list."""
        data = await self._json(
            "GET",
            f"{self._account}/groups",
            Right("a valid sign-in (Account API)"),
            params={"briefRepresentation": "false"},
        )
        if not isinstance(data, list):
            raise BackendUnavailable("Keycloak sent something other than a list of your groups.")
        return [_group(item) for item in data]

    # -- groups -------------------------------------------------------------------------------------
    async def top_level_groups(self) -> list[KcGroup]:
        return [
            _group(item)
            async for item in self._paged(
                f"{self._admin}/groups",
                Right("the Keycloak role view-users (realm-management) to list every organisation"),
                {"briefRepresentation": "false"},
            )
        ]

    async def group_by_path(self, path: str) -> KcGroup:
        """The group at an exact path; NotFound if there is none."""
        quoted = quote(path.strip("/"), safe="/")
        try:
            data = await self._json(
                "GET",
                f"{self._admin}/group-by-path/{quoted}",
                Right(f"{ORG_VIEW} to see '{path}'", ORG_MANAGER),
            )
        except NotFound:
            raise NotFound(f"There is no group '{path}' in Keycloak.") from None
        return _group(data)

    async def find_group(self, path: str) -> KcGroup | None:
        try:
            return await self.group_by_path(path)
        except NotFound:
            return None

    async def get_group(self, group_id: str) -> KcGroup:
        right = Right(ORG_VIEW, ORG_MANAGER)
        return _group(await self._json("GET", f"{self._admin}/groups/{group_id}", right))

    async def children(self, group_id: str) -> list[KcGroup]:
        return [
            _group(item)
            async for item in self._paged(
                f"{self._admin}/groups/{group_id}/children",
                Right(f"{ORG_VIEW} to list its applications", ORG_MANAGER),
                {"briefRepresentation": "false"},
            )
        ]

    async def create_top_level(self, name: str, attributes: dict[str, list[str]] | None = None) -> str:
        response = await self._request(
            "POST",
            f"{self._admin}/groups",
            Right("the Keycloak role manage-users (realm-management) to create an organisation"),
            json_body={"name": name, "attributes": attributes or {}},
        )
        return _id_from_location(response.headers.get("Location", ""))

    async def create_child(
        self, parent_id: str, name: str, attributes: dict[str, list[str]] | None = None
    ) -> str:
        response = await self._request(
            "POST",
            f"{self._admin}/groups/{parent_id}/children",
            Right(
                "management of that group: owner or admin of the organisation, through admin permissions "
                "that a realm administrator extends to each new group (or the Keycloak role manage-users)"
            ),
            json_body={"name": name, "attributes": attributes or {}},
        )
        location = response.headers.get("Location", "")
        if location:
            return _id_from_location(location)
        return _group(response.json()).id

    async def ensure_child(self, parent_id: str, parent_path: str, name: str) -> KcGroup:
        """The child named `name`, created if missing (idempotent)."""
        existing = await self.find_group(f"{parent_path}/{name}")
        if existing is not None:
            return existing
        group_id = await self.create_child(parent_id, name)
        return KcGroup(group_id, name, f"{parent_path}/{name}", parent_id)

    async def set_attributes(self, group: KcGroup, attributes: dict[str, list[str]]) -> None:
        await self._request(
            "PUT",
            f"{self._admin}/groups/{group.id}",
            Right("owner or admin of the organisation (or the Keycloak role manage-users)"),
            json_body={"name": group.name, "attributes": attributes},
        )

    async def delete_group(self, group_id: str) -> None:
        """Delete a group and its subtree; a group already gone counts as deleted."""
        try:
            await self._request(
                "DELETE",
                f"{self._admin}/groups/{group_id}",
                Right("owner of the organisation (or the Keycloak role manage-users) to delete it"),
            )
        except NotFound:
            log.info("group %s was already deleted", group_id)

    # -- members and users --------------------------------------------------------------------------
    async def members(self, group_id: str) -> list[KcUser]:
        return [
            _user(item)
            async for item in self._paged(
                f"{self._admin}/groups/{group_id}/members",
                Right("membership of the organisation to list its members", ORG_MANAGER),
                {"briefRepresentation": "true"},
            )
        ]

    async def find_user(self, username_or_email: str) -> KcUser:
        """Exactly one user by exact username, or exact email when the text has an '@'."""
        key = "email" if "@" in username_or_email else "username"
        wanted = username_or_email.strip().lower()
        if not wanted:
            raise ValidationError("A username or email is required.", hint="Name the user exactly.")
        found = [
            _user(item)
            async for item in self._paged(
                f"{self._admin}/users",
                Right(
                    "owner or admin of an organisation (or the Keycloak role view-users) to look people up"
                ),
                {key: username_or_email.strip(), "exact": "true"},
            )
        ]
        exact = [u for u in found if (u.email if key == "email" else u.username).lower() == wanted]
        if not exact:
            raise NotFound(f"No Keycloak user has the {key} '{username_or_email}'.")
        if len(exact) > 1:
            raise HyperOtaError(f"Several users have the {key} '{username_or_email}'; use the username.")
        return exact[0]

    async def user_groups(self, user_id: str) -> list[KcGroup]:
        return [
            _group(item)
            async for item in self._paged(
                f"{self._admin}/users/{user_id}/groups",
                Right("the Keycloak role view-users to see memberships"),
            )
        ]

    async def add_member(self, user_id: str, group_id: str) -> None:
        await self._request(
            "PUT",
            f"{self._admin}/users/{user_id}/groups/{group_id}",
            Right(
                "owner or admin of the organisation (owner for the owner group) to add members", ORG_MANAGER
            ),
        )

    async def remove_member(self, user_id: str, group_id: str) -> None:
        try:
            await self._request(
                "DELETE",
                f"{self._admin}/users/{user_id}/groups/{group_id}",
                Right(
                    "owner or admin of the organisation (owner for the owner group) to remove members",
                    ORG_MANAGER,
                ),
            )
        except NotFound:
            log.info("membership of %s in %s already gone", user_id, group_id)

    async def _request(self, method: str, path: str, right: Right, **kwargs: Any) -> Any:
        try:
            return await self._api.request(method, path, **kwargs)
        except PermissionDenied as exc:
            raise self._refused(right, exc) from exc
