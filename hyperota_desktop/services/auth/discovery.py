"""OIDC discovery: read `{issuer}/.well-known/openid-configuration` and explain what is wrong in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from hyperota_desktop.domain.errors import BackendUnavailable, ValidationError
from hyperota_desktop.domain.jsontext import parse_json
from hyperota_desktop.services.auth.errors import SignInConfigError

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    token_endpoint: str
    device_authorization_endpoint: str
    jwks_uri: str
    revocation_endpoint: str = ""
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""

    @property
    def account_url(self) -> str:
        """Keycloak's Account REST API lives under the issuer."""
        return f"{self.issuer}/account"


def unreachable(what: str, url: str, exc: Exception) -> BackendUnavailable:
    host = urlsplit(url).netloc or url
    return BackendUnavailable(
        f"Could not reach the sign-in server at {host} while {what} ({type(exc).__name__}).",
        hint="Check the network connection and the issuer URL in the profile.",
    )


async def discover(client: httpx.AsyncClient, issuer: str) -> OidcConfig:
    """The issuer's endpoints; `SignInConfigError` says what to fix in the profile."""
    return parse_configuration(await fetch_configuration(client, issuer), issuer)


async def fetch_configuration(client: httpx.AsyncClient, issuer: str) -> dict[str, Any]:
    """The issuer's discovery document as it answered (a JSON object), checked by `parse_configuration`."""
    issuer = issuer.rstrip("/")
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = await client.get(url)
    except httpx.TransportError as exc:
        raise unreachable("reading its configuration", url, exc) from exc
    if response.status_code == 404:
        raise SignInConfigError(
            f"The sign-in server has no realm at {issuer} (404).",
            hint="Check the issuer in the profile: it must be https://HOST/realms/REALM with the exact "
            "realm name (names are case-sensitive).",
        )
    if response.status_code >= 500:
        raise BackendUnavailable(
            f"The sign-in server answered {response.status_code} while reading its configuration.",
            hint="Try again later.",
        )
    body = _json_object(response)
    if response.status_code != 200 or body is None:
        raise SignInConfigError(
            f"{issuer} is not an OpenID Connect issuer (HTTP {response.status_code}).",
            hint="Check the issuer URL in the profile (a Keycloak realm URL).",
        )
    return body


def parse_configuration(body: dict[str, Any], issuer: str) -> OidcConfig:
    """The endpoints of a discovery document, if it is `issuer`'s and offers what sign-in needs (also
    for a cached copy: a document of another issuer is refused, never used)."""
    issuer = issuer.rstrip("/")
    announced = str(body.get("issuer", "")).rstrip("/")
    if announced != issuer:
        raise SignInConfigError(
            f"The sign-in server calls itself '{announced}', but the profile says '{issuer}'.",
            hint=f"Set the profile's issuer to exactly {announced} (tokens name it and must match).",
        )
    missing = [k for k in ("token_endpoint", "jwks_uri") if not isinstance(body.get(k), str)]
    if missing:
        raise SignInConfigError(
            f"The sign-in server's configuration lacks {', '.join(missing)}.",
            hint="Check that the issuer is a Keycloak realm.",
        )
    device = body.get("device_authorization_endpoint")
    grants = body.get("grant_types_supported")
    if not isinstance(device, str) or (isinstance(grants, list) and DEVICE_GRANT not in grants):
        raise SignInConfigError(
            "The sign-in server does not offer device sign-in (OAuth 2.0 Device Authorization Grant).",
            hint="Use Keycloak 13 or newer and enable the device grant for the client, or check the issuer.",
        )
    return OidcConfig(
        issuer=issuer,
        token_endpoint=str(body["token_endpoint"]),
        device_authorization_endpoint=device,
        jwks_uri=str(body["jwks_uri"]),
        revocation_endpoint=_optional_url(body, "revocation_endpoint"),
        userinfo_endpoint=_optional_url(body, "userinfo_endpoint"),
        end_session_endpoint=_optional_url(body, "end_session_endpoint"),
    )


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = parse_json(response.content, "the answer")
    except ValidationError:
        return None
    return body if isinstance(body, dict) else None


def json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    """The JSON object a successful answer must hold; `BackendUnavailable` when it holds anything else
    (an HTML error page from a proxy, a truncated body): the server, not the person, is at fault."""
    body = _json_object(response)
    if body is None:
        raise BackendUnavailable(
            f"The sign-in server answered {what} with something that is not a JSON object "
            f"(HTTP {response.status_code}, {response.headers.get('content-type', 'no content type')}).",
            hint="Try again later; if it persists, a proxy in front of the sign-in server may be at fault.",
        )
    return body


def _optional_url(body: dict[str, Any], key: str) -> str:
    value = body.get(key, "")
    return value if isinstance(value, str) else ""


def oauth_error(response: httpx.Response) -> tuple[str, str]:
    """(`error`, `error_description`) of an OAuth error response ("" when absent)."""
    body = _json_object(response) or {}
    return str(body.get("error", "")), str(body.get("error_description", ""))


def client_problem(error: str, description: str, client_id: str) -> SignInConfigError | None:
    """The profile-fixing error for a client the server refuses, else None."""
    if error == "unauthorized_client":
        return SignInConfigError(
            f"The client '{client_id}' is not allowed to use device sign-in ({description or error}).",
            hint=f"Ask the Keycloak administrator to enable 'OAuth 2.0 Device Authorization Grant' on "
            f"client '{client_id}', or fix the client id in the profile.",
        )
    if error == "invalid_client":
        return SignInConfigError(
            f"The sign-in server does not know the client '{client_id}' ({description or error}).",
            hint="Check the client id in the profile: it must be a public client of this realm.",
        )
    return None
