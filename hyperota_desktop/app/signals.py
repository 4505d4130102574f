"""SIGINT/SIGTERM and `QApplication.quit()` ask the GUI to quit, so every clean-up (running work,
services, sandbox) runs as on a normal close, before Qt's event loop ends."""

from __future__ import annotations

import logging
import signal
from types import FrameType

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

log = logging.getLogger("hyperota.app")


class QuitRequests(QObject):
    """Signals: `requested()` once a signal asked to quit. `asked` stays True, for a quit asked before
    anyone listened (during start-up)."""

    requested = Signal()

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.asked = False

    def ask(self) -> None:
        self.asked = True
        self.requested.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Qt 6 delivers `quit()` (Quit action, session manager) as a Quit event: it becomes a request
        for the app's own shutdown, which ends the event loop once the work is stopped."""
        if event.type() == QEvent.Type.Quit:
            log.info("quit requested")
            self.ask()
            return True
        return False


class QuitAwareApplication(QApplication):
    """The app's `QApplication`: Qt's Quit event (sent to the application object) becomes a quit
    request here, in `event()`. An event filter on the application would see every event of every
    widget instead, through Python: that made building the window three times slower (each event type
    wrapped for Python the first time) and taxes every event after."""

    quit_requests: QuitRequests | None = None

    def event(self, event: QEvent) -> bool:
        if self.quit_requests is not None and event.type() == QEvent.Type.Quit:
            log.info("quit requested")
            self.quit_requests.ask()
            return True
        return super().event(event)


def quit_on_signals(app: QApplication) -> QuitRequests:
    requests = QuitRequests(app)
    if isinstance(app, QuitAwareApplication):
        app.quit_requests = requests
    else:  # an application made before ours (tests): the filter, with its cost
        app.installEventFilter(requests)

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: quitting", signal.Signals(signum).name)
        # Queued, so a signal during start-up (before the event loop runs) still asks once it does.
        QTimer.singleShot(0, requests.ask)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)
    # Python runs signal handlers only between bytecodes; while Qt waits in C++ none run, so wake up often.
    timer = QTimer(requests)
    timer.setObjectName("signalWakeUpTimer")
    timer.timeout.connect(lambda: None)
    timer.start(200)
    return requests
