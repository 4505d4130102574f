"""Token minting and checking: RS256 access/ID tokens (kid in header, JWKS), HS512 refresh tokens.

Keycloak signs access and ID tokens with the realm's RSA key and refresh tokens with an HMAC key that
never leaves the server; we do the same.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey, RSAKey

from .model import Realm, Session, User
from .roles import effective_client_roles

DEFAULT_SCOPES = ("profile", "email")
# client scopes a Keycloak realm has out of the box (default or optional for a new client)
KNOWN_SCOPES = frozenset(
    {"openid", "offline_access", "profile", "email", "roles", "web-origins", "acr", "basic", "address",
     "phone", "microprofile-jwt", "organization"}
)  # fmt: skip


class Signer:
    """The realm's current RS256 key (rotatable) and the refresh-token HMAC key."""

    def __init__(self) -> None:
        self._rsa = self._new_rsa()
        self._hmac = OctKey.import_key(secrets.token_bytes(64), {"kid": str(uuid.uuid4())})

    @staticmethod
    def _new_rsa() -> RSAKey:
        kid = secrets.token_urlsafe(24)
        return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})

    @property
    def kid(self) -> str:
        return str(self._rsa.kid)

    def rotate(self) -> None:
        self._rsa = self._new_rsa()

    def jwks(self) -> dict[str, Any]:
        public = self._rsa.as_dict(private=False)
        public.update({"kid": self.kid, "use": "sig", "alg": "RS256", "kty": "RSA"})
        return {"keys": [public]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "typ": "JWT", "kid": self.kid}, claims, self._rsa)

    def sign_refresh(self, claims: dict[str, Any]) -> str:
        header = {"alg": "HS512", "typ": "JWT", "kid": str(self._hmac.kid)}
        return jwt.encode(header, claims, self._hmac, algorithms=["HS512"])

    def verify(self, token: str) -> dict[str, Any]:
        """Claims of an RS256 token signed by the current key; ValueError otherwise."""
        return self._decode(token, KeySet([self._rsa]), "RS256")

    def verify_refresh(self, token: str) -> dict[str, Any]:
        return self._decode(token, self._hmac, "HS512")

    @staticmethod
    def _decode(token: str, key: Any, alg: str) -> dict[str, Any]:
        try:
            decoded = jwt.decode(token, key, algorithms=[alg])
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"invalid token: {exc}") from exc
        return dict(decoded.claims)


def granted_scope(requested: str, offline_allowed: bool = True) -> str:
    """The scope string Keycloak reports: requested optional scopes plus the default client scopes.

    Raises ValueError naming the scopes the realm does not know (Keycloak: `invalid_scope`).
    """
    wanted = requested.split()
    unknown = [s for s in wanted if s not in KNOWN_SCOPES]
    if unknown:
        raise ValueError(" ".join(unknown))
    scopes = [s for s in ("openid", "offline_access") if s in wanted]
    if not offline_allowed and "offline_access" in scopes:
        scopes.remove("offline_access")
    return " ".join([*scopes, *DEFAULT_SCOPES])


class TokenFactory:
    """Builds Keycloak-shaped token responses for a session."""

    def __init__(self, realm: Realm, signer: Signer, access_lifespan: int, clock: Callable[[], float]):
        self.realm = realm
        self.signer = signer
        self.access_lifespan = access_lifespan
        self.clock = clock
        self.sso_idle = 1800
        self.offline_idle = 30 * 24 * 3600

    def user_claims(self, user: User) -> dict[str, Any]:
        return {
            "email_verified": user.email_verified,
            "name": f"{user.first_name} {user.last_name}".strip(),
            "preferred_username": user.username,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "email": user.email,
            "groups": self.realm.user_group_paths(user),
        }

    def access_claims(self, issuer: str, user: User, session: Session, now: int) -> dict[str, Any]:
        roles = effective_client_roles(self.realm, user)  # group mappings + composites, as Keycloak
        resource_access = {k: {"roles": sorted(v)} for k, v in sorted(roles.items())}
        audience = [k for k in resource_access if k != session.client_id]
        audience.append(session.client_id)
        return {
            "exp": now + self.access_lifespan,
            "iat": now,
            "auth_time": int(session.started),
            "jti": str(uuid.uuid4()),
            "iss": issuer,
            "aud": audience,
            "sub": user.id,
            "typ": "Bearer",
            "azp": session.client_id,
            "sid": session.id,
            "acr": "1",
            "realm_access": {"roles": list(user.realm_roles)},
            "resource_access": resource_access,
            "scope": session.scope,
            **self.user_claims(user),
        }

    def issue(self, issuer: str, user: User, session: Session) -> dict[str, Any]:
        """Mint access (+ ID) + refresh token; the new refresh token becomes the only valid one."""
        now = int(self.clock())
        access = self.access_claims(issuer, user, session, now)
        refresh_jti = str(uuid.uuid4())
        idle = self.offline_idle if session.offline else self.sso_idle
        refresh = {
            "exp": now + idle,
            "iat": now,
            "jti": refresh_jti,
            "iss": issuer,
            "aud": issuer,
            "sub": user.id,
            "typ": "Offline" if session.offline else "Refresh",
            "azp": session.client_id,
            "sid": session.id,
            "scope": session.scope,
        }
        session.current_refresh = refresh_jti
        response: dict[str, Any] = {
            "access_token": self.signer.sign(access),
            "expires_in": self.access_lifespan,
            "refresh_expires_in": idle,
            "refresh_token": self.signer.sign_refresh(refresh),
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": session.id,
            "scope": session.scope,
        }
        if "openid" in session.scope.split():
            id_claims = {
                "exp": access["exp"],
                "iat": now,
                "auth_time": access["auth_time"],
                "jti": str(uuid.uuid4()),
                "iss": issuer,
                "aud": session.client_id,
                "sub": user.id,
                "typ": "ID",
                "azp": session.client_id,
                "sid": session.id,
                "acr": "1",
                **self.user_claims(user),
            }
            response["id_token"] = self.signer.sign(id_claims)
        return response
