"""`ProfileSession`: everything bound to one profile for this run (sign-in, AWS credentials, ...).

Built by the composition root (`app.container.open_session`) and handed out through `Sessions`, which
keeps one per profile and rebuilds it when the profile's settings change. Features add fields here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.archives import ArchiveService
from hyperota_desktop.services.auth import AuthService
from hyperota_desktop.services.aws_credentials import AwsCredentials
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.saga import SagaRunner
from hyperota_desktop.services.server_secrets import ServerSecrets


@dataclass
class ProfileSession:
    profile: Profile
    auth: AuthService
    aws: AwsCredentials
    sagas: SagaRunner  # this profile's runner: features register their saga kinds on it
    packages: PackageService | None = None  # None only in sessions built by hand (tests)
    archives: ArchiveService | None = None  # offline archives, export/import, KMS signing
    server_secrets: ServerSecrets | None = None  # the Hyper OTA server's .env, KMS-encrypted

    async def aclose(self) -> None:
        await self.auth.aclose()


class Sessions:
    """One `ProfileSession` per profile name, built on first use by the factory from the container."""

    def __init__(self, factory: Callable[[Profile], ProfileSession]) -> None:
        self._factory = factory
        self._open: dict[str, ProfileSession] = {}

    def get(self, profile: Profile) -> ProfileSession:
        current = self._open.get(profile.name)
        if current is None or current.profile != profile:
            current = self._factory(profile)
            self._open[profile.name] = current
        return current

    def forget(self, name: str) -> ProfileSession | None:
        return self._open.pop(name, None)

    async def aclose(self) -> None:
        for session in list(self._open.values()):
            await session.aclose()
        self._open.clear()
