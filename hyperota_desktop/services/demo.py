"""Demo content for the sandbox, made through the app's own services (so it is what a user would make).

Organisation `demo` (seeded in the sandbox's Keycloak: alice realm administrator and its owner, bob reads
it, dave writes it; sandbox/keycloak/seed.py) gets application `shop` with dimensions `city` and `tier`,
three published packages, release 1 concluded for every device and release 2 ramping to 20 % of them.
bob and dave reach `shop` through their organisation roles (and see it: the organisation's FGAP v2
permissions cover the application's groups), so every sandbox user with a role sees a living system.

`seed_demo` signs in as alice through the real device flow (the caller approves the code in the sandbox),
under a temporary profile (never in the profile store) whose services the composition root builds
(`AppServices.temporary_profile`) and `seed_demo` closes; its tokens and keys are removed afterwards.
Cancelled through its runtime (`runtime.control.cancel()`, then the task), the operation it was doing
is undone, as a person's cancel would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.dimensions import DimensionKind
from hyperota_desktop.domain.errors import HyperOtaError
from hyperota_desktop.domain.redaction import KNOWN_SECRETS
from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.services.profile_services import ProfileServices
from hyperota_desktop.services.profiles import AWS_KEY_ID, AWS_SECRET, profile_from_endpoints
from hyperota_desktop.services.saga import SagaRuntime

log = logging.getLogger("hyperota.services.demo")
DEMO_ORG, DEMO_APP, DEMO_PROFILE = "demo", "shop", "sandbox-demo"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoContent:
    org: str
    app: str
    packages: tuple[int, ...]
    concluded: str  # release ids
    ramping: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _bundle(root: Path, version: int) -> Path:
    """A small React Native bundle; each version changes the entry bundle and one image."""
    files = {
        "index.android.bundle": f"var shop = {{version: {version}}}; // demo\n".encode() * 40,
        "drawable-mdpi/logo.png": b"\x89PNG demo logo " + bytes([version]) * 200,
        "drawable-hdpi/banner.png": b"\x89PNG demo banner " + b"\x07" * 4000,
        "raw/welcome.mp3": b"\x01" * 12000,
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


async def create_demo_content(
    services: ProfileServices, work_dir: Path, progress: Progress, runtime: SagaRuntime | None = None
) -> DemoContent:
    """Make the demo (whatever of it is missing) as the signed-in user."""
    orgs = services.orgs
    if not any(a.name == DEMO_APP for a in await orgs.list_apps(DEMO_ORG)):
        progress(f"creating application {DEMO_ORG}/{DEMO_APP}")
        await orgs.create_app(DEMO_ORG, DEMO_APP, runtime=runtime)
    dims = services.dimensions
    known = {d.name for d in await dims.all(DEMO_ORG, DEMO_APP)}
    if "city" not in known:
        await dims.create(DEMO_ORG, DEMO_APP, "city", DimensionKind.STRING, description="The device's city")
    if "tier" not in known:
        await dims.create(
            DEMO_ORG, DEMO_APP, "tier", DimensionKind.ENUM, values=("free", "gold"), description="The plan"
        )
    packages = services.packages
    versions = await packages.list_versions(DEMO_ORG, DEMO_APP)
    for number in range(len(versions) + 1, 4):
        progress(f"publishing package {number}")
        tag = {1: "stable", 3: "beta"}.get(number)
        bundle = _bundle(work_dir / f"shop-{number}", number)
        await packages.publish(DEMO_ORG, DEMO_APP, [bundle], tag=tag, runtime=runtime)
    releases = services.releases
    page = await releases.page(DEMO_ORG, DEMO_APP, limit=10)
    concluded = next((r.id for r in page.items if r.package_version == 1), "")
    ramping = next((r.id for r in page.items if r.package_version == 2), "")
    if not concluded:
        progress("releasing package 1 to every device")
        notes = "First release of the shop: catalogue, cart and checkout."
        draft = ReleaseDraft(package="1", notes=notes)
        created = await releases.create(DEMO_ORG, DEMO_APP, draft, runtime=runtime)
        concluded = created.release.id
    if not ramping:
        progress("ramping package 2 to 20% of devices")
        draft = ReleaseDraft(
            package="2", lazy=("raw/welcome.mp3",), properties={"banner": "spring-sale"},
            notes="**Spring sale** banner; the welcome sound loads after start.",
        )  # fmt: skip
        created = await releases.create(DEMO_ORG, DEMO_APP, draft, runtime=runtime)
        ramping = created.release.id
        await releases.ramp(DEMO_ORG, DEMO_APP, ramping, 20, "demo: first step of the rollout")
    return DemoContent(DEMO_ORG, DEMO_APP, (1, 2, 3), concluded, ramping)


async def seed_demo(
    app: AppServices,
    endpoints: dict[str, Any],
    approve: Callable[[str], None],
    work_dir: Path,
    progress: Progress = lambda _text: None,
    runtime: SagaRuntime | None = None,
) -> DemoContent:
    """Sign in as the demo author (`approve(user_code)` approves the device code in the sandbox), make
    the demo, sign out; the temporary profile's services are closed and its tokens and keys do not
    outlive the call (also when it is cancelled while it cleans up)."""
    profile, keys = profile_from_endpoints(endpoints, DEMO_PROFILE)
    if keys:  # in the keyring like any static keys (never in a log), for this call only
        KNOWN_SECRETS.add(keys[1])
        app.secrets.set(DEMO_PROFILE, AWS_KEY_ID, keys[0])
        app.secrets.set(DEMO_PROFILE, AWS_SECRET, keys[1])

    def forget_keys() -> None:
        for key in (AWS_KEY_ID, AWS_SECRET):
            app.secrets.delete(DEMO_PROFILE, key)

    try:
        services = app.temporary_profile(profile)
    except BaseException:
        forget_keys()
        raise

    async def clean_up() -> None:
        try:
            with contextlib.suppress(HyperOtaError):
                await services.auth.logout()
        finally:
            await services.aclose()
            forget_keys()

    try:
        await services.auth.login(on_code=lambda flow: approve(flow.user_code))
        return await create_demo_content(services, work_dir, progress, runtime)
    finally:
        await _to_the_end(clean_up())


async def _to_the_end(work: Awaitable[None]) -> None:
    """Await `work` to its end even if the caller is cancelled meanwhile (then stay cancelled)."""
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise
