"""Account REST API subset: the caller's profile and group memberships (any signed-in user)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from ..http import json_response
from .model import User
from .web import HttpError, query_bool

if TYPE_CHECKING:
    from .emulator import KeycloakEmulator


class AccountEndpoints:
    def __init__(self, kc: KeycloakEmulator) -> None:
        self.kc = kc
        self.realm = kc.realm

    def _caller(self, request: Request) -> User:
        found = self.kc.oidc.authenticate(request)
        if found is None:
            raise HttpError(401, {"error": "HTTP 401 Unauthorized"}, {"WWW-Authenticate": "Bearer"})
        user, claims = found
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if "account" not in audiences:
            raise HttpError(
                401, {"error": "Invalid audience for client account"}, {"WWW-Authenticate": "Bearer"}
            )
        return user

    def profile(self, request: Request) -> Response:
        user = self._caller(request)
        body: dict[str, Any] = {
            "id": user.id,
            "username": user.username,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "email": user.email,
            "emailVerified": user.email_verified,
            "attributes": {},
        }
        return json_response(body)

    def groups(self, request: Request) -> Response:
        """AccountRestService.groupMemberships (26.x): every membership in one answer, "TODO GROUPS this
        isn't paginated" -- `first`/`max` are not parameters of this endpoint and are ignored."""
        user = self._caller(request)
        brief = query_bool(request, "briefRepresentation", True)
        with self.realm.lock:
            groups = sorted(
                (self.realm.groups[g] for g in user.groups if g in self.realm.groups), key=self.realm.path
            )
            reps = []
            for group in groups:
                rep: dict[str, Any] = {"id": group.id, "name": group.name, "path": self.realm.path(group)}
                if group.parent_id is not None:  # ModelToRepresentation sets parentId (26.x)
                    rep["parentId"] = group.parent_id
                if not brief:
                    rep["attributes"] = {k: list(v) for k, v in group.attributes.items()}
                reps.append(rep)
        return json_response(reps)
