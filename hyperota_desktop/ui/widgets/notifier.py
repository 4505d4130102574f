"""Desktop notifications for long work that finishes while the window is in the background.

A tray message (QSystemTrayIcon) where the desktop has a tray; elsewhere the text stays in the status
bar (not timed out) and the window asks for attention (task bar flash). Nothing is shown while the
window is the active one: the status bar already says it. The tray icon appears only while there is
something to tell and goes away when the window is active again; clicking the message raises it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMainWindow, QSystemTrayIcon

SHOWN_MS = 10_000


class Delivery(StrEnum):
    NONE = "none"  # the window is active: the status bar says it
    TRAY = "tray"
    STATUS_BAR = "status-bar"


class Notifier(QObject):
    def __init__(
        self,
        window: QMainWindow,
        icon: QIcon,
        tray_available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable,
    ) -> None:
        super().__init__(window)
        self.setObjectName("notifier")
        self._window, self._icon, self._tray_available = window, icon, tray_available
        self.tray: QSystemTrayIcon | None = None
        window.installEventFilter(self)

    def notify(self, title: str, text: str) -> Delivery:
        if self._window.isActiveWindow():
            return Delivery.NONE
        if self._tray_available():
            tray = self._tray()
            tray.show()
            tray.showMessage(title, text, self._icon, SHOWN_MS)
            return Delivery.TRAY
        self._window.statusBar().showMessage(f"{title}: {text}")  # stays until the next message
        QApplication.alert(self._window)
        return Delivery.STATUS_BAR

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.WindowActivate and self.tray is not None:
            self.tray.hide()
        return False

    def _tray(self) -> QSystemTrayIcon:
        if self.tray is None:
            self.tray = QSystemTrayIcon(self._icon, self)
            self.tray.setObjectName("trayIcon")
            self.tray.setToolTip(self._window.windowTitle())
            self.tray.messageClicked.connect(self._raise_window)
            self.tray.activated.connect(lambda _reason: self._raise_window())
        return self.tray

    def _raise_window(self) -> None:
        self._window.showNormal()
        self._window.raise_()
        self._window.activateWindow()
