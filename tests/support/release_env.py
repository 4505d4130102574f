"""Release services wired to a sandbox over real HTTP for one signed-in user (as the app wires them)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.dimensions import DimensionKind
from hyperota_desktop.domain.membership import MemberScope
from hyperota_desktop.services.device_preview import DevicePreviewService
from hyperota_desktop.services.dimensions import DimensionService
from hyperota_desktop.services.members import MemberService
from hyperota_desktop.services.orgs import OrgService
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.release_services import ReleaseServices, make_release_services
from hyperota_desktop.services.releases import ReleaseService
from hyperota_desktop.stores.journal import Journal
from tests.support import bundles
from tests.support.org_env import OrgEnv, make_env
from tests.support.packages_env import make_service

_names = itertools.count()


def fresh(prefix: str) -> str:
    return f"{prefix}{next(_names)}"


@dataclass
class ReleaseEnv:
    sandbox: Any
    username: str
    org_env: OrgEnv
    packages: PackageService
    services: ReleaseServices

    @property
    def releases(self) -> ReleaseService:
        return self.services.releases

    @property
    def dimensions(self) -> DimensionService:
        return self.services.dimensions

    @property
    def previews(self) -> DevicePreviewService:
        return self.services.previews

    async def aclose(self) -> None:
        await self.org_env.aclose()


@dataclass
class OrgPageServices:
    """What the organisations presenter uses of `ProfileServices`, from an `OrgEnv`."""

    orgs: OrgService
    members: MemberService
    releases: ReleaseService


def org_page_services(env: OrgEnv) -> OrgPageServices:
    packages = make_service(
        env.folder / "home", env.sandbox.aws.endpoint, public_base_url=env.sandbox.aws.public_base_url,
        actor=env.username, authz=env.authz,
    )  # fmt: skip
    built = make_release_services(env.backends.superposition, packages, env.orgs, env.runner, env.authz)
    return OrgPageServices(env.orgs, env.members, built.releases)


def make_release_env(sandbox: Any, username: str, folder: Path, journal: Journal | None = None) -> ReleaseEnv:
    org_env = make_env(sandbox, username, folder, journal=journal)
    packages = make_service(
        folder / "home", sandbox.aws.endpoint, public_base_url=sandbox.aws.public_base_url, actor=username,
        authz=org_env.authz,
    )  # fmt: skip
    services = make_release_services(
        org_env.backends.superposition, packages, org_env.orgs, org_env.runner, org_env.authz
    )
    return ReleaseEnv(sandbox, username, org_env, packages, services)


async def new_app(env: ReleaseEnv, tmp: Path, *, packages: int = 2, readers: tuple[str, ...] = ()) -> str:
    """A fresh application of `demo` with dimensions city (string) and tier (enum) and `packages`
    published packages (each a little different); `readers` get a read role on the application."""
    app = fresh("rel")
    await env.org_env.orgs.create_app("demo", app)
    await env.dimensions.create("demo", app, "city", DimensionKind.STRING)
    await env.dimensions.create("demo", app, "tier", DimensionKind.ENUM, values=("free", "gold"))
    for i in range(packages):
        root = bundles.react_native(tmp / f"{app}-bundle{i}", seed=f"v{i}".encode())
        await env.packages.publish("demo", app, [root], tag=f"t{i + 1}")
    for user in readers:
        await env.org_env.members.add(MemberScope("demo", app), user, AccessLevel.READ)
    return app


def a_device(sandbox: Any, identifier: str = "dev-1", toss: int = 5) -> dict[str, Any]:
    """How a preview names one device on this sandbox's build: its toss on v0.74 (no identifier
    bucketing there), its identifier on later builds."""
    if sandbox.superposition.build.experiment_groups:
        return {"identifier": identifier}
    return {"toss": toss}
