"""`KeycloakEmulator`: the WSGI app, its routes and the in-process helpers tests and the sandbox use."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..http import json_response
from .account import AccountEndpoints
from .admin_authz import AuthzEndpoints
from .admin_groups import GroupEndpoints
from .admin_users import UserEndpoints
from .model import Client, Realm, User
from .oidc import OidcEndpoints
from .pages import Pages
from .roles import ADMIN_PERMISSIONS, REALM_MANAGEMENT
from .seed import seed
from .tokens import Signer, TokenFactory
from .web import HttpError, status_error

log = logging.getLogger("hyperota.sandbox.keycloak")

OIDC = "/realms/<realm>/protocol/openid-connect"
ADMIN = "/admin/realms/<realm>"
AUTHZ = f"{ADMIN}/clients/<client_uuid>/authz/resource-server/<kind>"  # kind: policy | permission

ROUTES = [
    # (rule, methods, endpoint)
    ("/", ["GET"], "pages.landing"),
    ("/realms/<realm>/.well-known/openid-configuration", ["GET"], "oidc.discovery"),
    (f"{OIDC}/auth/device", ["POST"], "oidc.device_authorization"),
    (f"{OIDC}/token", ["POST"], "oidc.token"),
    (f"{OIDC}/certs", ["GET"], "oidc.certs"),
    (f"{OIDC}/userinfo", ["GET", "POST"], "oidc.userinfo"),
    (f"{OIDC}/revoke", ["POST"], "oidc.revoke"),
    (f"{OIDC}/logout", ["GET", "POST"], "oidc.logout"),
    ("/realms/<realm>/device", ["GET", "POST"], "pages.device"),
    ("/realms/<realm>/device/login", ["POST"], "pages.login"),
    ("/realms/<realm>/device/consent", ["POST"], "pages.consent"),
    ("/realms/<realm>/account", ["GET"], "account.profile"),
    ("/realms/<realm>/account/groups", ["GET"], "account.groups"),
    (f"{ADMIN}/groups", ["GET", "POST"], "groups.collection"),
    (f"{ADMIN}/groups/count", ["GET"], "groups.count"),
    (f"{ADMIN}/group-by-path/<path:path>", ["GET"], "groups.by_path"),
    (f"{ADMIN}/groups/<group_id>", ["GET", "PUT", "DELETE"], "groups.item"),
    (f"{ADMIN}/groups/<group_id>/children", ["GET", "POST"], "groups.children"),
    (f"{ADMIN}/groups/<group_id>/members", ["GET"], "groups.members"),
    (f"{ADMIN}/users", ["GET"], "users.search"),
    (f"{ADMIN}/users/count", ["GET"], "users.count"),
    (f"{ADMIN}/users/<user_id>", ["GET"], "users.item"),
    (f"{ADMIN}/users/<user_id>/groups", ["GET"], "users.groups"),
    (f"{ADMIN}/users/<user_id>/groups/<group_id>", ["PUT", "DELETE"], "users.membership"),
    (ADMIN, ["GET"], "authz.realm_rep"),
    (f"{ADMIN}/clients", ["GET"], "authz.clients"),
    (f"{ADMIN}/clients/<client_uuid>/roles/<role>", ["GET"], "authz.client_role"),
    (
        f"{ADMIN}/groups/<group_id>/role-mappings/clients/<client_uuid>",
        ["GET", "POST", "DELETE"],
        "authz.group_client_roles",
    ),
    (AUTHZ, ["GET", "POST"], "authz.collection"),
    (f"{AUTHZ}/search", ["GET"], "authz.search"),
    (f"{AUTHZ}/<key>", ["GET", "POST", "PUT", "DELETE"], "authz.typed"),
    (f"{AUTHZ}/<ptype>/<policy_id>", ["GET", "PUT", "DELETE"], "authz.typed_item"),
]


class KeycloakEmulator:
    """A one-realm Keycloak: OIDC device flow, verification pages, Admin REST and Account API subsets.

    `clock` (a `time.time`-like callable) may be replaced by tests to move time forward without sleeping.
    """

    def __init__(
        self,
        realm: str = "hyperota",
        client_id: str = "hyperota-desktop",
        auto_approve: str | None = None,
        access_token_lifespan: int = 300,
        device_code_lifespan: int = 600,
        poll_interval: int = 5,
        revoke_refresh_token: bool = False,
        admin_permissions: bool = True,
    ) -> None:
        self.clock: Callable[[], float] = time.time
        self.realm_name = realm
        self.client_id = client_id
        self.access_token_lifespan = access_token_lifespan
        self.device_code_lifespan = device_code_lifespan
        self.poll_interval = poll_interval
        # Realm setting "Revoke Refresh Token": off in a new realm (RealmRepresentation default), so a
        # refresh token stays valid after use; tests switch it on to check the client copes with both.
        self.revoke_refresh_token = revoke_refresh_token
        self.realm = Realm(realm, clock=lambda: self.clock())
        self.realm.clients[client_id] = Client(client_id, device_grant=True)
        self.realm.clients["no-device-client"] = Client("no-device-client", device_grant=False)
        self.realm.clients[REALM_MANAGEMENT] = Client(REALM_MANAGEMENT, device_grant=False)
        self.passwords: dict[str, str] = seed(self.realm, delegation=admin_permissions)
        self.set_admin_permissions(admin_permissions)
        self.signer = Signer()
        self.tokens = TokenFactory(self.realm, self.signer, access_token_lifespan, lambda: self.clock())
        self._auto_approve: str | None = None
        self.set_auto_approve(auto_approve)
        self.oidc = OidcEndpoints(self)
        self.pages = Pages(self)
        self.account = AccountEndpoints(self)
        self._handlers: dict[str, Any] = {
            "oidc": self.oidc,
            "pages": self.pages,
            "account": self.account,
            "groups": GroupEndpoints(self),
            "users": UserEndpoints(self),
            "authz": AuthzEndpoints(self),
        }
        self._map = Map(
            [Rule(rule, methods=methods, endpoint=endpoint) for rule, methods, endpoint in ROUTES],
            strict_slashes=False,
            merge_slashes=False,
        )

    # public helpers ----------------------------------------------------------------------------------
    @property
    def users(self) -> list[User]:
        with self.realm.lock:
            return self.realm.sorted_users()

    def issuer(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/realms/{self.realm_name}"

    def request_issuer(self, request: Request) -> str:
        return self.issuer(request.host_url)

    def verify_access_token(self, token: str) -> dict[str, Any]:
        """Claims of an access token signed by the current key, unexpired, of this realm.

        Checks what a JWT-validating resource server checks (signature, `exp`, `typ`, issuer realm);
        it does not look at session state (use the userinfo endpoint for that).
        """
        with self.realm.lock:
            claims = self.signer.verify(token)
        if claims.get("typ") != "Bearer":
            raise ValueError("not an access token")
        if not str(claims.get("iss", "")).endswith(f"/realms/{self.realm_name}"):
            raise ValueError("token from another realm")
        if float(claims.get("exp", 0)) <= self.clock():
            raise ValueError("token expired")
        return claims

    def set_admin_permissions(self, enabled: bool) -> None:
        """Realm settings > Admin Permissions (FGAP v2). Switching it on creates the `admin-permissions`
        client (AdminPermissionsSchema.init); switching it off keeps the client and its permissions
        but stops evaluating them, as Keycloak does."""
        with self.realm.lock:
            self.realm.admin_permissions_enabled = enabled
            if enabled and ADMIN_PERMISSIONS not in self.realm.clients:
                self.realm.clients[ADMIN_PERMISSIONS] = Client(ADMIN_PERMISSIONS, device_grant=False)

    def rotate_signing_key(self) -> None:
        with self.realm.lock:
            self.signer.rotate()

    def approve(self, user_code: str, username: str) -> None:
        with self.realm.lock:
            grant = self.realm.grant_by_user_code(user_code)
            user = self.realm.user_by_name(username)
            if grant is None:
                raise ValueError(f"unknown user code {user_code!r}")
            if user is None:
                raise ValueError(f"unknown user {username!r}")
            self.oidc.decide(grant, user, approve=True)

    def deny(self, user_code: str) -> None:
        with self.realm.lock:
            grant = self.realm.grant_by_user_code(user_code)
            if grant is None:
                raise ValueError(f"unknown user code {user_code!r}")
            self.oidc.decide(grant, None, approve=False)

    def set_auto_approve(self, username: str | None) -> None:
        if username is not None and self.realm.user_by_name(username) is None:
            raise ValueError(f"unknown user {username!r}")
        self._auto_approve = username

    def auto_approve_user(self) -> User | None:
        return self.realm.user_by_name(self._auto_approve) if self._auto_approve else None

    # WSGI ------------------------------------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        adapter = self._map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
            realm = values.pop("realm", None)
            if realm is not None and realm != self.realm_name:
                admin = endpoint.startswith(("groups", "users", "authz"))
                message = "Realm not found." if admin else "Realm does not exist"
                raise HttpError(404, {"error": message})
            group, name = endpoint.split(".")
            return getattr(self._handlers[group], name)(request, **values)
        except HttpError as err:
            return err.response()
        except MethodNotAllowed:
            return status_error(405).response()
        except NotFound:
            return status_error(404).response()
        except HTTPException as exc:  # e.g. RequestEntityTooLarge while reading a body
            return json_response({"error": exc.name}, exc.code or 400)
        except Exception:
            log.exception("keycloak emulator failed on %s %s", request.method, request.path)
            body = {
                "error": "unknown_error",
                "error_description": "For more on this error consult the server log.",
            }
            return json_response(body, 500)
