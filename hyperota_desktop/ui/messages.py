"""The one user-message channel: every part of the UI posts here; the main window shows them."""

from __future__ import annotations

import logging
from enum import StrEnum

from PySide6.QtCore import QObject, Signal

from hyperota_desktop.domain.errors import HyperOtaError

log = logging.getLogger("hyperota.ui.messages")


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


def describe_error(exc: BaseException) -> str:
    """Typed errors carry their own words; anything else is a bug and says so."""
    if isinstance(exc, HyperOtaError):
        return exc.user_text()
    return f"Unexpected error ({type(exc).__name__}): {exc}. Details are in the log file."


class MessageChannel(QObject):
    """Signals: `posted(level: str, text: str)`."""

    posted = Signal(str, str)

    def info(self, text: str) -> None:
        log.info("%s", text)
        self.posted.emit(Level.INFO.value, text)

    def warning(self, text: str) -> None:
        log.warning("%s", text)
        self.posted.emit(Level.WARNING.value, text)

    def error(self, exc: BaseException | str) -> None:
        text = exc if isinstance(exc, str) else describe_error(exc)
        if isinstance(exc, BaseException) and not isinstance(exc, HyperOtaError):
            log.error("unexpected error", exc_info=exc)
        else:
            log.warning("%s", text)
        self.posted.emit(Level.ERROR.value, text)
