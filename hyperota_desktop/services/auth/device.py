"""Device authorization grant (RFC 8628): ask for a code, then poll the token endpoint.

`poll_device` is an async iterator of `LoginState`s so the UI can say what is happening: waiting,
slowed down (the server asked for a longer interval), network lost (retrying with backoff), and the
end states expired, denied or signed in. Cancel it by cancelling the task that iterates it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

import httpx

from hyperota_desktop.domain.errors import AuthError, BackendUnavailable
from hyperota_desktop.domain.redaction import KNOWN_SECRETS
from hyperota_desktop.services.auth.discovery import (
    DEVICE_GRANT,
    OidcConfig,
    client_problem,
    json_object,
    oauth_error,
    unreachable,
)
from hyperota_desktop.services.auth.tokens import TokenResponse, parse_token_response, whole_seconds

log = logging.getLogger("hyperota.services.auth")
SCOPE = "openid profile email offline_access"
DEFAULT_INTERVAL = 5
SLOW_DOWN_STEP = 5  # RFC 8628 section 3.5
MAX_BACKOFF = 60.0
MAX_INTERVAL = 300  # a server asking for a longer poll interval is misbehaving
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class DeviceAuthorization:
    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_at: float  # on the service's clock
    interval: int

    @property
    def qr_target(self) -> str:
        """What the QR code encodes: the complete URI when the server gives one."""
        return self.verification_uri_complete or self.verification_uri


class LoginStatus(StrEnum):
    WAITING = "waiting"
    SLOWED_DOWN = "slowed_down"
    NETWORK_LOST = "network_lost"
    EXPIRED = "expired"
    DENIED = "denied"
    SIGNED_IN = "signed_in"

    @property
    def final(self) -> bool:
        return self in (LoginStatus.EXPIRED, LoginStatus.DENIED, LoginStatus.SIGNED_IN)


@dataclass(frozen=True)
class LoginState:
    status: LoginStatus
    message: str
    interval: int
    expires_at: float
    retry_in: float = 0.0  # NETWORK_LOST: seconds until the next attempt
    attempt: int = 0  # NETWORK_LOST: consecutive failures so far
    tokens: TokenResponse | None = field(default=None, repr=False)  # SIGNED_IN only (inside services)


async def request_device_code(
    client: httpx.AsyncClient,
    config: OidcConfig,
    client_id: str,
    *,
    scope: str = SCOPE,
    clock: Callable[[], float] = time.time,
) -> DeviceAuthorization:
    url = config.device_authorization_endpoint
    try:
        response = await client.post(url, data={"client_id": client_id, "scope": scope})
    except httpx.TransportError as exc:
        raise unreachable("asking for a sign-in code", url, exc) from exc
    if response.status_code != 200:
        error, description = oauth_error(response)
        problem = client_problem(error, description, client_id)
        if problem is not None:
            raise problem
        if response.status_code >= 500:
            raise BackendUnavailable(
                f"The sign-in server answered {response.status_code} when asked for a code.",
                hint="Try again later.",
            )
        raise AuthError(f"The sign-in server refused to start device sign-in: {description or error}.")
    body = json_object(response, "the request for a sign-in code")
    device_code, user_code = body.get("device_code"), body.get("user_code")
    verification_uri = body.get("verification_uri") or body.get("verification_url")
    for key, value in (("device_code", device_code), ("user_code", user_code),
                       ("verification_uri", verification_uri)):  # fmt: skip
        if not isinstance(value, str) or not value:
            raise AuthError(f"The sign-in server's device answer lacks {key}.")
    assert isinstance(device_code, str) and isinstance(user_code, str) and isinstance(verification_uri, str)
    complete = body.get("verification_uri_complete")
    KNOWN_SECRETS.add(device_code)
    return DeviceAuthorization(
        device_code=device_code,
        user_code=user_code,
        verification_uri=verification_uri,
        verification_uri_complete=complete if isinstance(complete, str) else "",
        expires_at=clock() + (whole_seconds(body, "expires_in", 600, most=86_400) or 600),
        interval=max(1, whole_seconds(body, "interval", DEFAULT_INTERVAL, most=MAX_INTERVAL)),
    )


def poll_wait(interval: float) -> float:
    """How long to wait before the next poll: the interval plus a margin, because event-loop timers
    (Qt's coarse timers under qasync fire up to 5 % early) must never make us poll before the server's
    interval has passed; a poll that early is answered with slow_down and a 5 s longer interval."""
    return interval + max(0.25, 0.06 * interval)


async def poll_device(
    client: httpx.AsyncClient,
    config: OidcConfig,
    client_id: str,
    flow: DeviceAuthorization,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[LoginState]:
    """Poll until approved, denied or expired; network trouble is reported and retried, not raised."""
    interval = flow.interval
    failures = 0

    def state(status: LoginStatus, message: str, **extra: object) -> LoginState:
        return LoginState(status, message, interval, flow.expires_at, **extra)  # type: ignore[arg-type]

    yield state(LoginStatus.WAITING, "Waiting for you to approve the sign-in in your browser.")
    delay: float = interval
    while True:
        remaining = flow.expires_at - clock()
        if remaining <= 0:
            yield state(LoginStatus.EXPIRED, "The code expired before it was approved. Get a new code.")
            return
        await sleep(min(poll_wait(delay), remaining))
        data = {"grant_type": DEVICE_GRANT, "device_code": flow.device_code, "client_id": client_id}
        try:
            response = await client.post(config.token_endpoint, data=data)
        except httpx.TransportError as exc:
            failures += 1
            delay = min(max(float(interval), 2.0**failures), MAX_BACKOFF)
            log.info("device poll failed (%s); retrying in %.0f s", type(exc).__name__, delay)
            yield state(
                LoginStatus.NETWORK_LOST,
                f"Network lost ({type(exc).__name__}); retrying in {delay:.0f} s.",
                retry_in=delay,
                attempt=failures,
            )
            continue
        if response.status_code >= 500 or response.status_code == 429:
            failures += 1
            delay = min(max(float(interval), 2.0**failures), MAX_BACKOFF)
            yield state(
                LoginStatus.NETWORK_LOST,
                f"The sign-in server answered {response.status_code}; retrying in {delay:.0f} s.",
                retry_in=delay,
                attempt=failures,
            )
            continue
        recovered = failures > 0
        failures = 0
        delay = interval
        if response.status_code == 200:
            tokens = parse_token_response(json_object(response, "the sign-in"))
            yield state(LoginStatus.SIGNED_IN, "Signed in.", tokens=tokens)
            return
        error, description = oauth_error(response)
        if error == "authorization_pending":
            text = "Connection restored. " if recovered else ""
            yield state(LoginStatus.WAITING, text + "Waiting for you to approve the sign-in in your browser.")
        elif error == "slow_down":
            interval += SLOW_DOWN_STEP
            delay = interval
            yield state(
                LoginStatus.SLOWED_DOWN,
                f"The sign-in server asked us to slow down; checking every {interval} s.",
            )
        elif error == "expired_token":
            yield state(LoginStatus.EXPIRED, "The code expired before it was approved. Get a new code.")
            return
        elif error == "access_denied":
            yield state(LoginStatus.DENIED, "The sign-in was denied in the browser.")
            return
        elif error == "invalid_grant" and clock() >= flow.expires_at - interval:
            # Keycloak answers expired_token only until expires_in + interval + 10 s, then forgets the
            # code (DeviceEndpoint.java): a poll that late (a computer waking from sleep) is an expiry.
            yield state(LoginStatus.EXPIRED, "The code expired before it was approved. Get a new code.")
            return
        else:
            problem = client_problem(error, description, client_id)
            if problem is not None:
                raise problem
            raise AuthError(
                f"The sign-in server refused the code: {description or error or response.status_code}.",
                hint="Start the sign-in again.",
            )
