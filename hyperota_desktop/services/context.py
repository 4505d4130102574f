"""The services one run of the app uses, handed by the composition root to the CLI and the presenters.

Fields are added here as features land; only `app.container` constructs this object.
"""

from __future__ import annotations

from dataclasses import dataclass

from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.profiles import ProfileService
from hyperota_desktop.services.saga import SagaRunner
from hyperota_desktop.services.session import ProfileSession, Sessions
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.stores.secrets import SecretStore
from hyperota_desktop.stores.settings import SettingsStore


@dataclass
class AppServices:
    dirs: AppDirs
    profiles: ProfileService
    settings: SettingsStore
    secrets: SecretStore
    sagas: SagaRunner  # app-wide journal of multi-step operations; kinds registered by each feature
    sessions: Sessions  # per-profile sign-in, AWS credentials, ... (built by app.container.open_session)

    def session(self, profile: Profile | None = None) -> ProfileSession:
        """The session of `profile`, or of the active profile (raises NotFound without one)."""
        return self.sessions.get(profile or self.profiles.active())
