"""Admin REST: groups (`/admin/realms/{realm}/groups...` and `/group-by-path`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from ..http import json_response
from .model import Group
from .permissions import Permissions, authorize
from .representations import group_rep, user_rep
from .web import admin_error, bad_json, error_message, json_body, page, query_bool, query_int

if TYPE_CHECKING:
    from .emulator import KeycloakEmulator


def _name(body: dict[str, Any]) -> str:
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise bad_json()
    if name is None or not name.strip():
        raise error_message(400, "Group name is missing")
    return name


def _attributes(body: dict[str, Any]) -> dict[str, list[str]] | None:
    attributes = body.get("attributes")
    if attributes is None:
        return None
    if not isinstance(attributes, dict):
        raise bad_json()
    result: dict[str, list[str]] = {}
    for key, values in attributes.items():
        if isinstance(values, str):  # Jackson's ACCEPT_SINGLE_VALUE_AS_ARRAY
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise bad_json()
        result[str(key)] = list(values)
    return result


class GroupEndpoints:
    def __init__(self, kc: KeycloakEmulator) -> None:
        self.kc = kc
        self.realm = kc.realm

    def _group(self, group_id: str) -> Group:
        group = self.realm.groups.get(group_id)
        if group is None:
            raise admin_error(404, "Could not find group by id")
        return group

    def _rep(self, group: Group, perms: Permissions, full: bool) -> dict[str, Any]:
        return group_rep(self.realm, group, perms, full)

    # /groups ------------------------------------------------------------------------------------------
    def collection(self, request: Request) -> Response:
        perms = authorize(self.kc, request)
        if request.method == "POST":
            return self._create_top_level(request, perms)
        with self.realm.lock:
            perms.require(perms.can_list_groups())
            first, maximum = query_int(request, "first"), query_int(request, "max")
            full = not query_bool(request, "briefRepresentation", True)
            visible = [g for g in self.realm.children(None) if perms.sees_all_groups() or perms.can_view(g)]
            search = request.args.get("search")
            if search is None:
                return json_response([self._rep(g, perms, full) for g in page(visible, first, maximum)])
            tops = self._search(search.strip(), query_bool(request, "exact", False), visible)
            return json_response(
                [self._tree(top, hits, perms, full) for top, hits in page(tops, first, maximum)]
            )

    def _search(self, term: str, exact: bool, tops: list[Group]) -> list[tuple[Group, set[str]]]:
        """Top-level groups with the ids of the matching groups below (or at) them, by name."""

        def matches(group: Group) -> bool:
            return group.name == term if exact else term.lower() in group.name.lower()

        found = []
        for top in tops:
            hits = {g.id for g in [top, *self.realm.descendants(top)] if matches(g)}
            if hits:
                found.append((top, hits))
        return found

    def _tree(self, group: Group, hits: set[str], perms: Permissions, full: bool) -> dict[str, Any]:
        """Keycloak's populateHierarchy: each top-level group with the branches leading to matches."""
        rep = self._rep(group, perms, full)
        branch = []
        for child in self.realm.children(group):
            below = {child.id, *(g.id for g in self.realm.descendants(child))}
            if below & hits:
                branch.append(self._tree(child, hits, perms, full))
        rep["subGroups"] = branch
        return rep

    def _create_top_level(self, request: Request, perms: Permissions) -> Response:
        with self.realm.lock:
            perms.require(perms.can_create_top_level())
            body = json_body(request)
            name = _name(body)
            attributes = _attributes(body)
            if body.get("id") is not None:
                return self._move(str(body["id"]), None, perms)
            if self.realm.sibling_named(None, name) is not None:
                raise error_message(409, f"Top level group named '{name}' already exists.")
            group = self.realm.add_group(name, None, attributes)
            if not perms.caller.has("manage-users"):
                group.created_by = perms.caller.user.id
        location = f"{request.base_url.rstrip('/')}/{group.id}"
        return Response(status=201, headers={"Location": location})

    def _move(self, group_id: str, parent: Group | None, perms: Permissions) -> Response:
        child = self.realm.groups.get(group_id)
        if child is None:
            raise admin_error(404, "Could not find child by id")
        perms.require(perms.can_manage(child))
        if parent is not None and parent.id in {child.id, *(g.id for g in self.realm.descendants(child))}:
            raise error_message(400, "Cannot move a group under itself")
        parent_id = parent.id if parent else None
        if self.realm.sibling_named(parent_id, child.name, exclude=child.id) is not None:
            where = "Top level group" if parent is None else "Sibling group"
            raise error_message(409, f"{where} named '{child.name}' already exists.")
        child.parent_id = parent_id
        return Response(status=204)

    def count(self, request: Request) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            perms.require(perms.can_list_groups())
            search = request.args.get("search")
            if search is not None:
                total = sum(1 for g in self.realm.groups.values() if search.lower() in g.name.lower())
            elif query_bool(request, "top", False):
                total = len(self.realm.children(None))
            else:
                total = len(self.realm.groups)
        return json_response({"count": total})

    # /group-by-path/{path} --------------------------------------------------------------------------------
    def by_path(self, request: Request, path: str) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            group = self.realm.by_path(path)
            if group is None:
                raise admin_error(404, "Group path does not exist")
            perms.require(perms.can_view(group))
            return json_response(self._rep(group, perms, True))

    # /groups/{id} -------------------------------------------------------------------------------------
    def item(self, request: Request, group_id: str) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            group = self._group(group_id)
            if request.method == "GET":
                perms.require(perms.can_view(group))
                return json_response(self._rep(group, perms, True))
            if request.method == "DELETE":
                perms.require(perms.can_delete(group))
                self.realm.delete_group(group)
                return Response(status=204)
            perms.require(perms.can_manage(group))
            body = json_body(request)
            name = _name(body)
            attributes = _attributes(body)
            if body.get("id") is not None and body["id"] != group.id:
                raise error_message(400, "Invalid group id")
            if name != group.name and self.realm.sibling_named(group.parent_id, name, group.id) is not None:
                raise error_message(409, f"Sibling group named '{name}' already exists.")
            group.name = name
            if attributes is not None:
                group.attributes = attributes
            return Response(status=204)

    def children(self, request: Request, group_id: str) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            parent = self._group(group_id)
            if request.method == "POST":
                return self._create_child(request, parent, perms)
            perms.require(perms.can_view(parent))
            first = query_int(request, "first")
            maximum = query_int(request, "max")
            full = not query_bool(request, "briefRepresentation", False)
            kids = self.realm.children(parent)
            search = request.args.get("search")
            if search is not None:
                exact = query_bool(request, "exact", False)
                kids = [k for k in kids if (k.name == search if exact else search.lower() in k.name.lower())]
            chosen = page(kids, 0 if first is None else first, 10 if maximum is None else maximum)
            return json_response([self._rep(g, perms, full) for g in chosen])

    def _create_child(self, request: Request, parent: Group, perms: Permissions) -> Response:
        perms.require(perms.can_manage(parent))
        body = json_body(request)
        name = _name(body)
        attributes = _attributes(body)
        if body.get("id") is not None:
            return self._move(str(body["id"]), parent, perms)
        if self.realm.sibling_named(parent.id, name) is not None:
            raise error_message(409, f"Sibling group named '{name}' already exists.")
        child = self.realm.add_group(name, parent, attributes)
        location = f"{request.host_url.rstrip('/')}/admin/realms/{self.realm.name}/groups/{child.id}"
        return json_response(self._rep(child, perms, True), 201, {"Location": location})

    def members(self, request: Request, group_id: str) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            group = self._group(group_id)
            perms.require(perms.can_view(group))
            first = query_int(request, "first")
            maximum = query_int(request, "max")
            full = not query_bool(request, "briefRepresentation", False)
            chosen = page(self.realm.members(group), first or 0, 100 if maximum is None else maximum)
            return json_response([user_rep(u, full) for u in chosen])
