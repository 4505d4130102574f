"""Quit asks first while a publish runs or is paused, or a paused one is being cancelled (Quit, Ctrl+Q,
the window's close button).

The window holds its close while `may_close()` says so; the Packages presenter decides whether anything
runs (`quit_question`, "" when nothing does: the window closes at once). The question offers *Pause and
quit* (interrupted, journalled and checkpointed: the next start offers to resume it), *Cancel the
publish and quit* (undone to the end, on the page, before the window closes) and *Keep working* (the
default; Escape). While a paused publish is being cancelled it offers *Quit now* (the next start
finishes the cancel) and *Finish cancelling, then quit*. A close asked again meanwhile is held; the first
question answers it.

A system logout or shutdown (`session_ending`: `QGuiApplication.commitDataRequest`, `aboutToQuit`)
cannot be asked anything: the publish is paused and journalled without a question.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject

from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.dialogs import dialog_result
from hyperota_desktop.ui.presenters.packages import PackagesPresenter
from hyperota_desktop.ui.presenters.tasks import PresenterTasks
from hyperota_desktop.ui.views.main_window import MainWindow
from hyperota_desktop.ui.views.quit_question import CANCEL, KEEP, PAUSE, QuitQuestion

log = logging.getLogger("hyperota.ui.quit")


class QuitGuard(QObject):
    def __init__(self, window: MainWindow, packages: PackagesPresenter, messages: MessageChannel) -> None:
        super().__init__(window)
        self._window = window
        self._packages = packages
        self._tasks = PresenterTasks(messages)
        self.dialog: QuitQuestion | None = None  # the question while it is shown
        window.set_close_guard(self.may_close)

    def may_close(self) -> bool:
        """True: nothing runs, the window closes now. False: held; the question (asked once) decides."""
        if self._tasks.running("quit-question"):
            return False
        question, undo = self._packages.quit_question(), False
        if not question:
            question, undo = self._packages.undo_quit_question(), True
        if not question:
            return True
        self._tasks.start("quit-question", self._ask(question, undo))
        return False

    async def ask(self, question: str, undo: bool = False) -> str:
        """The person's answer: PAUSE, CANCEL or KEEP (Escape, closing the question)."""
        dialog = self.dialog = QuitQuestion(question, self._window, undo=undo)
        try:
            return dialog.choice if await dialog_result(dialog) else KEEP
        finally:
            self.dialog = None
            dialog.deleteLater()

    async def _ask(self, question: str, undo: bool) -> None:
        choice = await self.ask(question, undo)
        if choice == KEEP:
            return  # nothing changes: the publish goes on (or stays paused)
        if undo:
            if choice == CANCEL:
                log.info("quit: finishing the cancel of a paused publish, then quitting")
                await self._packages.finish_undo_for_quit()
            else:
                log.info("quit: the cancel of a paused publish is left to the next start")
        elif choice == PAUSE:
            log.info("quit: pausing the publish")
            await self._packages.pause_for_quit()
        elif choice == CANCEL:
            log.info("quit: cancelling the publish, then quitting")
            await self._packages.cancel_for_quit()
        self._window.quit_now()

    def session_ending(self, *_args: object) -> None:
        """The system session ends: no question; the publish is paused and journalled as it stops."""
        self._packages.pause_for_session_end()

    async def stop(self) -> None:
        await self._tasks.stop()

    async def wait_idle(self) -> None:
        await self._tasks.wait_idle()
