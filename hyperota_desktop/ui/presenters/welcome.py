"""Presenter of the first start: the welcome page while there is no profile; "Try the sandbox".

The sandbox itself is the composition root's (`start_sandbox`, an awaitable it runs off the UI
thread): this presenter shows the progress, lets the person cancel, and says what went wrong. Once it
is up, `sandboxReady` lets the composition root hand the sandbox profile's services out and open the
sign-in dialog.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStackedWidget

from hyperota_desktop.domain.errors import HyperOtaError
from hyperota_desktop.services.profiles import ProfileService
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.tasks import PresenterTasks
from hyperota_desktop.ui.views.welcome_page import WelcomePage, show_welcome

TASK = "welcome-sandbox"


class WelcomePresenter(QObject):
    sandboxReady = Signal()

    def __init__(
        self,
        page: WelcomePage,
        stack: QStackedWidget,
        profiles: ProfileService,
        messages: MessageChannel,
        start_sandbox: Callable[[], Awaitable[object]] | None,
        add_profile: Callable[[], None],
    ) -> None:
        super().__init__(page)
        self._page, self._stack, self._profiles = page, stack, profiles
        self._start_sandbox = start_sandbox
        self._tasks = PresenterTasks(messages)
        page.trySandboxRequested.connect(self.try_sandbox)
        page.addProfileRequested.connect(add_profile)
        page.cancelRequested.connect(self.cancel)
        page.offer_sandbox(start_sandbox is not None)  # frozen builds ship no sandbox

    @property
    def shown(self) -> bool:
        return self._stack.currentWidget() is self._page

    def refresh(self, _name: str = "") -> None:
        """Welcome while there is no profile at all (and no sandbox starting); the workspace else."""
        try:
            empty = not self._profiles.list() and self._profiles.active_name() is None
        except HyperOtaError:
            empty = False  # a broken profiles file: the workspace says what is wrong with it
        show_welcome(self._stack, empty or self._tasks.running(TASK))

    def try_sandbox(self) -> None:
        if self._start_sandbox is None or self._tasks.running(TASK):
            return
        self._page.show_starting("Starting the sandbox on this computer: Keycloak, Superposition, S3, KMS…")
        self._tasks.start(TASK, self._run(self._start_sandbox))

    def cancel(self) -> None:
        self._tasks.cancel(TASK)  # the page says so when the start has really stopped (below)

    async def _run(self, start: Callable[[], Awaitable[object]]) -> None:
        try:
            await start()
        except asyncio.CancelledError:
            self._page.show_idle("Cancelled: the sandbox was not started.")
            raise
        except HyperOtaError as exc:
            self._page.show_idle(f"The sandbox could not start: {exc.user_text(gui=True)}")
            return
        except Exception as exc:  # ports, files, the emulators' own errors: said here, and reported
            self._page.show_idle(f"The sandbox could not start: {exc}")
            raise
        self._page.show_idle("")
        show_welcome(self._stack, False)
        self.sandboxReady.emit()

    async def stop(self) -> None:
        await self._tasks.stop()

    async def wait_idle(self) -> None:
        await self._tasks.wait_idle()
