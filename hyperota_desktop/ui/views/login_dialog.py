"""The sign-in dialog: code in large type, copy button, clickable URL, QR code, countdown, Cancel.

A view only (no services): the auth presenter calls `show_code`, `show_state`, `show_error`, and listens.

Signals:
- `cancelled()`: the person closed the dialog or pressed Cancel (the presenter stops polling).
- `newCodeRequested()`: after expiry, denial or an error, the person asked for a new code.
- `demoApprovalRequested(str)`: in the sandbox, approve this code as the chosen demo user (one click).
"""

from __future__ import annotations

import html
import time

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.ui.widgets.naming import named
from hyperota_desktop.ui.widgets.qr_code import QrCode

# State keys the presenter passes (the values of services.auth.LoginStatus).
FINAL_STATES = {"expired", "denied", "signed_in"}


class LoginDialog(QDialog):
    cancelled = Signal()
    newCodeRequested = Signal()
    demoApprovalRequested = Signal(str)

    def __init__(self, profile: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loginDialog")
        self.setWindowTitle(f"Sign in — {profile}")
        self.setModal(False)
        self._expires_at = 0.0  # time.time() based
        self._state = "starting"
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Open the address below in any browser (or scan the QR code with your phone), sign in there "
            "and enter this code. HyperOTA never sees your password."
        )
        intro.setWordWrap(True)
        layout.addWidget(named(intro, "loginIntro"))

        code_row = QHBoxLayout()
        self.code_label = named(QLabel("…"), "loginUserCode", "Sign-in code")
        font = self.code_label.font()
        font.setPointSizeF(font.pointSizeF() * 2.6)
        font.setBold(True)
        font.setLetterSpacing(font.SpacingType.PercentageSpacing, 115)
        self.code_label.setFont(font)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = named(QPushButton("Copy code"), "loginCopyCode", "Copy the sign-in code")
        self.copy_button.clicked.connect(self._copy_code)
        code_row.addWidget(self.code_label, 1)
        code_row.addWidget(self.copy_button)
        layout.addLayout(code_row)

        self.url_label = named(QLabel(""), "loginVerificationUrl", "Verification address")
        self.url_label.setTextFormat(Qt.TextFormat.RichText)
        self.url_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.url_label.setOpenExternalLinks(False)
        self.url_label.linkActivated.connect(self.open_url)
        layout.addWidget(self.url_label)

        self.qr = named(QrCode(), "loginQrCode", "QR code of the sign-in address")
        layout.addWidget(self.qr, 1, Qt.AlignmentFlag.AlignHCenter)

        self.countdown_label = named(QLabel(""), "loginCountdown", "Time left for this code")
        self.status_label = named(QLabel("Asking the sign-in server for a code…"), "loginStatus", "Status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.countdown_label)
        layout.addWidget(self.status_label)

        layout.addWidget(self._build_demo_row())

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.new_code_button = named(QPushButton("Get a new code"), "loginNewCode", "Get a new sign-in code")
        self.new_code_button.clicked.connect(self.newCodeRequested)
        self.new_code_button.hide()
        self.cancel_button = named(QPushButton("Cancel"), "loginCancel", "Cancel sign-in")
        self.cancel_button.clicked.connect(self.close)
        buttons.addWidget(self.new_code_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)

        self._timer = QTimer(self)
        self._timer.setObjectName("loginCountdownTimer")
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self.resize(460, 560)

    def _build_demo_row(self) -> QGroupBox:
        """Sandbox only: approve the code as one of its demo people, without a browser."""
        self.demo_box = named(QGroupBox("Sandbox"), "loginDemoBox")
        row = QHBoxLayout(self.demo_box)
        row.addWidget(QLabel("Approve as"))
        self.demo_user = named(QComboBox(), "loginDemoUser", "Demo user to sign in as")
        self.demo_approve = named(QPushButton("Approve"), "loginDemoApprove", "Approve as the demo user")
        self.demo_approve.setDefault(True)
        self.demo_approve.clicked.connect(self._approve_demo)
        row.addWidget(self.demo_user, 1)
        row.addWidget(self.demo_approve)
        self.demo_box.hide()
        return self.demo_box

    # -- what the presenter calls ---------------------------------------------------------------------
    def offer_demo_users(self, users: list[tuple[str, str]]) -> None:
        """(username, description) of the sandbox's people; the first is preselected."""
        self.demo_user.clear()
        for username, description in users:
            self.demo_user.addItem(f"{username} — {description}", username)
        self.demo_box.setVisible(bool(users))
        self.demo_approve.setEnabled(False)  # until there is a code to approve

    @property
    def state(self) -> str:
        return self._state

    @property
    def url(self) -> str:
        return str(self.url_label.property("url") or "")

    def show_code(self, user_code: str, verification_uri: str, qr_target: str, seconds_left: float) -> None:
        self._state = "waiting"
        self.code_label.setText(user_code)
        self.code_label.setEnabled(True)
        self.url_label.setProperty("url", qr_target or verification_uri)
        # The address comes from the server: escaped, so it can only ever be shown as the text it is.
        href = html.escape(qr_target or verification_uri, quote=True)
        self.url_label.setText(f'<a href="{href}">{html.escape(verification_uri)}</a>')
        self.qr.set_text(qr_target or verification_uri)
        self.qr.show()
        self._expires_at = time.time() + max(0.0, seconds_left)
        self.new_code_button.hide()
        self.cancel_button.setText("Cancel")
        self.status_label.setText("Waiting for you to approve the sign-in in your browser.")
        self.demo_approve.setEnabled(True)
        if not self.demo_box.isHidden():
            self.demo_approve.setFocus()
        self._tick()
        self._timer.start()

    def show_state(self, state: str, message: str) -> None:
        """One of waiting / slowed_down / network_lost / expired / denied / signed_in, with its text."""
        self._state = state
        self.status_label.setText(message)
        if state in ("expired", "denied"):
            self._stop_code()
        if state == "signed_in":
            self._timer.stop()

    def show_error(self, message: str) -> None:
        """Discovery or server problems: explained, with the way forward (fix profile, retry)."""
        self._state = "error"
        self.status_label.setText(message)
        self._stop_code()

    # -- internals --------------------------------------------------------------------------------------
    def _approve_demo(self) -> None:
        username = self.demo_user.currentData()
        if username and self._state in ("waiting", "slowed_down"):
            self.demo_approve.setEnabled(False)
            self.status_label.setText(f"Approving as {username}…")
            self.demoApprovalRequested.emit(username)

    def _stop_code(self) -> None:
        self.demo_approve.setEnabled(False)
        self._timer.stop()
        self.countdown_label.setText("")
        self.code_label.setEnabled(False)
        self.qr.hide()
        self.new_code_button.show()
        self.cancel_button.setText("Close")

    def _tick(self) -> None:
        left = max(0, int(self._expires_at - time.time()))
        self.countdown_label.setText(f"This code expires in {left // 60}:{left % 60:02d}.")
        if left == 0:
            self._timer.stop()

    def _copy_code(self) -> None:
        QGuiApplication.clipboard().setText(self.code_label.text())
        self.copy_button.setText("Copied")
        QTimer.singleShot(1500, self.copy_button, lambda: self.copy_button.setText("Copy code"))

    def open_url(self, url: str = "") -> None:
        QDesktopServices.openUrl(QUrl(url or self.url))

    def closeEvent(self, event: QCloseEvent) -> None:
        self._timer.stop()
        if self._state not in FINAL_STATES | {"error", "closed"}:
            self._state = "closed"
            self.cancelled.emit()
        super().closeEvent(event)
