"""The services of the active profile, built when first needed and replaced exactly when they must be.

- another profile becomes the active one, or the active profile is edited: `current()` builds new
  services for it; the old ones are handed back by `detach()` (or closed by `aclose()`), so the caller
  can first stop the work still running on them (the GUI's presenters), then close them.
- its static AWS keys change: only the AWS session and clients are replaced (`aws.invalidate()`).
- someone else signs in, or nobody: `ProfileServices.person_changed()` (wired by the composition root).

No Qt here: the CLI uses it as it is; the GUI's composition root drives the replacement on a switch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.profile_services import ProfileServices
from hyperota_desktop.services.profiles import ProfileEvent, ProfileService

log = logging.getLogger("hyperota.services.profile")
Build = Callable[[Profile], ProfileServices]


class ActiveProfile:
    def __init__(self, profiles: ProfileService, build: Build) -> None:
        self._profiles = profiles
        self._build = build
        self._current: ProfileServices | None = None
        self._retired: list[ProfileServices] = []
        self._unsubscribe = profiles.subscribe(self._on_profile_event)

    def current(self) -> ProfileServices:
        """The services of the active profile (NotFound when there is no profile).

        When the active profile is another one, or was edited since they were built, the old services
        are retired (closed by `detach()`'s caller or by `aclose()`) and new ones are built.
        """
        profile = self._profiles.active()
        if self._current is not None and self._current.profile == profile:
            return self._current
        if self._current is not None:
            log.info("profile %s changed or is no longer active: new services", self._current.profile.name)
            self._retired.append(self._current)
        self._current = self._build(profile)
        return self._current

    def peek(self) -> ProfileServices | None:
        """The services built last, without building any."""
        return self._current

    def stale(self) -> bool:
        """Whether `current()` would build new services (the profile switched or was edited)."""
        try:
            profile = self._profiles.active()
        except Exception:
            return self._current is not None
        return self._current is None or self._current.profile != profile

    def detach(self) -> list[ProfileServices]:
        """Hand over the services to close: those retired, and the current ones if they are stale."""
        if self._current is not None and self.stale():
            self._retired.append(self._current)
            self._current = None
        retired, self._retired = self._retired, []
        return retired

    def updated(self, profile: Profile) -> None:
        """The services themselves saved a change to their profile (e.g. the Superposition org id they
        discovered): it is still theirs, so it does not make them stale."""
        if self._current is not None and self._current.profile.name == profile.name:
            self._current.profile = profile

    async def aclose(self) -> None:
        """Close every service this holder built (quit)."""
        self._unsubscribe()
        closing = [*self._retired, *([self._current] if self._current is not None else [])]
        self._retired, self._current = [], None
        for services in closing:
            await services.aclose()

    def _on_profile_event(self, event: ProfileEvent, name: str) -> None:
        current = self._current
        if current is not None and event is ProfileEvent.AWS_KEYS and current.profile.name == name:
            log.info("AWS keys of profile %s changed: new AWS credentials and clients", name)
            current.aws.invalidate()
