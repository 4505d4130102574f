"""The question Quit asks while a publish runs or is paused: pause it, cancel it, or keep working.

A view only: the presenter says what runs (`text`) and acts on `choice` once the dialog is finished.
*Keep working* is the default button and what Escape or closing the dialog means: nothing changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from hyperota_desktop.ui.widgets.naming import named

PAUSE, CANCEL, KEEP = "pause", "cancel", "keep"


class QuitQuestion(QDialog):
    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quitQuestion")
        self.setWindowTitle("Quit HyperOTA Desktop?")
        self.choice = KEEP
        layout = QVBoxLayout(self)
        self.summary = named(QLabel(text), "quitQuestionText", "What quitting interrupts")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        buttons = QDialogButtonBox()
        self.pause_button = named(
            QPushButton("Pause and quit"), "quitPauseButton", "Pause the publish and quit"
        )
        self.pause_button.setToolTip("It is kept where it stopped; the next start offers to resume it.")
        self.cancel_button = named(
            QPushButton("Cancel the publish and quit"),
            "quitCancelPublishButton",
            "Cancel the publish and quit",
        )
        self.cancel_button.setToolTip("What it sent is deleted first; then the app quits.")
        self.keep_button = named(QPushButton("Keep working"), "quitKeepButton", "Keep working, do not quit")
        buttons.addButton(self.pause_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(self.keep_button, QDialogButtonBox.ButtonRole.RejectRole)
        for button in (self.pause_button, self.cancel_button):
            button.setAutoDefault(False)  # Enter must not quit by accident
        self.keep_button.setDefault(True)
        self.pause_button.clicked.connect(lambda: self._choose(PAUSE))
        self.cancel_button.clicked.connect(lambda: self._choose(CANCEL))
        self.keep_button.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())
        self.keep_button.setFocus()

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()
