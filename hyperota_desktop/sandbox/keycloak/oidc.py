"""OIDC endpoints of the realm: discovery, device authorization (RFC 8628), token, JWKS, userinfo,
revocation (RFC 7009) and logout, with Keycloak's status codes and error bodies.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from ..http import json_response
from .model import Client, DeviceGrant, Session, User
from .tokens import granted_scope
from .web import NO_STORE, bearer_token, form, oauth_error

if TYPE_CHECKING:
    from .emulator import KeycloakEmulator

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
STORE_GRACE = 10  # seconds a device code outlives expires_in + interval (DeviceEndpoint.java)
KNOWN_GRANTS = {
    "authorization_code": "Client not allowed for authorization code grant",
    "password": "Client not allowed for direct access grants",
    "client_credentials": "Client not enabled to retrieve service account",
    "urn:ietf:params:oauth:grant-type:token-exchange": "Client not allowed to exchange",
}


class OidcEndpoints:
    def __init__(self, kc: KeycloakEmulator) -> None:
        self.kc = kc
        self.realm = kc.realm

    # discovery / keys --------------------
    def discovery(self, request: Request) -> Response:
        issuer = self.kc.request_issuer(request)
        oidc = f"{issuer}/protocol/openid-connect"
        return json_response(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{oidc}/auth",
                "token_endpoint": f"{oidc}/token",
                "introspection_endpoint": f"{oidc}/token/introspect",
                "userinfo_endpoint": f"{oidc}/userinfo",
                "end_session_endpoint": f"{oidc}/logout",
                "frontchannel_logout_session_supported": True,
                "frontchannel_logout_supported": True,
                "jwks_uri": f"{oidc}/certs",
                "check_session_iframe": f"{oidc}/login-status-iframe.html",
                "grant_types_supported": [
                    "authorization_code",
                    "implicit",
                    "refresh_token",
                    "password",
                    "client_credentials",
                    DEVICE_GRANT,
                    "urn:openid:params:grant-type:ciba",
                ],
                "acr_values_supported": ["0", "1"],
                "response_types_supported": ["code", "none", "id_token", "token", "id_token token"],
                "subject_types_supported": ["public", "pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "userinfo_signing_alg_values_supported": ["RS256", "none"],
                "response_modes_supported": ["query", "fragment", "form_post"],
                "registration_endpoint": f"{issuer}/clients-registrations/openid-connect",
                "token_endpoint_auth_methods_supported": [
                    "private_key_jwt",
                    "client_secret_basic",
                    "client_secret_post",
                    "tls_client_auth",
                    "client_secret_jwt",
                ],
                "claims_supported": [
                    "aud",
                    "sub",
                    "iss",
                    "auth_time",
                    "name",
                    "given_name",
                    "family_name",
                    "preferred_username",
                    "email",
                    "acr",
                    "groups",
                ],
                "claim_types_supported": ["normal"],
                "claims_parameter_supported": True,
                "scopes_supported": [
                    "openid",
                    "offline_access",
                    "profile",
                    "email",
                    "roles",
                    "web-origins",
                    "acr",
                ],
                "request_parameter_supported": True,
                "request_uri_parameter_supported": True,
                "code_challenge_methods_supported": ["plain", "S256"],
                "tls_client_certificate_bound_access_tokens": True,
                "revocation_endpoint": f"{oidc}/revoke",
                "revocation_endpoint_auth_methods_supported": [
                    "private_key_jwt",
                    "client_secret_basic",
                    "client_secret_post",
                    "tls_client_auth",
                    "client_secret_jwt",
                ],
                "backchannel_logout_supported": True,
                "backchannel_logout_session_supported": True,
                "device_authorization_endpoint": f"{oidc}/auth/device",
                "authorization_response_iss_parameter_supported": True,
            }
        )

    def certs(self, request: Request) -> Response:
        with self.realm.lock:
            keys = self.kc.signer.jwks()
        return Response(json.dumps(keys), mimetype="application/jwk-set+json", headers=NO_STORE)

    # client authentication --------------------
    def _client(self, params: dict[str, str], request: Request) -> Client:
        client_id = params.get("client_id")
        if client_id is None and request.authorization is not None:
            client_id = request.authorization.username
        if not client_id:
            raise oauth_error("invalid_client", "Missing client_id parameter")
        client = self.realm.clients.get(client_id)
        if client is None:
            raise oauth_error("invalid_client", "Invalid client or Invalid client credentials", 401)
        return client

    # device authorization --------------------
    def device_authorization(self, request: Request) -> Response:
        params = form(request)
        client = self._client(params, request)
        if not client.device_grant:
            raise oauth_error(
                "unauthorized_client",
                "Client is not allowed to initiate OAuth 2.0 Device Authorization Grant. "
                "The flow is disabled for the client.",
            )
        try:
            scope = granted_scope(params.get("scope", ""))
        except ValueError as exc:
            raise oauth_error("invalid_scope", f"Invalid scopes: {params.get('scope', '')}") from exc
        with self.realm.lock:
            grant = self.realm.new_device_grant(
                client.client_id, scope, self.kc.device_code_lifespan, self.kc.poll_interval
            )
            auto = self.kc.auto_approve_user()
            if auto is not None:
                grant.status, grant.user_id = "approved", auto.id
        verification = f"{self.kc.request_issuer(request)}/device"
        return json_response(
            {
                "device_code": grant.device_code,
                "user_code": grant.user_code,
                "verification_uri": verification,
                "verification_uri_complete": f"{verification}?user_code={grant.user_code}",
                "expires_in": self.kc.device_code_lifespan,
                "interval": grant.interval,
            },
            headers=NO_STORE,
        )

    # token endpoint --------------------
    def token(self, request: Request) -> Response:
        params = form(request)
        grant_type = params.get("grant_type")
        if not grant_type:
            raise oauth_error("invalid_request", "Missing form parameter: grant_type")
        if grant_type not in (DEVICE_GRANT, "refresh_token", *KNOWN_GRANTS):
            raise oauth_error("unsupported_grant_type", "Unsupported grant_type")
        client = self._client(params, request)
        if grant_type in KNOWN_GRANTS:
            raise oauth_error("unauthorized_client", KNOWN_GRANTS[grant_type])
        if grant_type == DEVICE_GRANT:
            body = self._device_code_grant(request, params, client)
        else:
            body = self._refresh_grant(request, params, client)
        return json_response(body, headers=NO_STORE)

    def _device_code_grant(self, request: Request, params: dict[str, str], client: Client) -> dict[str, Any]:
        if not client.device_grant:
            raise oauth_error("invalid_grant", "Client not allowed OAuth 2.0 Device Authorization Grant")
        device_code = params.get("device_code")
        if not device_code:
            raise oauth_error("invalid_request", "Missing parameter: device_code")
        with self.realm.lock:
            grant = self.realm.device_grants.get(device_code)
            if grant is None or grant.status == "redeemed" or grant.client_id != client.client_id:
                raise oauth_error("invalid_grant", "Device code not valid")
            now = self.kc.clock()
            if now >= grant.expires_at + grant.interval + STORE_GRACE:
                # DeviceEndpoint.handleDeviceRequest (26.x) stores the code for expires_in + interval
                # + 10 s "to inform expired_token"; after that it is gone: "Device code not valid".
                del self.realm.device_grants[device_code]
                raise oauth_error("invalid_grant", "Device code not valid")
            if now >= grant.expires_at:
                raise oauth_error("expired_token", "Device code is expired")
            if grant.last_poll is not None and now - grant.last_poll < grant.interval:
                # isPollingAllowed: putIfAbsent(polling key, TTL = interval). An early poll neither
                # restarts the window nor raises the interval (Keycloak keeps a fixed window).
                raise oauth_error("slow_down", "Slow down")
            grant.last_poll = now
            if grant.status == "denied":
                raise oauth_error("access_denied", "The end user denied the authorization request")
            if grant.status == "pending":
                raise oauth_error("authorization_pending", "The authorization request is still pending")
            user = self.realm.users.get(grant.user_id or "")
            if user is None:
                raise oauth_error("invalid_grant", "User not found")
            if not user.enabled:
                raise oauth_error("invalid_grant", "User disabled")
            grant.status = "redeemed"
            offline = "offline_access" in grant.scope.split()
            session = self.realm.new_session(user, client.client_id, grant.scope, offline)
            return self.kc.tokens.issue(self.kc.request_issuer(request), user, session)

    def _refresh_grant(self, request: Request, params: dict[str, str], client: Client) -> dict[str, Any]:
        raw = params.get("refresh_token")
        if not raw:
            raise oauth_error("invalid_request", "Missing parameter: refresh_token")
        claims = self._refresh_claims(raw)
        issuer = self.kc.request_issuer(request)
        if claims.get("iss") != issuer:
            raise oauth_error("invalid_grant", f"Invalid token issuer. Expected '{issuer}'")
        if claims.get("azp") != client.client_id:
            raise oauth_error(
                "invalid_grant", "Invalid refresh token. Token client and authorized client don't match"
            )
        with self.realm.lock:
            session = self.realm.sessions.get(str(claims.get("sid")))
            if session is None or not session.alive:
                offline = claims.get("typ") == "Offline"
                raise oauth_error(
                    "invalid_grant", "Offline user session not found" if offline else "Session not active"
                )
            if self.kc.revoke_refresh_token and claims.get("jti") != session.current_refresh:
                # "Revoke Refresh Token" on, max reuse 0 (TokenManager.validateTokenReuseForRefresh,
                # only when realm.isRevokeRefreshToken()): a replayed token kills the whole family.
                self.realm.end_session(session)
                raise oauth_error("invalid_grant", "Maximum allowed refresh token reuse exceeded")
            user = self.realm.users.get(session.user_id)
            if user is None or not user.enabled:
                self.realm.end_session(session)
                raise oauth_error("invalid_grant", "User disabled")
            session.used_refresh.add(str(claims["jti"]))
            return self.kc.tokens.issue(issuer, user, session)

    def _refresh_claims(self, raw: str) -> dict[str, Any]:
        try:
            claims = self.kc.signer.verify_refresh(raw)
        except ValueError as exc:
            raise oauth_error("invalid_grant", "Invalid refresh token") from exc
        if claims.get("typ") not in ("Refresh", "Offline"):
            raise oauth_error("invalid_grant", "Invalid refresh token")
        if float(claims.get("exp", 0)) <= self.kc.clock():
            raise oauth_error("invalid_grant", "Token is not active")
        return claims

    # bearer-token endpoints --------------------
    def authenticate(self, request: Request) -> tuple[User, dict[str, Any]] | None:
        """The user and claims of a valid, live access token of this realm, or None."""
        token = bearer_token(request)
        if token is None:
            return None
        try:
            claims = self.kc.verify_access_token(token)
        except ValueError:
            return None
        if claims.get("iss") != self.kc.request_issuer(request):
            return None
        with self.realm.lock:
            session = self.realm.sessions.get(str(claims.get("sid")))
            user = self.realm.users.get(str(claims.get("sub")))
            if session is None or not session.alive or user is None or not user.enabled:
                return None
            if claims.get("jti") in self.realm.revoked_access:
                return None
        return user, claims

    def userinfo(self, request: Request) -> Response:
        found = self.authenticate(request)
        if found is None:
            description = (
                "Token not provided" if bearer_token(request) is None else "Token verification failed"
            )
            challenge = (
                f'Bearer realm="{self.realm.name}", error="invalid_token", error_description="{description}"'
            )
            raise oauth_error("invalid_token", description, 401, **{"WWW-Authenticate": challenge})
        user, _ = found
        with self.realm.lock:
            body = {"sub": user.id, **self.kc.tokens.user_claims(user)}
        return json_response(body)

    def revoke(self, request: Request) -> Response:
        params = form(request)
        token = params.get("token")
        client = self._client(params, request)
        if not token:
            raise oauth_error("invalid_request", "Token not provided")
        session, access_jti = self._session_of(token)
        if session is not None and session.client_id != client.client_id:
            raise oauth_error("invalid_request", "Unmatching clients")
        with self.realm.lock:
            if access_jti is not None:
                self.realm.revoked_access.add(access_jti)
            elif session is not None:
                self.realm.end_session(session)
        return Response(status=200, headers=NO_STORE)

    def _session_of(self, token: str) -> tuple[Session | None, str | None]:
        """(session of a refresh token, None) or (None/session, jti of an access token)."""
        try:
            claims = self.kc.signer.verify_refresh(token)
        except ValueError:
            try:
                claims = self.kc.signer.verify(token)
            except ValueError:
                return None, None
            return self.realm.sessions.get(str(claims.get("sid"))), str(claims.get("jti"))
        return self.realm.sessions.get(str(claims.get("sid"))), None

    def logout(self, request: Request) -> Response:
        params = form(request) if request.method == "POST" else {}
        if request.method == "GET" or "refresh_token" not in params:
            if request.method == "POST" and not ({"id_token_hint", "post_logout_redirect_uri"} & set(params)):
                raise oauth_error("invalid_request", "No refresh token")
            return self.kc.pages.logged_out(request, {**request.args.to_dict(), **params})
        client = self._client(params, request)
        claims = self._refresh_claims(params["refresh_token"])
        if claims.get("azp") != client.client_id:
            raise oauth_error("invalid_grant", "Invalid refresh token")
        with self.realm.lock:
            session = self.realm.sessions.get(str(claims.get("sid")))
            if session is not None:
                self.realm.end_session(session)
        return Response(status=204, headers=NO_STORE)

    # in-process helpers for tests and the verification page --------------------
    def decide(self, grant: DeviceGrant, user: User | None, approve: bool) -> None:
        if grant.status != "pending" or self.kc.clock() >= grant.expires_at:
            raise ValueError(f"device code {grant.user_code} is no longer pending")
        if approve:
            if user is None:
                raise ValueError("approving needs a user")
            grant.status, grant.user_id = "approved", user.id
        else:
            grant.status = "denied"
