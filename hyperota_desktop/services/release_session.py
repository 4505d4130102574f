"""The release services of one profile: built by `make_release_services` from what they need, opened
for the CLI (and soon the GUI) by `open_releases` — the one place they are wired."""

from __future__ import annotations

from dataclasses import dataclass

from hyperota_desktop.domain.errors import NotFound
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.services.device_preview import DevicePreviewService
from hyperota_desktop.services.dimensions import DimensionService
from hyperota_desktop.services.org_session import OrgSession, open_orgs
from hyperota_desktop.services.orgs import OrgService
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.release_access import WorkspaceLocator
from hyperota_desktop.services.releases import ReleaseService
from hyperota_desktop.services.saga import SagaRunner
from hyperota_desktop.services.superposition import SuperpositionClient


@dataclass
class ReleaseServices:
    dimensions: DimensionService
    releases: ReleaseService
    previews: DevicePreviewService


def make_release_services(
    superposition: SuperpositionClient, packages: PackageService, orgs: OrgService, runner: SagaRunner
) -> ReleaseServices:
    """Dimensions, releases and device previews over one Superposition client; registers the
    `release.*` saga kinds on `runner`."""
    locator = WorkspaceLocator(orgs)
    dimensions = DimensionService(superposition, orgs, locator)
    return ReleaseServices(
        dimensions=dimensions,
        releases=ReleaseService(superposition, packages, orgs, runner, locator, dimensions),
        previews=DevicePreviewService(superposition, orgs, locator, dimensions),
    )


@dataclass
class ReleaseSession:
    orgs: OrgSession
    services: ReleaseServices

    @property
    def dimensions(self) -> DimensionService:
        return self.services.dimensions

    @property
    def releases(self) -> ReleaseService:
        return self.services.releases

    @property
    def previews(self) -> DevicePreviewService:
        return self.services.previews

    async def aclose(self) -> None:
        await self.orgs.aclose()
        await self.orgs.session.aclose()


def open_releases(services: AppServices, profile: Profile | None = None) -> ReleaseSession:
    orgs = open_orgs(services, profile)
    packages = orgs.session.packages
    if packages is None:
        raise NotFound("This profile has no package service.")
    built = make_release_services(orgs.backends.superposition, packages, orgs.orgs, orgs.session.sagas)
    return ReleaseSession(orgs, built)
