"""Admin REST: groups (`/admin/realms/{realm}/groups...` and `/group-by-path`).

GroupsResource / GroupResource / RealmAdminResource.getGroupByPath of Keycloak 26.x: the permission
checks are in permissions.py; listing is filtered by FGAP partial evaluation before paging (it happens
in the database query), search pages over matching groups at any depth and then builds the hierarchy
(GroupUtils.populateGroupHierarchyFromSubGroups), `q` searches attributes.
"""

from __future__ import annotations

import re
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


def _query_fields(text: str) -> dict[str, str]:
    """SearchQueryUtils.getFields: `key:value` pairs separated by spaces, values may be quoted."""
    fields: dict[str, str] = {}
    for match in re.finditer(r'(?:"([^"]*)"|([^\s:"]+)):(?:"([^"]*)"|(\S+))', text):
        key = match.group(1) if match.group(1) is not None else match.group(2)
        fields[key] = match.group(3) if match.group(3) is not None else match.group(4)
    return fields


class GroupEndpoints:
    def __init__(self, kc: KeycloakEmulator) -> None:
        self.kc = kc
        self.realm = kc.realm

    def _group(self, group_id: str) -> Group:
        group = self.realm.groups.get(group_id)
        if group is None:
            raise admin_error(404, "Could not find group by id")
        return group

    def _rep(self, group: Group, perms: Permissions, full: bool, count: bool = True) -> dict[str, Any]:
        return group_rep(self.realm, group, perms, full, count)

    def _by_name(self, groups: list[Group]) -> list[Group]:
        return sorted(groups, key=lambda g: g.name)

    # /groups ------------------------------------------------------------------------------------------
    def collection(self, request: Request) -> Response:
        perms = authorize(self.kc, request)
        if request.method == "POST":
            return self._create_top_level(request, perms)
        with self.realm.lock:
            perms.require(perms.can_list_groups())
            first, maximum = query_int(request, "first"), query_int(request, "max")
            full = not query_bool(request, "briefRepresentation", True)
            hierarchy = query_bool(request, "populateHierarchy", True)
            count = query_bool(request, "subGroupsCount", True)
            search, q = request.args.get("search"), request.args.get("q")
            if q is not None:
                wanted = _query_fields(q)
                found = [
                    g
                    for g in self.realm.groups.values()
                    if all(v in g.attributes.get(k, []) for k, v in wanted.items())
                ]
            elif search is not None:
                term, exact = search.strip(), query_bool(request, "exact", False)
                found = [
                    g
                    for g in self.realm.groups.values()
                    if (g.name == term if exact else term.lower() in g.name.lower())
                ]
            else:
                found = self.realm.children(None)
            chosen = page(self._by_name(perms.visible_groups(found)), first, maximum)
            if hierarchy:
                return json_response(self._hierarchy(chosen, perms, full, count))
            if not self.realm.admin_permissions_enabled:
                chosen = [g for g in chosen if perms.can_view(g)]
            return json_response([self._rep(g, perms, full, count) for g in chosen])

    def _hierarchy(
        self, groups: list[Group], perms: Permissions, full: bool, count: bool
    ) -> list[dict[str, Any]]:
        """GroupUtils.buildGroupHierarchy: each match with the chain of its parents up to the top; with
        FGAP v2 every parent is included, without it a chain with a parent the caller cannot view is
        dropped. Top-level results sorted by name."""
        reps: dict[str, dict[str, Any]] = {}
        tops: dict[str, dict[str, Any]] = {}
        for group in groups:
            chain = self.realm.ancestry(group)
            if not self.realm.admin_permissions_enabled and not all(
                perms.can_view_all_groups() or perms.can_view(g) for g in chain
            ):
                continue
            child: dict[str, Any] | None = None
            for member in chain:
                rep = reps.get(member.id)
                if rep is None:
                    rep = reps[member.id] = self._rep(member, perms, full, count)
                if child is not None and all(c["id"] != child["id"] for c in rep["subGroups"]):
                    rep["subGroups"].append(child)
                child = rep
            assert child is not None
            tops[child["id"]] = child
        return sorted(tops.values(), key=lambda r: str(r["name"]))

    def _create_top_level(self, request: Request, perms: Permissions) -> Response:
        with self.realm.lock:
            perms.require(perms.can_manage_all_groups())
            body = json_body(request)
            name = _name(body)
            attributes = _attributes(body)
            if body.get("id") is not None:
                return self._move(str(body["id"]), None, perms)
            if self.realm.sibling_named(None, name) is not None:
                raise error_message(409, f"Top level group named '{name}' already exists.")
            group = self.realm.add_group(name, None, attributes)
        location = f"{request.base_url.rstrip('/')}/{group.id}"
        return Response(status=201, headers={"Location": location})

    def _move(self, group_id: str, parent: Group | None, perms: Permissions) -> Response:
        child = self.realm.groups.get(group_id)
        if child is None:
            raise admin_error(404, "Could not find child by id")
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
                found = [g for g in self.realm.groups.values() if search.lower() in g.name.lower()]
            elif query_bool(request, "top", False):
                found = self.realm.children(None)
            else:
                found = list(self.realm.groups.values())
        return json_response({"count": len(perms.visible_groups(found))})

    # /group-by-path/{path} --------------------------------------------------------------------------------
    def by_path(self, request: Request, path: str) -> Response:
        """KeycloakModelUtils.findGroupByPath resolves each segment with getGroupByName, which the
        partial evaluation filters too: a caller filtered by it must be able to view every ancestor."""
        perms = authorize(self.kc, request)
        with self.realm.lock:
            group = self.realm.by_path(path)
            if group is not None and perms.filters_lists():
                chain = self.realm.ancestry(group)
                if len(perms.visible_groups(chain)) != len(chain):
                    group = None
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
            perms.require(perms.can_manage(group))
            if request.method == "DELETE":
                self.realm.delete_group(group)
                return Response(status=204)
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
            if self.realm.admin_permissions_enabled:
                # CVE-2026-14615 fix (26.4.14, 26.6.5): listing children needs the list right and is
                # filtered like any group query; earlier 26.x listed every child of a viewable group.
                perms.require(perms.can_list_groups())
            first = query_int(request, "first")
            maximum = query_int(request, "max")
            full = not query_bool(request, "briefRepresentation", False)
            count = query_bool(request, "subGroupsCount", True)
            kids = self.realm.children(parent)
            search = request.args.get("search")
            if search is not None:
                exact = query_bool(request, "exact", False)
                kids = [k for k in kids if (k.name == search if exact else search.lower() in k.name.lower())]
            if self.realm.admin_permissions_enabled:
                kids = perms.visible_groups(kids)
            else:
                kids = [k for k in kids if perms.can_view(k)]
            chosen = page(kids, 0 if first is None else first, 10 if maximum is None else maximum)
            return json_response([self._rep(g, perms, full, count) for g in chosen])

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
        return json_response(self._rep(child, perms, True, False), 201, {"Location": location})

    def members(self, request: Request, group_id: str) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            group = self._group(group_id)
            perms.require(perms.can_view_members(group))
            first = query_int(request, "first")
            maximum = query_int(request, "max")
            full = not query_bool(request, "briefRepresentation", False)
            chosen = page(self.realm.members(group), first or 0, 100 if maximum is None else maximum)
            return json_response([user_rep(u, full) for u in chosen])
