"""`AuthService`: one profile's sign-in, tokens, refresh and identity. Implements `http.TokenSource`.

- Access tokens are refreshed ahead of expiry and after a 401; concurrent callers share one refresh.
- Refresh tokens may rotate: the new one is saved at once. A refused refresh clears the tokens and
  raises `SessionExpired` (an `AuthError`); listeners hear `AuthEvent.SESSION_EXPIRED` so the UI can
  ask to sign in again without leaving the screen the person is on.
- Every token value is registered with the log redactor as soon as it is received or loaded.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping
from enum import StrEnum
from typing import Any

import httpx

from hyperota_desktop.domain.access import Identity, groups_claim, identity_from_claims
from hyperota_desktop.domain.errors import BackendUnavailable, HyperOtaError
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.domain.redaction import KNOWN_SECRETS
from hyperota_desktop.services.auth.device import (
    DeviceAuthorization,
    LoginState,
    LoginStatus,
    Sleep,
    poll_device,
    request_device_code,
)
from hyperota_desktop.services.auth.discovery import (
    OidcConfig,
    fetch_configuration,
    json_object,
    oauth_error,
    parse_configuration,
    unreachable,
)
from hyperota_desktop.services.auth.documents import CONFIGURATION, JWKS, OidcDocuments
from hyperota_desktop.services.auth.errors import (
    NotSignedIn,
    SessionExpired,
    SignInDenied,
    SignInExpired,
    TokenInvalid,
)
from hyperota_desktop.services.auth.store import ENV_REFRESH_TOKEN, StoredTokens, TokenStore
from hyperota_desktop.services.auth.tokens import TokenResponse, TokenValidator, parse_token_response
from hyperota_desktop.services.http import ApiClient
from hyperota_desktop.services.tls import tls_context
from hyperota_desktop.stores.secrets import SecretStore

log = logging.getLogger("hyperota.services.auth")
REFRESH_MARGIN = 30.0  # refresh this many seconds before the access token expires
REFRESH_ATTEMPTS = 3  # a busy or unreachable sign-in server is asked again, with backoff


class AuthEvent(StrEnum):
    SIGNED_IN = "signed_in"
    SIGNED_OUT = "signed_out"
    SESSION_EXPIRED = "session_expired"


class AuthService:
    def __init__(
        self,
        profile: Profile,
        secrets: SecretStore,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        audience: str | None = None,
        timeout: float = 15.0,
        documents: OidcDocuments | None = None,
    ) -> None:
        """`documents`: the disk cache of the issuer's discovery and JWKS (none: read them each run)."""
        self.profile = profile
        self._documents = documents
        env_token = (os.environ if environ is None else environ).get(ENV_REFRESH_TOKEN, "").strip()
        self._env_token = env_token or None
        KNOWN_SECRETS.add(self._env_token)
        self._store = TokenStore(secrets, profile.name, write=self._env_token is None)
        self._clock = clock
        self._sleep = sleep
        self._audience = audience
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._config: OidcConfig | None = None
        self._validator: TokenValidator | None = None
        self._lock = asyncio.Lock()
        self._load_lock = asyncio.Lock()  # the first callers after start all wait for the keyring read
        self._loaded = False
        self._access: str | None = None
        self._refresh: str | None = None
        self._claims: dict[str, Any] = {}
        self._identity: tuple[str, Identity] | None = None
        self._listeners: list[Callable[[AuthEvent], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self.refresh_count = 0  # refresh requests sent (diagnostics and tests)

    # -- plumbing ----------------------------------------------------------------------------------------
    @property
    def http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self._timeout, follow_redirects=False, verify=tls_context()
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def subscribe(self, listener: Callable[[AuthEvent], None]) -> Callable[[], None]:
        """Hear sign-in events; returns the function that removes the listener again."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _emit(self, event: AuthEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("auth listener failed on %s", event)

    @property
    def uses_environment_token(self) -> bool:
        return self._env_token is not None

    def persistence_notice(self) -> str:
        """Empty when tokens are kept in the OS keyring, else what the person should know (blocking)."""
        if self._env_token is not None:
            return f"Using the refresh token from {ENV_REFRESH_TOKEN}: kept in memory, never saved."
        if not self._store.persistent():
            return "No OS keyring is available: you stay signed in only until the app closes."
        return ""

    async def config(self) -> OidcConfig:
        if self._config is None:
            self._config = await self._cached_config() or await self._discover()
        return self._config

    async def _cached_config(self) -> OidcConfig | None:
        body = await self._cached(CONFIGURATION)
        try:
            return parse_configuration(body, self.profile.issuer) if body else None
        except HyperOtaError:  # not what this issuer would answer (any more): ask it
            return None

    async def _discover(self) -> OidcConfig:
        body = await fetch_configuration(self.http, self.profile.issuer)
        config = parse_configuration(body, self.profile.issuer)
        await self._keep(CONFIGURATION, body)
        return config

    async def _cached(self, kind: str) -> dict[str, Any] | None:
        if self._documents is None:
            return None
        return await asyncio.to_thread(self._documents.get, self.profile.issuer, kind)

    async def _keep(self, kind: str, body: dict[str, Any]) -> None:
        if self._documents is not None:
            await asyncio.to_thread(self._documents.put, self.profile.issuer, kind, body)

    async def _keep_jwks(self, body: dict[str, Any]) -> None:
        await self._keep(JWKS, body)

    async def _validator_for(self) -> TokenValidator:
        if self._validator is None:
            self._validator = TokenValidator(
                lambda: self.http,
                await self.config(),
                self.profile.client_id,
                audience=self._audience,
                clock=self._clock,
                cached_keys=await self._cached(JWKS),
                on_fetched=self._keep_jwks,
            )
        return self._validator

    async def _load(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._loaded:
            return
        async with self._load_lock:
            if self._loaded:
                return
            try:
                await self._load_stored()
            finally:
                self._loaded = True

    async def _load_stored(self) -> None:
        if self._env_token is not None:
            self._refresh = self._env_token
            return
        stored: StoredTokens = await self._store.load()
        KNOWN_SECRETS.add(stored.access_token)
        KNOWN_SECRETS.add(stored.refresh_token)
        self._refresh = stored.refresh_token
        if stored.access_token and stored.refresh_token:
            try:
                self._claims = await (await self._validator_for()).validate(stored.access_token)
                self._access = stored.access_token
            except TokenInvalid:
                self._access = None  # expired or from an old key: the refresh token gets a new one
            except BackendUnavailable:
                self._access = None

    # -- state -------------------------------------------------------------------------------------------
    async def is_signed_in(self) -> bool:
        """Whether tokens exist (from the keyring or the environment); does not contact the server."""
        await self._load()
        return self._refresh is not None or self._access is not None

    def _fresh(self) -> bool:
        exp = self._claims.get("exp")
        return bool(self._access) and isinstance(exp, int | float) and exp - self._clock() > REFRESH_MARGIN

    async def _accept(self, tokens: TokenResponse) -> None:
        claims = await (await self._validator_for()).validate(tokens.access_token)
        self._access, self._claims = tokens.access_token, claims
        if tokens.refresh_token:
            self._refresh = tokens.refresh_token
        await self._store.save(tokens.access_token, self._refresh)

    # -- login -------------------------------------------------------------------------------------------
    async def begin_login(self) -> DeviceAuthorization:
        """Discovery + a new device code to show to the person."""
        self._loop = asyncio.get_running_loop()
        config = await self.config()
        return await request_device_code(self.http, config, self.profile.client_id, clock=self._clock)

    async def poll_login(self, flow: DeviceAuthorization) -> AsyncIterator[LoginState]:
        """States until the end; on approval the tokens are validated and saved before SIGNED_IN."""
        config = await self.config()
        async for state in poll_device(
            self.http, config, self.profile.client_id, flow, clock=self._clock, sleep=self._sleep
        ):
            if state.status is LoginStatus.SIGNED_IN and state.tokens is not None:
                async with self._lock:
                    self._loaded = True
                    await self._accept(state.tokens)
                    self._identity = None
                log.info("signed in to profile %s", self.profile.name)
                self._emit(AuthEvent.SIGNED_IN)
                yield LoginState(state.status, state.message, state.interval, state.expires_at)
            else:
                yield state

    async def login(
        self,
        on_state: Callable[[LoginState], None] | None = None,
        on_code: Callable[[DeviceAuthorization], None] | None = None,
    ) -> Identity:
        """The whole device flow for headless use: `on_code` shows the code, `on_state` hears the
        states; raises `SignInDenied`/`SignInExpired` when it does not end signed in."""
        flow = await self.begin_login()
        if on_code is not None:
            on_code(flow)
        last: LoginState | None = None
        async for state in self.poll_login(flow):
            last = state
            if on_state is not None:
                on_state(state)
        if last is None or last.status is LoginStatus.EXPIRED:
            raise SignInExpired(
                "The sign-in code expired before it was approved.", hint="Run the sign-in again."
            )
        if last.status is LoginStatus.DENIED:
            raise SignInDenied("The sign-in was denied.", hint="Run the sign-in again to get a new code.")
        return await self.identity()

    # -- TokenSource -------------------------------------------------------------------------------------
    async def access_token(self) -> str:
        await self._load()
        if self._fresh() and self._access:
            return self._access
        async with self._lock:
            if self._fresh() and self._access:
                return self._access
            return await self._refresh_locked()

    def access_token_blocking(self, timeout: float = 60.0) -> str:
        """`access_token()` for code in a worker thread (botocore's credential refresh).

        The refresh runs on the event loop the service lives on; never call this from that loop.
        """
        loop = self._loop
        if loop is None or loop.is_closed():
            raise NotSignedIn(
                f"Not signed in to profile '{self.profile.name}' in this run.",
                hint="Sign in first; AWS web-identity credentials need the sign-in token.",
            )
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            raise RuntimeError("access_token_blocking() called on the event loop; use a worker thread")
        return asyncio.run_coroutine_threadsafe(self.access_token(), loop).result(timeout)

    async def refresh_after_unauthorized(self, stale: str) -> str:
        await self._load()
        async with self._lock:
            if self._access and self._access != stale and self._fresh():
                return self._access  # another caller refreshed while we waited
            return await self._refresh_locked()

    async def _refresh_locked(self) -> str:
        if not self._refresh:
            raise NotSignedIn(
                f"Not signed in to profile '{self.profile.name}'.",
                hint="Sign in with `hyperota login` or the Sign in button.",
                gui_hint="Sign in with the Sign in button.",
            )
        config = await self.config()
        data = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh,
            "client_id": self.profile.client_id,
        }
        self.refresh_count += 1
        response = await self._post_refresh(config.token_endpoint, data)
        if response.status_code >= 500 or response.status_code == 429:
            raise BackendUnavailable(
                f"The sign-in server answered {response.status_code} while renewing the sign-in.",
                hint="Try again in a moment.",
            )
        if response.status_code != 200:
            error, description = oauth_error(response)
            await self._forget()
            self._emit(AuthEvent.SESSION_EXPIRED)
            raise SessionExpired(
                f"Your sign-in for profile '{self.profile.name}' has ended ({description or error}).",
                hint="Sign in again; your work in the window is kept.",
            )
        await self._accept(parse_token_response(json_object(response, "the renewal of the sign-in")))
        log.info("renewed the access token of profile %s", self.profile.name)
        assert self._access is not None
        return self._access

    async def _post_refresh(self, url: str, data: dict[str, str]) -> httpx.Response:
        """The refresh grant, tried again (with backoff, honouring Retry-After) when the server is busy
        or unreachable: repeating it is safe (a server that revokes used refresh tokens answers
        invalid_grant to a repeat, which ends the sign-in as any refused renewal does)."""
        for attempt in range(REFRESH_ATTEMPTS):
            last = attempt + 1 == REFRESH_ATTEMPTS
            try:
                response = await self.http.post(url, data=data)
            except httpx.TransportError as exc:
                if last:
                    raise unreachable("renewing the sign-in", url, exc) from exc
                log.info("renewing the sign-in failed (%s); retrying", type(exc).__name__)
                await self._sleep(0.2 * 2**attempt)
                continue
            if last or not (response.status_code >= 500 or response.status_code == 429):
                return response
            after = response.headers.get("Retry-After", "")
            log.info("renewing the sign-in: the server answered %s; retrying", response.status_code)
            await self._sleep(min(float(after), 10.0) if after.isdigit() else 0.2 * 2**attempt)
        raise AssertionError("unreachable")

    async def _forget(self) -> None:
        self._access, self._refresh, self._claims, self._identity = None, None, {}, None
        self._env_token = None
        await self._store.clear()

    # -- identity ----------------------------------------------------------------------------------------
    async def claims(self) -> dict[str, Any]:
        """Validated claims of the current access token (refreshing it if needed)."""
        await self.access_token()
        return dict(self._claims)

    async def identity(self) -> Identity:
        """Who is signed in, with memberships from the `groups` claim or else the Account API."""
        token = await self.access_token()
        if self._identity is not None and self._identity[0] == token:
            return self._identity[1]
        claims = dict(self._claims)
        paths = groups_claim(claims)
        if paths is None:
            paths = await self._account_groups()
        identity = identity_from_claims(claims, paths)
        self._identity = (token, identity)
        return identity

    async def _account_groups(self) -> list[str]:
        config = await self.config()
        async with ApiClient(config.account_url, service="Keycloak Account API", tokens=self) as api:
            body = await api.json("GET", "/groups", params={"briefRepresentation": "true"})
        if not isinstance(body, list):
            raise BackendUnavailable("The Keycloak Account API sent groups in an unexpected shape.")
        return [str(g["path"]) for g in body if isinstance(g, dict) and isinstance(g.get("path"), str)]

    # -- logout ------------------------------------------------------------------------------------------
    async def logout(self) -> bool:
        """Revoke the refresh token (RFC 7009), then forget every token. True if the server confirmed."""
        await self._load()
        refresh = self._refresh
        revoked = False
        if refresh:
            try:
                config = await self.config()
                if config.revocation_endpoint:
                    response = await self.http.post(
                        config.revocation_endpoint,
                        data={
                            "token": refresh,
                            "token_type_hint": "refresh_token",
                            "client_id": self.profile.client_id,
                        },
                    )
                    revoked = response.status_code == 200
                    if not revoked:
                        log.warning("revocation answered %s", response.status_code)
            except HyperOtaError as exc:
                log.warning("could not revoke the refresh token: %s", exc.message)
            except httpx.TransportError as exc:
                log.warning("could not revoke the refresh token: %s", type(exc).__name__)
        await self._forget()
        self._emit(AuthEvent.SIGNED_OUT)
        return revoked
