"""Typed client of the Keycloak Admin REST subset we use (keycloak.md), with the user's own token.

Every listing pages with `first`/`max` until a short page: Keycloak never says how many there are.
Raw JSON stays in here; callers get `KcGroup` / `KcUser`. A 403 becomes `PermissionDenied` naming the
right that is missing for that call.
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
    NotFound,
    PermissionDenied,
    ValidationError,
)
from hyperota_desktop.services.http import ApiClient, TokenSource

log = logging.getLogger("hyperota.services.keycloak")
PAGE = 100
ASK = "Ask an owner of the organisation or a realm administrator for that right."
REALM_ADMIN_ROLES = frozenset({"realm-admin", "manage-users", "view-users", "query-groups"})


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

    async def _json(self, method: str, path: str, right: str, **kwargs: Any) -> Any:
        try:
            return await self._api.json(method, path, **kwargs)
        except PermissionDenied as exc:
            raise PermissionDenied(f"Keycloak refused this: it needs {right}.", hint=ASK) from exc

    async def _paged(self, path: str, right: str, params: dict[str, Any] | None = None) -> AsyncIterator[Any]:
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

    async def is_realm_admin(self) -> bool:
        """True when the token carries realm-management roles that let it browse every group."""
        claims = await self.claims()
        roles = ((claims.get("resource_access") or {}).get("realm-management") or {}).get("roles") or []
        return bool(REALM_ADMIN_ROLES & set(roles))

    async def me(self) -> KcUser:
        data = await self._json("GET", self._account, "a valid sign-in (Account API)")
        return _user(data)

    async def my_groups(self) -> list[KcGroup]:
        """The caller's own group memberships (Account API: any signed-in user may ask)."""
        items = [
            item
            async for item in self._paged(
                f"{self._account}/groups", "a valid sign-in (Account API)", {"briefRepresentation": "false"}
            )
        ]
        return [_group(item) for item in items]

    # -- groups -------------------------------------------------------------------------------------
    async def top_level_groups(self) -> list[KcGroup]:
        return [
            _group(item)
            async for item in self._paged(
                f"{self._admin}/groups",
                "the realm-management role view-users or query-groups to browse organisations",
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
                f"owner/admin of the organisation or view-users to see '{path}'",
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
        return _group(await self._json("GET", f"{self._admin}/groups/{group_id}", "view rights on the group"))

    async def children(self, group_id: str) -> list[KcGroup]:
        return [
            _group(item)
            async for item in self._paged(
                f"{self._admin}/groups/{group_id}/children",
                "owner/admin of the organisation to list its applications",
                {"briefRepresentation": "false"},
            )
        ]

    async def create_top_level(self, name: str, attributes: dict[str, list[str]] | None = None) -> str:
        response = await self._request(
            "POST",
            f"{self._admin}/groups",
            "the realm role org-creator (or manage-users) to create organisations",
            json_body={"name": name, "attributes": attributes or {}},
        )
        return _id_from_location(response.headers.get("Location", ""))

    async def create_child(
        self, parent_id: str, name: str, attributes: dict[str, list[str]] | None = None
    ) -> str:
        response = await self._request(
            "POST",
            f"{self._admin}/groups/{parent_id}/children",
            "owner/admin of the organisation to create groups in it",
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
            "owner/admin of the organisation to change its groups",
            json_body={"name": group.name, "attributes": attributes},
        )

    async def delete_group(self, group_id: str) -> None:
        """Delete a group and its subtree; a group already gone counts as deleted."""
        try:
            await self._request(
                "DELETE",
                f"{self._admin}/groups/{group_id}",
                "owner of the organisation (or manage-users) to delete it",
            )
        except NotFound:
            log.info("group %s was already deleted", group_id)

    # -- members and users --------------------------------------------------------------------------
    async def members(self, group_id: str) -> list[KcUser]:
        return [
            _user(item)
            async for item in self._paged(
                f"{self._admin}/groups/{group_id}/members",
                "owner/admin of the organisation to list its members",
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
                "owner/admin of an organisation (or query-users) to look users up",
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
                f"{self._admin}/users/{user_id}/groups", "owner/admin of an organisation to see memberships"
            )
        ]

    async def add_member(self, user_id: str, group_id: str) -> None:
        await self._request(
            "PUT",
            f"{self._admin}/users/{user_id}/groups/{group_id}",
            "owner/admin of the organisation (owner for the owner group) to add members",
        )

    async def remove_member(self, user_id: str, group_id: str) -> None:
        try:
            await self._request(
                "DELETE",
                f"{self._admin}/users/{user_id}/groups/{group_id}",
                "owner/admin of the organisation (owner for the owner group) to remove members",
            )
        except NotFound:
            log.info("membership of %s in %s already gone", user_id, group_id)

    async def _request(self, method: str, path: str, right: str, **kwargs: Any) -> Any:
        try:
            return await self._api.request(method, path, **kwargs)
        except PermissionDenied as exc:
            raise PermissionDenied(f"Keycloak refused this: it needs {right}.", hint=ASK) from exc
