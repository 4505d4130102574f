"""`hyperota-desktop --sandbox`: start the embedded sandbox in-process and connect this run to it.

The sandbox's endpoints become a temporary profile (`sandbox` by default) through the ProfileService,
its AWS test keys go to the keyring through the SecretStore, and the profile is the active one for this
run only (the services are built with it as the override, so the saved active profile is untouched).
On quit the profile and its keyring entries are removed (its ports die with the sandbox) and every
emulator stops. No Qt here: the GUI entry starts the sandbox in a worker thread once its window is on
screen, then `attach()`es it on the UI thread, and calls `stop()` when the application quits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hyperota_desktop.domain.errors import HyperOtaError
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.services.demo import seed_demo
from hyperota_desktop.services.profiles import profile_from_endpoints
from hyperota_desktop.services.saga import SagaRuntime

log = logging.getLogger("hyperota.app.sandbox")

PROFILE_NAME = "sandbox"


@dataclass
class SandboxBoot:
    sandbox: Sandbox
    services: AppServices
    profile_name: str = PROFILE_NAME
    _stopped: bool = False
    _demo: asyncio.Task[None] | None = None
    _demo_runtime: SagaRuntime | None = None

    @classmethod
    def start(
        cls,
        services: AppServices,
        *,
        profile_name: str = PROFILE_NAME,
        auto_approve: str | None = None,
        dialect: str = "current",
    ) -> SandboxBoot:
        return cls.attach(services, Sandbox.start(auto_approve=auto_approve, dialect=dialect), profile_name)

    @classmethod
    def attach(cls, services: AppServices, sandbox: Sandbox, profile_name: str = PROFILE_NAME) -> SandboxBoot:
        """Make a running sandbox this run's profile (its AWS test keys to the keyring); stops it on
        failure. Blocking for the keyring only (short): the slow part, `Sandbox.start`, is the caller's."""
        try:
            profile, keys = profile_from_endpoints(sandbox.endpoints, profile_name)
            services.profiles.add(profile, overwrite=True)
            if keys:
                services.profiles.set_static_aws_keys(profile_name, *keys)
        except BaseException:
            sandbox.stop()
            raise
        if services.profiles.active_name() != profile_name:
            log.warning("the sandbox profile is not the active one: build services with it as override")
        log.info(
            "sandbox running for this session: landing page %s, profile '%s'",
            sandbox.landing_url,
            profile_name,
        )
        return cls(sandbox=sandbox, services=services, profile_name=profile_name)

    def approve(self, user_code: str, username: str) -> None:
        """Approve a device sign-in as one of the sandbox's people (the one-click demo sign-in)."""
        self.sandbox.keycloak.approve(user_code, username)

    def start_demo(self) -> asyncio.Task[None]:
        """Create the demo content in the background (needs the running event loop); failures are
        logged, never raised: the sandbox works without it."""
        runtime = self._demo_runtime = SagaRuntime()

        async def seed() -> None:
            with tempfile.TemporaryDirectory(prefix="hyperota-demo-") as work:
                try:
                    content = await seed_demo(
                        self.services, self.sandbox.endpoints,
                        lambda code: self.sandbox.keycloak.approve(code, "alice"), Path(work), log.info,
                        runtime,
                    )  # fmt: skip
                except Exception:
                    log.exception("the sandbox demo content could not be created")
                    return
            log.info("sandbox demo ready: %s/%s", content.org, content.app)

        self._demo = asyncio.get_running_loop().create_task(seed())  # a strong reference
        return self._demo

    async def cancel_demo(self) -> None:
        """On quit: stop a demo still being made before the sandbox goes. Cancelled as a person cancels
        (through its runtime), the operation it was doing is undone rather than left for a next start
        (a publish would otherwise wait in the journal for a profile that is gone); its temporary
        profile's services are closed and its sign-in forgotten."""
        if self._demo is not None and not self._demo.done():
            if self._demo_runtime is not None:
                self._demo_runtime.control.cancel()
            self._demo.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._demo

    def stop(self) -> None:
        """Remove the temporary profile (and its keyring entries), then stop every emulator."""
        if self._stopped:
            return
        self._stopped = True
        try:
            self.services.profiles.remove(self.profile_name)
        except HyperOtaError as exc:
            log.warning("could not remove the sandbox profile: %s", exc)
        finally:
            self.sandbox.stop()
        log.info("sandbox stopped")
