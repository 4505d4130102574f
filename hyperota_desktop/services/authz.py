"""Who may do what: the one authorizer every caller asks (GUI, CLI, and any service: packages, members,
organisations, releases, archives).

Decisions are `domain.access.can()` — the `Action` table of levels per organisation and application, and
realm administrators — applied to the signed-in person's `Identity`. The composition root gives the
loader: roles from the validated token, memberships from Keycloak *now* (Account API), so a level granted
or removed a moment ago counts, where the token's groups claim would lag until its next refresh. The
identity is kept for `ttl` seconds; a refusal based on an older one is checked once more against a fresh
one before it is final. Services call `forget()` after they change memberships; the composition root
calls `reset()` when the person changes (sign-in, sign-out).

- `await require(action, org, app)`: the identity, or `PermissionDenied` with the reason (exit 4);
  `AuthError` when nobody is signed in (exit 3).
- `await permission(action, org, app)`: the same decision as a `Permission` (allowed, reason).
- `known(action, org, app)`: the decision on the identity already loaded, without waiting (the UI
  enables and explains its controls with it); `subscribe()` says when that identity changed.

The backends still enforce their own rules; this is where the client refuses early, with a reason, the
same for every caller.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from hyperota_desktop.domain.access import REALM_ADMINISTRATOR, AccessLevel, Action, Identity, Permission, can
from hyperota_desktop.domain.errors import AuthError, MissingRight, PermissionDenied

log = logging.getLogger("hyperota.services.authz")
IdentityLoader = Callable[[], Awaitable[Identity]]
Listener = Callable[[Identity | None], None]
RECHECK_AFTER = 2.0  # seconds: a refusal based on an identity older than this is checked once more


class Authorizer:
    def __init__(
        self, load: IdentityLoader, *, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._clock = clock
        self._identity: Identity | None = None
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()
        self._listeners: list[Listener] = []
        self._person = 0  # counts changes of person: a load started before one is never kept

    # -- the identity ------------------------------------------------------------------------------------
    @property
    def current(self) -> Identity | None:
        """The identity loaded last (None: nobody signed in, or not loaded yet)."""
        return self._identity

    async def identity(self, *, fresh: bool = False) -> Identity:
        """The signed-in person with their current memberships (AuthError when nobody is signed in)."""
        if not fresh and self._identity is not None and self._age() < self._ttl:
            return self._identity
        async with self._lock:
            if not fresh and self._identity is not None and self._age() < self._ttl:
                return self._identity
            for _ in range(3):
                person = self._person
                try:
                    identity = await self._load()
                except AuthError:
                    if person == self._person:
                        self._set(None)
                    raise
                if person == self._person:
                    self._loaded_at = self._clock()
                    self._set(identity)
                    return identity
                # the person changed while this was read: it is the previous one's, never kept
                log.info("the signed-in person changed while their memberships were read; reading again")
            raise AuthError("The sign-in kept changing while it was being read.", hint="Try again.")

    def forget(self) -> None:
        """Memberships changed (an organisation created, a member added): load them again next time."""
        self._loaded_at = float("-inf")

    def reset(self) -> None:
        """The person changed (signed in, out, or the sign-in ended): nothing known until loaded again,
        and nothing a load already under way returns is kept (it read the previous person)."""
        self._person += 1
        self._loaded_at = float("-inf")
        self._set(None)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(identity)` whenever the known identity changes; returns the unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # -- decisions ---------------------------------------------------------------------------------------
    async def require(self, action: Action, org: str = "", app: str = "") -> Identity:
        identity = await self.identity()
        decision = can(identity, action, org, app)
        if not decision.allowed and self._age() > RECHECK_AFTER:  # granted since we looked?
            identity = await self.identity(fresh=True)
            decision = can(identity, action, org, app)
        if not decision.allowed:
            log.info("refused %s on %s/%s for %s", action.name, org, app, identity.display_name())
            if decision.right:  # a realm role only a realm administrator gives
                raise MissingRight(decision.reason, right=decision.right, granted_by=REALM_ADMINISTRATOR)
            raise PermissionDenied(decision.reason)
        return identity

    async def permission(self, action: Action, org: str = "", app: str = "") -> Permission:
        try:
            await self.require(action, org, app)
        except PermissionDenied as exc:
            return Permission(False, exc.message)
        except AuthError:
            return can(None, action, org, app)
        return Permission(True)

    def known(self, action: Action, org: str = "", app: str = "") -> Permission:
        return can(self._identity, action, org, app)

    async def level(self, org: str, app: str = "", *, fresh: bool = False) -> AccessLevel:
        """The person's level on an organisation or application: their memberships, or what their realm
        roles give everywhere (`domain.access.realm_level`), whichever is higher."""
        identity = await self.identity(fresh=fresh)
        return identity.app_access(org, app) if app else identity.org_access(org)

    # -- internals ---------------------------------------------------------------------------------------
    def _age(self) -> float:
        return self._clock() - self._loaded_at

    def _set(self, identity: Identity | None) -> None:
        changed = identity != self._identity
        self._identity = identity
        if changed:
            for listener in list(self._listeners):
                try:
                    listener(identity)
                except Exception:
                    log.exception("authorization listener failed")
