"""The services one run of the app uses, handed by the composition root to the CLI and the presenters.

App-wide: folders, profiles, settings, secrets, the saga journal and the worker pools. Per profile:
`active`, which holds the `ProfileServices` of the active profile (built and replaced by
`app/profile_composition.py`). Only `app.container` constructs this object; `aclose()` closes the
profile services, then stops the worker threads (quit, end of a CLI command).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.active_profile import ActiveProfile
from hyperota_desktop.services.activity import recent_activity
from hyperota_desktop.services.profile_services import ProfileServices
from hyperota_desktop.services.profiles import ProfileService
from hyperota_desktop.services.workers import Workers
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.stores.journal import Journal, SagaRecord
from hyperota_desktop.stores.secrets import SecretStore
from hyperota_desktop.stores.settings import SettingsStore


@dataclass
class AppServices:
    dirs: AppDirs
    profiles: ProfileService
    settings: SettingsStore
    secrets: SecretStore
    journal: Journal  # every saga of every profile (each profile's runner is scoped to it)
    workers: Workers  # transfer and short-call thread pools (services.workers)
    active: ActiveProfile
    # The composition root's builder for a profile that is not saved (the sandbox demo's author).
    build_temporary: Callable[[Profile], ProfileServices]

    def profile(self) -> ProfileServices:
        """The services of the active profile (raises NotFound without one)."""
        return self.active.current()

    def temporary_profile(self, profile: Profile) -> ProfileServices:
        """Services for a profile outside the profile store, built like the active profile's (nothing
        they learn about it is saved). The caller owns them: `aclose()` them when done."""
        return self.build_temporary(profile)

    async def activity(self, limit: int = 200, org: str = "", app: str = "") -> list[SagaRecord]:
        """The journal, newest first, runs whose process died shown as interrupted; `org`/`app`: only
        what was done there."""
        return await self.workers.short(recent_activity, self.journal, limit, org, app)

    async def aclose(self) -> None:
        await self.active.aclose()
        await self.workers.aclose()
