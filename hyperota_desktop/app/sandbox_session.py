"""The embedded sandbox of this run, started at launch (`--sandbox`) or later from the welcome page.

`start_in_background` starts the emulators off the UI thread (moto and the servers take seconds) and
makes the sandbox's temporary profile the active one for this run only. Cancelled while starting, the
sandbox is stopped as soon as it is up, never left running. At quit, `cancel_demo()` undoes a demo still
being made (before the services close) and `stop()` stops the emulators and removes the profile.
The emulators (moto) are imported only when a sandbox starts: a normal start stays quick, and frozen
builds, which ship no sandbox, offer none (`available()`).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from hyperota_desktop.services.context import AppServices

if TYPE_CHECKING:
    from hyperota_desktop.app.sandbox_boot import SandboxBoot

log = logging.getLogger("hyperota.app.sandbox")

# The sandbox realm's people (sandbox/keycloak/seed.py), as the sign-in dialog offers them.
DEMO_PEOPLE: tuple[tuple[str, str], ...] = (
    ("alice", "owner of demo, realm administrator"),
    ("dave", "writes to demo"),
    ("bob", "reads demo"),
    ("carol", "in no organisation"),
)


def available() -> bool:
    """The sandbox can run here (a development install, not a frozen build without moto)."""
    return all(importlib.util.find_spec(name) is not None for name in ("moto", "werkzeug")) and (
        importlib.util.find_spec("hyperota_desktop.sandbox") is not None
    )


class SandboxSession:
    def __init__(self, services: AppServices, boot: SandboxBoot | None = None) -> None:
        self._services = services
        self.boot = boot

    @classmethod
    def start_now(cls, services: AppServices) -> SandboxSession:
        """`--sandbox`: start before the window exists (its profile is the override already)."""
        from hyperota_desktop.app.sandbox_boot import SandboxBoot

        return cls(services, SandboxBoot.start(services))

    async def start_in_background(self) -> SandboxBoot:
        """Start the sandbox in a worker thread and make its profile this run's active one."""
        if self.boot is not None:
            return self.boot
        from hyperota_desktop.app.sandbox_boot import SandboxBoot

        # Seconds of work, not a short call: a thread of its own, not the services' pools. A start
        # cancelled (or a quit) meanwhile stops the sandbox from that thread once it is up: no event
        # loop needed then, and Python waits for that thread at exit, so nothing is left running.
        starter = ThreadPoolExecutor(1, thread_name_prefix="hyperota-sandbox-start")
        future = starter.submit(SandboxBoot.start, self._services)
        starter.shutdown(wait=False)
        try:
            boot = await asyncio.shield(asyncio.wrap_future(future))
        except asyncio.CancelledError:
            future.add_done_callback(_stop_when_started)
            raise
        try:
            self._services.profiles.use_for_session(boot.profile_name)
        except BaseException:
            boot.stop()
            raise
        self.boot = boot
        return boot

    def approve(self, user_code: str, username: str) -> None:
        """The sign-in dialog's one-click approval, as one of DEMO_PEOPLE."""
        if self.boot is None:
            raise RuntimeError("the sandbox is not running")
        self.boot.approve(user_code, username)

    async def cancel_demo(self) -> None:
        if self.boot is not None:
            await self.boot.cancel_demo()

    def stop(self) -> None:
        boot, self.boot = self.boot, None
        if boot is not None:
            boot.stop()


def _stop_when_started(future: Future[SandboxBoot]) -> None:
    if not future.cancelled() and future.exception() is None:
        log.info("the sandbox start was cancelled: stopping it now that it is up")
        future.result().stop()
