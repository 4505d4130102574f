"""The release services of one profile, built together because they share what they know of a workspace.

`make_release_services` is a plain factory: the composition root (`app/profile_composition.py`) calls it
when it builds a profile's `ProfileServices` (which hold the three services as `dimensions`, `releases`
and `previews`), and test helpers call it to wire the services exactly as the app does. It registers the
`release.create` saga kind on the runner, so a creation a crash left unfinished is found and undone by
the profile's reconciliation.
"""

from __future__ import annotations

from dataclasses import dataclass

from hyperota_desktop.services.authz import Authorizer
from hyperota_desktop.services.device_preview import DevicePreviewService
from hyperota_desktop.services.dimensions import DimensionService
from hyperota_desktop.services.orgs import OrgService
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.release_access import WorkspaceLocator
from hyperota_desktop.services.release_create import register_release_sagas
from hyperota_desktop.services.releases import ReleaseService
from hyperota_desktop.services.saga import SagaRunner
from hyperota_desktop.services.superposition import SuperpositionClient


@dataclass(frozen=True)
class ReleaseServices:
    dimensions: DimensionService
    releases: ReleaseService
    previews: DevicePreviewService

    def forget(self) -> None:
        """Someone else (or nobody) is signed in: forget the workspaces and release rows read so far."""
        self.releases.forget()


def make_release_services(
    superposition: SuperpositionClient,
    packages: PackageService,
    orgs: OrgService,
    sagas: SagaRunner,
    authz: Authorizer,
) -> ReleaseServices:
    """Dimensions, releases and device previews over one Superposition client and one workspace
    locator, every permission asked of `authz`; registers the `release.*` saga kinds on `sagas`."""
    locator = WorkspaceLocator(orgs)
    dimensions = DimensionService(superposition, orgs, locator, authz)
    releases = ReleaseService(superposition, packages, orgs, sagas, locator, dimensions, authz)
    register_release_sagas(sagas, releases.saga_api)
    return ReleaseServices(
        dimensions=dimensions,
        releases=releases,
        previews=DevicePreviewService(superposition, orgs, locator, dimensions, authz),
    )
