"""The first-start page: shown instead of the workspace while there is no profile at all.

A view only. Signals: `trySandboxRequested()`, `addProfileRequested()`, `cancelRequested()` (stop a
sandbox still starting). `install(window)` puts it in front of the window's workspace (a stack), so
the window itself needs no change; `show_welcome(bool)` switches between the two.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.ui.widgets import icons
from hyperota_desktop.ui.widgets.naming import named


class WelcomePage(QWidget):
    trySandboxRequested = Signal()
    addProfileRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        column = QVBoxLayout()
        logo = named(QLabel(), "welcomeLogo")
        logo.setPixmap(icons.app_icon().pixmap(QSize(72, 72)))
        logo.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        title = named(QLabel("Welcome to HyperOTA Desktop"), "welcomeTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.text = text = named(QLabel(""), "welcomeText")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        buttons = QHBoxLayout()
        self.sandbox_button = named(
            QPushButton("Try the sandbox"), "welcomeTrySandbox", "Try the sandbox with demo content"
        )
        self.sandbox_button.setIcon(icons.icon("sandbox"))
        self.sandbox_button.setDefault(True)
        self.sandbox_button.clicked.connect(self.trySandboxRequested)
        self.profile_button = named(QPushButton("Add a profile…"), "welcomeAddProfile", "Add a profile")
        self.profile_button.setIcon(icons.icon("profile.new"))
        self.profile_button.clicked.connect(self.addProfileRequested)
        self.offer_sandbox(True)
        buttons.addStretch(1)
        buttons.addWidget(self.sandbox_button)
        buttons.addWidget(self.profile_button)
        buttons.addStretch(1)
        self.progress = named(QProgressBar(), "welcomeProgress", "Sandbox start progress")
        self.progress.setRange(0, 0)  # busy: the emulators say nothing until they are up
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = named(QLabel(""), "welcomeStatus", "Status")
        self.status.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.status.setWordWrap(True)
        self.cancel_button = named(QPushButton("Cancel"), "welcomeCancel", "Cancel starting the sandbox")
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.cancel_button.hide()
        for widget in (logo, title, text):
            column.addWidget(widget)
        column.addSpacing(16)
        column.addLayout(buttons)
        column.addWidget(self.progress)
        column.addWidget(self.status)
        column.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignHCenter)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addLayout(column, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.setTabOrder(self.sandbox_button, self.profile_button)

    def offer_sandbox(self, offered: bool) -> None:
        """Builds without the embedded sandbox (frozen ones) offer only a profile."""
        intro = "Publish bundles as packages and roll them out to your apps' users as releases."
        profile = "a profile that says where your own Keycloak, Superposition and S3 are"
        self.text.setText(
            f"{intro}\n\nTry everything first on a sandbox that runs on this computer, with a demo "
            f"organisation and app, or add {profile}."
            if offered
            else f"{intro}\n\nTo start, add {profile}."
        )
        self.sandbox_button.setVisible(offered)

    def show_starting(self, text: str) -> None:
        self.sandbox_button.setEnabled(False)
        self.profile_button.setEnabled(False)
        self.progress.show()
        self.cancel_button.show()
        self.cancel_button.setFocus()
        self.status.setText(text)

    def show_idle(self, text: str = "") -> None:
        """Back to the choice (after a failure or a cancel, with what happened)."""
        self.sandbox_button.setEnabled(True)
        self.profile_button.setEnabled(True)
        self.progress.hide()
        self.cancel_button.hide()
        self.status.setText(text)
        self.sandbox_button.setFocus()


def install(window: QMainWindow, page: WelcomePage) -> QStackedWidget:
    """Put `page` in front of the window's central widget (kept, not deleted: taken, then stacked)."""
    workspace = window.takeCentralWidget()
    stack = named(QStackedWidget(), "centralStack")
    stack.addWidget(page)
    if workspace is not None:
        stack.addWidget(workspace)
    window.setCentralWidget(stack)
    return stack


def show_welcome(stack: QStackedWidget, shown: bool) -> None:
    stack.setCurrentIndex(0 if shown else 1)
