"""SIGINT/SIGTERM quit the GUI through Qt, so every clean-up (sandbox, sessions) runs as on a normal close."""

from __future__ import annotations

import logging
import signal
from types import FrameType

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

log = logging.getLogger("hyperota.app")


def quit_on_signals(app: QApplication) -> QTimer:
    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: quitting", signal.Signals(signum).name)
        # Queued, so a signal during start-up (before the event loop runs) still quits once it does.
        QTimer.singleShot(0, app.quit)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)
    # Python runs signal handlers only between bytecodes; while Qt waits in C++ none run, so wake up often.
    timer = QTimer(app)
    timer.setObjectName("signalWakeUpTimer")
    timer.timeout.connect(lambda: None)
    timer.start(200)
    return timer
