"""Token responses and access-token validation: RS256 against the issuer's JWKS, iss, exp, azp/aud.

An unknown `kid` means the server rotated its signing key: fetch the JWKS again, once per token. Keys
from the disk cache (`documents.py`) are trusted only as far as they verify: an unknown `kid` or a
signature that fails against them fetches the JWKS before the token is refused.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from hyperota_desktop.domain.errors import BackendUnavailable
from hyperota_desktop.domain.redaction import KNOWN_SECRETS
from hyperota_desktop.services.auth.discovery import OidcConfig, unreachable
from hyperota_desktop.services.auth.errors import TokenInvalid

log = logging.getLogger("hyperota.services.auth")
DEFAULT_SKEW = 30.0  # seconds of clock difference tolerated on exp/iat


@dataclass(frozen=True)
class TokenResponse:
    """A token endpoint answer; secret fields stay out of repr."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False, default=None)
    id_token: str | None = field(repr=False, default=None)
    expires_in: int = 0
    scope: str = ""


def whole_seconds(body: dict[str, Any], key: str, default: int, *, most: int = 10**9) -> int:
    """A number of seconds from a server's JSON: an integer (or integral float/string) in 0..most;
    anything else (text, lists, NaN, 1e400) falls back to `default` rather than raising."""
    value = body.get(key)
    if isinstance(value, bool) or value is None:
        return default
    try:
        number = float(value) if isinstance(value, int | float | str) else math.nan
    except ValueError:
        return default
    if not math.isfinite(number) or number < 0:
        return default
    return min(int(number), most)


def parse_token_response(body: Any) -> TokenResponse:
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise TokenInvalid("The sign-in server's token answer holds no access token.")
    tokens = TokenResponse(
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None,
        id_token=body.get("id_token") if isinstance(body.get("id_token"), str) else None,
        expires_in=whole_seconds(body, "expires_in", 0),
        scope=body["scope"] if isinstance(body.get("scope"), str) else "",
    )
    for value in (tokens.access_token, tokens.refresh_token, tokens.id_token):
        KNOWN_SECRETS.add(value)
    return tokens


class TokenValidator:
    """Checks access tokens the way a resource server would, with a small clock skew."""

    def __init__(
        self,
        client: Callable[[], httpx.AsyncClient],
        config: OidcConfig,
        client_id: str,
        *,
        audience: str | None = None,
        skew: float = DEFAULT_SKEW,
        clock: Callable[[], float] = time.time,
        cached_keys: dict[str, Any] | None = None,
        on_fetched: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    ) -> None:
        """`client()`: the HTTP client, asked for only when the JWKS is fetched; `cached_keys`: a JWKS
        kept from an earlier run (ignored if it does not import); `on_fetched`: told each fetched JWKS."""
        self._client = client
        self._config = config
        self._client_id = client_id
        self._audience = audience
        self._skew = skew
        self._clock = clock
        self._keys: KeySet | None = _import_keys(cached_keys) if cached_keys else None
        self._keys_cached = self._keys is not None  # not fetched by this run: verified before trusted
        self._on_fetched = on_fetched
        self.jwks_fetches = 0

    async def _fetch_keys(self) -> KeySet:
        try:
            response = await self._client().get(self._config.jwks_uri)
        except httpx.TransportError as exc:
            raise unreachable("fetching its signing keys", self._config.jwks_uri, exc) from exc
        if response.status_code != 200:
            raise BackendUnavailable(
                f"The sign-in server answered {response.status_code} for its signing keys (JWKS)."
            )
        self.jwks_fetches += 1
        try:
            document: dict[str, Any] = {"keys": [k for k in response.json()["keys"] if k.get("kty") == "RSA"]}
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]  # checked by joserfc
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, RecursionError, JoseError,
                AttributeError) as exc:  # fmt: skip
            raise TokenInvalid("The sign-in server's signing keys (JWKS) could not be read.") from exc
        self._keys, self._keys_cached = keys, False
        if self._on_fetched is not None:
            await self._on_fetched(document)
        return keys

    @staticmethod
    def _kid(token: str) -> str:
        try:
            header = jws.extract_compact(token.encode("ascii")).protected
        except (JoseError, ValueError, UnicodeError) as exc:
            raise TokenInvalid("The access token is not a JWT.") from exc
        if header.get("alg") != "RS256":
            raise TokenInvalid(f"The access token is signed with {header.get('alg')!r}, expected RS256.")
        return str(header.get("kid", ""))

    async def validate(self, token: str) -> dict[str, Any]:
        """The claims of a valid access token; `TokenInvalid` otherwise."""
        kid = self._kid(token)
        keys = self._keys or await self._fetch_keys()
        if kid and not any(k.kid == kid for k in keys):
            log.info("unknown signing key id; fetching the JWKS again (key rotation)")
            keys = await self._fetch_keys()
        try:
            claims = self._verified(token, keys)
        except TokenInvalid:
            if not self._keys_cached:
                raise
            log.info("the signature fails against the cached JWKS; fetching it again")
            claims = self._verified(token, await self._fetch_keys())
        self._check_claims(claims)
        return claims

    @staticmethod
    def _verified(token: str, keys: KeySet) -> dict[str, Any]:
        try:
            return dict(jwt.decode(token, keys, algorithms=["RS256"]).claims)
        except JoseError as exc:
            raise TokenInvalid(
                "The access token's signature does not verify against the sign-in server's keys.",
                hint="Sign in again; if it persists, check that the issuer in the profile is right.",
            ) from exc

    def _check_claims(self, claims: dict[str, Any]) -> None:
        now = self._clock()
        if claims.get("iss") != self._config.issuer:
            raise TokenInvalid(
                f"The access token was issued by {claims.get('iss')!r}, not {self._config.issuer!r}."
            )
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp + self._skew < now:
            raise TokenInvalid("The access token has expired.", hint="Sign in again.")
        iat = claims.get("iat")
        if isinstance(iat, int | float) and iat - self._skew > now:
            raise TokenInvalid(
                "The access token was issued in the future: this computer's clock is wrong.",
                hint="Correct the system clock.",
            )
        azp = claims.get("azp")
        if azp is not None and azp != self._client_id:
            raise TokenInvalid(f"The access token was issued to client {azp!r}, not {self._client_id!r}.")
        if self._audience:
            aud = claims.get("aud")
            audiences = aud if isinstance(aud, list) else [aud]
            if self._audience not in audiences:
                raise TokenInvalid(f"The access token is not meant for audience {self._audience!r}.")


def _import_keys(document: dict[str, Any]) -> KeySet | None:
    """A cached JWKS as keys, or None when it does not import (then it is fetched)."""
    try:
        keys = KeySet.import_key_set({"keys": [k for k in document["keys"] if k.get("kty") == "RSA"]})
    except (KeyError, TypeError, ValueError, RecursionError, JoseError, AttributeError):
        return None
    return keys if keys.keys else None
