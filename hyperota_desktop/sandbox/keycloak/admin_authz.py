"""Admin REST: the realm representation, clients and client roles, group role mappings, and the FGAP v2
policies and permissions of the `admin-permissions` client (`/clients/{id}/authz/resource-server/...`).

Keycloak 26.x: RealmAdminResource.getRealm, ClientsResource.getClients, RoleContainerResource.getRole,
ClientRoleMappingsResource, and org.keycloak.authorization.admin.PolicyService / PolicyResourceService /
PermissionService (create 201 + the representation, duplicate name 409 "Policy with name [x] already
exists", `/search?name=` 200 or 204, update 201 without body, delete 204, unknown id 404). Validation
of admin permissions follows AdminPermissionsSchema (resource type and scopes required, scopes must
belong to the type, resources must exist).
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from ..http import json_response
from . import fgap
from .fgap import Policy
from .model import Client
from .permissions import Permissions, authorize
from .roles import ADMIN_PERMISSIONS, client_roles
from .web import HttpError, admin_error, bad_json, page, query_int

if TYPE_CHECKING:
    from .emulator import KeycloakEmulator


def _role_id(client: Client, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hyperota-sandbox/{client.id}/{name}"))


def _role_rep(client: Client, name: str) -> dict[str, Any]:
    return {
        "id": _role_id(client, name),
        "name": name,
        "composite": name in ("realm-admin", "view-users", "view-clients"),
        "clientRole": True,
        "containerId": client.id,
    }


def _invalid(message: str) -> HttpError:
    return HttpError(400, {"error": "unknown_error", "error_description": message})


def _json_list(request: Request) -> list[Any]:
    try:
        data = json.loads(request.get_data(as_text=True) or "null")
    except ValueError as exc:
        raise bad_json() from exc
    if not isinstance(data, list):
        raise bad_json()
    return data


def _json_object(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(request.get_data(as_text=True) or "null")
    except ValueError as exc:
        raise bad_json() from exc
    if not isinstance(data, dict):
        raise bad_json()
    return data


class AuthzEndpoints:
    def __init__(self, kc: KeycloakEmulator) -> None:
        self.kc = kc
        self.realm = kc.realm

    # realm and clients -----------------------------------------------------------------------------
    def realm_rep(self, request: Request) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            if not perms.can_view_realm():
                perms.require(perms.is_admin())  # requireViewRealmNameList: a brief representation
                return json_response({"realm": self.realm.name})
            rep: dict[str, Any] = {
                "id": self.realm.name,
                "realm": self.realm.name,
                "enabled": True,
                "revokeRefreshToken": self.kc.revoke_refresh_token,
                "refreshTokenMaxReuse": 0,
                "adminPermissionsEnabled": self.realm.admin_permissions_enabled,
            }
            client = self.realm.clients.get(ADMIN_PERMISSIONS)
            if client is not None:
                rep["adminPermissionsClient"] = {"id": client.id, "clientId": client.client_id}
            return json_response(rep)

    def _client(self, client_uuid: str) -> Client:
        client = self.realm.client_by_uuid(client_uuid)
        if client is None:
            raise admin_error(404, "Could not find client")
        return client

    def clients(self, request: Request) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            perms.require(perms.can_list_clients())
            wanted = request.args.get("clientId")
            found = [c for c in self.realm.clients.values() if wanted is None or c.client_id == wanted]
            chosen = page(sorted(found, key=lambda c: c.client_id), query_int(request, "first"), None)
            return json_response([{"id": c.id, "clientId": c.client_id} for c in chosen])

    def client_role(self, request: Request, client_uuid: str, role: str) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            client = self._client(client_uuid)
            perms.require(perms.can_view_clients())
            if role not in client_roles(client.client_id):
                raise admin_error(404, "Could not find role")
            return json_response(_role_rep(client, role))

    def group_client_roles(self, request: Request, group_id: str, client_uuid: str) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            group = self.realm.groups.get(group_id)
            if group is None:
                raise admin_error(404, "Could not find group by id")
            client = self._client(client_uuid)
            mapped = group.client_roles.setdefault(client.client_id, set())
            if request.method == "GET":
                perms.require(perms.can_view(group))
                return json_response([_role_rep(client, r) for r in sorted(mapped)])
            perms.require(perms.can_manage(group))
            names = []
            for item in _json_list(request):
                name = item.get("name") if isinstance(item, dict) else None
                if name not in client_roles(client.client_id) or item.get("id") != _role_id(client, name):
                    raise admin_error(404, "Role not found")
                perms.require(perms.can_map_admin_role(name))
                names.append(name)
            if request.method == "POST":
                mapped.update(names)
            else:
                mapped.difference_update(names)
            return Response(status=204)

    # the admin-permissions resource server ----------------------------------------------------------
    def _server(self, perms: Permissions, client_uuid: str, manage: bool, kind: str) -> None:
        if kind not in ("policy", "permission"):
            raise admin_error(404, "HTTP 404 Not Found")
        client = self._client(client_uuid)
        if client.client_id != ADMIN_PERMISSIONS:
            raise admin_error(404, "HTTP 404 Not Found")  # other clients' authorization is not emulated
        perms.require(perms.can_manage_authorization() if manage else perms.can_view_authorization())

    def _policy(self, policy_id: str, kind: str) -> Policy:
        found = self.realm.authz.policies.get(policy_id)
        if found is None or (kind == "permission" and not found.is_permission):
            raise HttpError(404, {})
        return found

    def collection(self, request: Request, client_uuid: str, kind: str) -> Response:
        """GET `policy` or `permission`: the list, filtered by `name` (substring), `type`, paged."""
        perms = authorize(self.kc, request)
        with self.realm.lock:
            self._server(perms, client_uuid, request.method == "POST", kind)
            if request.method == "POST":
                return self._create(request, str(_json_object(request).get("type") or ""), kind)
            name = (request.args.get("name") or "").lower()
            kinds = request.args.get("type")
            found = [
                p
                for p in sorted(self.realm.authz.policies.values(), key=lambda p: p.name)
                if (kind == "policy" or p.is_permission)
                and name in p.name.lower()
                and (not kinds or p.type == kinds)
            ]
            maximum = query_int(request, "max")
            chosen = page(found, query_int(request, "first"), 100 if maximum is None else maximum)
            return json_response([self._generic(p) for p in chosen])

    def search(self, request: Request, client_uuid: str, kind: str) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            self._server(perms, client_uuid, False, kind)
            name = request.args.get("name")
            if name is None:
                return Response(status=400)
            found = self.realm.authz.by_name(name)
            if found is None or (kind == "permission" and not found.is_permission):
                return Response(status=204)
            return json_response(self._generic(found))

    def typed(self, request: Request, client_uuid: str, kind: str, key: str) -> Response:
        """`{kind}/{type}` (POST creates) or `{kind}/{id}` (GET/PUT/DELETE, generic representation)."""
        perms = authorize(self.kc, request)
        with self.realm.lock:
            manage = request.method != "GET"
            self._server(perms, client_uuid, manage, kind)
            if request.method == "POST":
                return self._create(request, key, kind)
            policy = self._policy(key, kind)
            return self._item(request, policy, typed=False)

    def typed_item(
        self, request: Request, client_uuid: str, kind: str, ptype: str, policy_id: str
    ) -> Response:
        perms = authorize(self.kc, request)
        with self.realm.lock:
            self._server(perms, client_uuid, request.method != "GET", kind)
            if policy_id in ("resources", "scopes", "associatedPolicies"):  # `{kind}/{id}/{part}`
                return self._part(self._policy(ptype, kind), policy_id)
            policy = self._policy(policy_id, kind)
            if policy.type != ptype:
                raise HttpError(404, {})
            return self._item(request, policy, typed=True)

    def _item(self, request: Request, policy: Policy, typed: bool) -> Response:
        if request.method == "GET":
            return json_response(self._typed(policy) if typed else self._generic(policy))
        if request.method == "DELETE":
            self.realm.authz.delete(policy.id)
            return Response(status=204)
        self._apply(policy, _json_object(request), creating=False)
        return Response(status=201)

    def _part(self, policy: Policy, part: str) -> Response:
        if part == "resources":
            names = policy.resources or ([policy.resource_type] if policy.is_permission else [])
            return json_response([{"_id": n, "name": n} for n in names])
        if part == "scopes":
            return json_response([{"id": s, "name": s} for s in policy.scopes])
        store = self.realm.authz.policies
        return json_response(
            [{"id": p, "name": store[p].name, "type": store[p].type} for p in policy.policies if p in store]
        )

    # create / update ----------------------------------------------------------------------------------
    def _create(self, request: Request, ptype: str, kind: str) -> Response:
        body = _json_object(request)
        if ptype not in (*fgap.POLICY_TYPES, "scope") or (kind == "permission" and ptype != "scope"):
            raise _invalid(f"Policy type [{ptype}] not supported by the emulator")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _invalid("Policy name must not be empty")
        if self.realm.authz.by_name(name) is not None:
            raise HttpError(
                409,
                {
                    "error": f"Policy with name [{name}] already exists",
                    "error_description": "Conflicting policy",
                },
            )
        policy = Policy(self.realm.authz.new_id(), name, ptype)
        self._apply(policy, body, creating=True)
        self.realm.authz.add(policy)
        return json_response({**body, "id": policy.id, "type": ptype}, 201)

    def _apply(self, policy: Policy, body: dict[str, Any], creating: bool) -> None:
        """Validate everything, then change `policy` (RepresentationToModel.toModel)."""
        changes: dict[str, Any] = {}
        for key, attr in (("name", "name"), ("description", "description"), ("logic", "logic")):
            if isinstance(body.get(key), str):
                changes[attr] = body[key]
        strategy = body.get("decisionStrategy")
        if strategy is not None:
            if strategy not in fgap.STRATEGIES:
                raise bad_json()
            changes["decision_strategy"] = strategy
        if policy.type == "group" and (creating or "groups" in body):
            changes["groups"] = self._groups(body.get("groups"))
        if policy.type == "user" and (creating or "users" in body):
            if not isinstance(body.get("users") or [], list):
                raise bad_json()
            changes["users"] = self._users(body.get("users") or [])
        if policy.is_permission:
            changes.update(self._permission_fields(policy, body, creating))
        for attr, value in changes.items():
            setattr(policy, attr, value)

    def _groups(self, raw: Any) -> list[dict[str, Any]]:
        if not isinstance(raw, list):  # GroupPolicyProviderFactory.updatePolicy (Keycloak: a 500)
            raise _invalid("You must provide at least one group")
        result = []
        for item in raw:
            if not isinstance(item, dict):
                raise bad_json()
            group = (
                self.realm.groups.get(str(item.get("id")))
                if item.get("id")
                else self.realm.by_path(str(item.get("path") or ""))
            )
            if group is not None:  # unknown groups are dropped, as Keycloak does
                result.append({"id": group.id, "extendChildren": bool(item.get("extendChildren"))})
        return result

    def _users(self, raw: list[Any]) -> list[str]:
        found = []
        for ref in raw:
            user = self.realm.users.get(str(ref)) or self.realm.user_by_name(str(ref))
            if user is None:
                raise _invalid(f"User [{ref}] does not exist")
            found.append(user.id)
        return found

    def _permission_fields(self, policy: Policy, body: dict[str, Any], creating: bool) -> dict[str, Any]:
        for key in ("scopes", "resources", "policies"):
            if body.get(key) is not None and not isinstance(body[key], list):
                raise bad_json()
        rtype = body.get("resourceType", policy.resource_type)
        if not isinstance(rtype, str) or rtype not in fgap.SCOPES:
            raise _invalid("Resource type not provided.")
        scopes = body.get("scopes", None if creating else policy.scopes)
        if not scopes:
            raise _invalid("Scopes not provided.")
        for scope in scopes:
            if scope not in fgap.SCOPES[rtype]:
                raise _invalid(f"Scope {scope} was not found for resource type {rtype}.")
        resources = []
        for ref in body.get("resources", policy.resources) or []:
            model = self._model(rtype, str(ref))
            if model is None:
                raise _invalid(f"Resource [{ref}] does not exist for type [{rtype}]")
            if model not in resources:
                resources.append(model)
        associated = []
        for ref in body.get("policies", policy.policies) or []:
            found = self.realm.authz.policies.get(str(ref)) or self.realm.authz.by_name(str(ref))
            if found is None:
                raise _invalid(f"Policy with id or name [{ref}] not found")
            associated.append(found.id)
        return {
            "resource_type": rtype,
            "scopes": list(scopes),
            "resources": resources,
            "policies": associated,
        }

    def _model(self, rtype: str, ref: str) -> str | None:
        if ref == rtype:
            return None if rtype not in fgap.SCOPES else ref
        if rtype == fgap.GROUPS:
            return ref if ref in self.realm.groups else None
        if rtype == fgap.USERS:
            user = self.realm.users.get(ref) or self.realm.user_by_name(ref)
            return user.id if user else None
        return None

    # representations -------------------------------------------------------------------------------------
    def _generic(self, policy: Policy) -> dict[str, Any]:
        rep = {
            "id": policy.id,
            "name": policy.name,
            "description": policy.description,
            "type": policy.type,
            "logic": policy.logic,
            "decisionStrategy": policy.decision_strategy,
            "config": {},
        }
        if policy.type == "group":
            rep["config"] = {"groups": json.dumps(self._live_groups(policy))}
        elif policy.type == "user":
            rep["config"] = {"users": json.dumps(policy.users)}
        else:
            rep["resourceType"] = policy.resource_type
        return rep

    def _live_groups(self, policy: Policy) -> list[dict[str, Any]]:
        """GroupPolicyProviderFactory.getGroupsDefinition leaves out groups that no longer exist."""
        return [dict(g) for g in policy.groups if str(g.get("id")) in self.realm.groups]

    def _typed(self, policy: Policy) -> dict[str, Any]:
        rep = {k: v for k, v in self._generic(policy).items() if k != "config"}
        if policy.type == "group":
            rep["groups"] = self._live_groups(policy)
        elif policy.type == "user":
            rep["users"] = list(policy.users)
        return rep
