"""Admin REST: users (`/admin/realms/{realm}/users...`): search, one user, group memberships.

UsersResource / UserResource of Keycloak 26.x: searching needs `query-users` (or view on all users) and
is filtered by FGAP partial evaluation; joining or leaving a group needs the right to manage the user's
group membership and to manage the group's membership (UserResource.joinGroup / removeMembership).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from ..http import json_response
from .model import User
from .permissions import authorize
from .representations import group_rep, user_rep
from .web import admin_error, page, query_bool, query_int, status_error

if TYPE_CHECKING:
    from .emulator import KeycloakEmulator


def _contains(value: str, term: str) -> bool:
    return term.strip("*").lower() in value.lower()


class UserEndpoints:
    def __init__(self, kc: KeycloakEmulator) -> None:
        self.kc = kc
        self.realm = kc.realm

    def _filtered(self, request: Request) -> list[User]:
        users = self.realm.sorted_users()
        args = request.args
        exact = query_bool(request, "exact", False)
        search = args.get("search")
        if search is not None:
            term = search.strip()
            if term.startswith('"') and term.endswith('"') and len(term) > 1:  # Keycloak: quoted = exact
                wanted = term[1:-1].lower()
                users = [u for u in users if wanted in (u.username, u.email.lower())]
            else:
                users = [
                    u
                    for u in users
                    if any(_contains(v, term) for v in (u.username, u.email, u.first_name, u.last_name))
                ]
        for param, attr in (
            ("username", "username"),
            ("email", "email"),
            ("firstName", "first_name"),
            ("lastName", "last_name"),
        ):
            value = args.get(param)
            if value is None:
                continue
            if exact:
                users = [u for u in users if getattr(u, attr).lower() == value.lower()]
            else:
                users = [u for u in users if _contains(getattr(u, attr), value)]
        enabled = args.get("enabled")
        if enabled is not None:
            users = [u for u in users if u.enabled == (enabled.lower() == "true")]
        return users

    def search(self, request: Request) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            perms.require(perms.can_query_users())
            first, maximum = query_int(request, "first"), query_int(request, "max")
            full = not query_bool(request, "briefRepresentation", False)
            visible = perms.visible_users(self._filtered(request))
            users = page(visible, first, 100 if maximum is None else maximum)
            return json_response([user_rep(u, full) for u in users])

    def count(self, request: Request) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            perms.require(perms.can_query_users())
            return json_response(len(perms.visible_users(self._filtered(request))))

    def _user(self, user_id: str, allowed: bool) -> User:
        user = self.realm.users.get(user_id)
        if user is None:
            # Keycloak: 404 only for callers allowed to query users, 403 for the others
            raise admin_error(404, "User not found") if allowed else status_error(403)
        return user

    def item(self, request: Request, user_id: str) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            user = self._user(user_id, perms.can_query_users())
            perms.require(perms.can_view_user(user))
            return json_response(user_rep(user, True))

    def groups(self, request: Request, user_id: str) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            user = self._user(user_id, perms.can_query_users())
            perms.require(perms.can_view_user(user))
            full = not query_bool(request, "briefRepresentation", True)
            groups = sorted(
                (self.realm.groups[g] for g in user.groups if g in self.realm.groups), key=self.realm.path
            )
            search = request.args.get("search")
            if search is not None:
                groups = [g for g in groups if search.lower() in g.name.lower()]
            chosen = page(groups, query_int(request, "first"), query_int(request, "max"))
            return json_response([group_rep(self.realm, g, None, full, count=False) for g in chosen])

    def membership(self, request: Request, user_id: str, group_id: str) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            user = self._user(user_id, perms.can_query_users())
            perms.require(perms.can_manage_group_membership_of(user))
            group = self.realm.groups.get(group_id)
            if group is None:
                raise admin_error(404, "Group not found")
            perms.require(perms.can_manage_membership(group))
            if request.method == "PUT":
                user.groups.add(group.id)
            else:
                user.groups.discard(group.id)
        return Response(status=204)
