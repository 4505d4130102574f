"""The one user-message channel: every part of the UI posts here; the main window shows them."""

from __future__ import annotations

import logging
from enum import StrEnum

from PySide6.QtCore import QObject, Signal

from hyperota_desktop.domain.errors import BackendUnavailable, HyperOtaError

log = logging.getLogger("hyperota.ui.messages")


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


def describe_error(exc: BaseException) -> str:
    """Typed errors carry their own words; anything else is a bug and says so."""
    if isinstance(exc, HyperOtaError):
        return exc.user_text(gui=True)
    return f"Unexpected error ({type(exc).__name__}): {exc}. Details are in the log file."


class MessageChannel(QObject):
    """Signals: `posted(level: str, text: str)`; `connectionChanged(text: str)` when a backend was
    reached (`connected`) or turned out unreachable (a BackendUnavailable error); `workFinished(title,
    text)` when long work (publish, import, export, build) ended, for a desktop notification."""

    posted = Signal(str, str)
    connectionChanged = Signal(str)
    workFinished = Signal(str, str)

    def finished(self, title: str, text: str) -> None:
        """Long work ended: said in the status bar, and by a notification if the window is not active."""
        self.info(text)
        self.workFinished.emit(title, text)

    def connected(self, where: str) -> None:
        self.connectionChanged.emit(f"Connected to {where}")

    def info(self, text: str) -> None:
        log.info("%s", text)
        self.posted.emit(Level.INFO.value, text)

    def warning(self, text: str) -> None:
        log.warning("%s", text)
        self.posted.emit(Level.WARNING.value, text)

    def error(self, exc: BaseException | str) -> None:
        text = exc if isinstance(exc, str) else describe_error(exc)
        if isinstance(exc, BackendUnavailable):
            self.connectionChanged.emit(f"Offline: {exc.message}")
        if isinstance(exc, BaseException) and not isinstance(exc, HyperOtaError):
            log.error("unexpected error", exc_info=exc)
        else:
            log.warning("%s", text)
        self.posted.emit(Level.ERROR.value, text)
