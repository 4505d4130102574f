"""How a publish on the Packages page ends when the person leaves: quitting (part of `PackagesPresenter`;
its own module to keep that one small). The paused publishes waiting afterwards: `paused_publishes.py`.

Quit (`QuitGuard` asks): `quit_question` names the publish running or paused here ("" when none);
*Pause and quit* interrupts it and marks it paused in the journal (`pause_for_quit`); *Cancel the
publish and quit* undoes it to the end, on the page (`cancel_for_quit`); a system logout pauses it
without a question (`pause_for_session_end`, marked as the app stops).

A publish the person paused (quit, sign-out, profile switch) is not finished by the next start or
sign-in: the page offers it (`PausedPublishes.offer_paused`). A publish a crash interrupted is still
finished by itself (`PackageService.recover(paused=False)` leaves only the paused ones).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from hyperota_desktop.domain.errors import HyperOtaError
from hyperota_desktop.services.transfer import TransferControl

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from hyperota_desktop.services.packages import PackageService
    from hyperota_desktop.ui.messages import MessageChannel
    from hyperota_desktop.ui.presenters.tasks import PresenterTasks
    from hyperota_desktop.ui.views.packages_page import PackagesPage

log = logging.getLogger("hyperota.ui.packages")


class PublishState:
    """What `PackagesPresenter` sets up and its publish mixins (`PublishLifecycle`, `PausedPublishes`)
    share: declared once, for the type checker."""

    _page: PackagesPage
    _messages: MessageChannel
    _tasks: PresenterTasks
    _publishing: tuple[str, str] | None
    _publisher: str
    _person: str
    _sent: tuple[int, int] | None
    control: TransferControl | None
    org: str
    app: str

    if TYPE_CHECKING:  # the presenter's
        published: SignalInstance

        def _service(self) -> PackageService: ...
        def _progress(self, snap: object) -> None: ...
        def refresh(self) -> None: ...
        def _start(
            self, name: str, coro: Coroutine[Any, Any, Any], *, replace: bool = False
        ) -> asyncio.Task[Any] | None: ...


class PublishLifecycle(PublishState):
    """Mixed into `PackagesPresenter` (which sets these attributes up)."""

    _session_ending: bool

    # -- quitting ------------------------------------------------------------------------------------
    def quit_question(self) -> str:
        """What Quit must ask first ("" when no publish runs or is paused here)."""
        if self._publishing is None:
            return ""
        org, app = self._publishing
        state = "paused" if self.control is not None and self.control.paused else "running"
        return (
            f"A publish to {org}/{app} is {state} ({self._how_far()}). Quitting now stops it: pause it "
            "to go on after the next start, or cancel it to delete what it sent."
        )

    def _how_far(self) -> str:
        done, total = self._sent or (0, 0)
        if not total:
            return "checking the files"
        percent = 100 * done // total
        return f"{percent} % sent" if percent or not done else "under 1 % sent"

    async def pause_for_quit(self) -> None:
        """Pause and quit: interrupt the publish without undoing it (journalled, uploads checkpointed)
        and mark it paused, so the next start offers it instead of finishing it."""
        target, how_far = self._publishing, self._how_far()
        if target is not None and self.control is not None:
            self.control.pause()  # no new part starts while the task stops
        await self._tasks.cancel_and_wait("package-publish")
        if target is not None:
            await self._mark_paused(target, f"paused at quit, {how_far}")

    async def cancel_for_quit(self) -> None:
        """Cancel the publish and quit: the saga undoes it (what it uploaded is deleted) to the end,
        shown on the page, before this returns. Not cancelled again meanwhile: that would leave the
        undo running behind the quit."""
        task, control, target = self._tasks.get("package-publish"), self.control, self._publishing
        if task is None or control is None or target is None:
            return
        org, app = target
        self._page.set_publish_target(f"Cancelling the publish to {org}/{app}, then quitting")
        self._page.progress.setRange(0, 0)  # busy until the undo has counted what to remove (`_progress`)
        self._page.progress.setVisible(True)
        self._page.progress_label.setText("Cancelling: deleting what this publish sent…")
        control.cancel()
        await asyncio.gather(task, return_exceptions=True)

    def pause_for_session_end(self) -> None:
        """The system session ends (logout, shutdown): no question can be asked. Hold the publish at
        once; the stop that follows interrupts it and marks it paused (`stop_for_session_end`)."""
        if self._publishing is not None and self.control is not None:
            self.control.pause()
            self._session_ending = True
            log.info("session ends: the publish to %s/%s is paused", *self._publishing)

    async def _mark_paused(self, target: tuple[str, str], why: str) -> None:
        """The interrupted publish to `target` waits for the person (journal: paused, `why`)."""
        try:
            await self._service().pause_interrupted(*target, why)
        except HyperOtaError as exc:  # still unfinished: then finished at the next start instead
            log.warning("could not mark the publish to %s/%s paused: %s", *target, exc.message)
