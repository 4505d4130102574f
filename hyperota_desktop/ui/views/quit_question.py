"""The question Quit asks while a publish runs or is paused: pause it, cancel it, or keep working.
While a paused publish is being cancelled (`undo=True`) the same two choices read *Quit now* (PAUSE:
the rest is left to the next start) and *Finish cancelling, then quit* (CANCEL: the undo to its end).

A view only: the presenter says what runs (`text`) and acts on `choice` once the dialog is finished.
*Keep working* is the default button and what Escape or closing the dialog means: nothing changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from hyperota_desktop.ui.widgets.naming import named

PAUSE, CANCEL, KEEP = "pause", "cancel", "keep"
# (label, accessible name, tooltip) of the PAUSE and the CANCEL button
PUBLISH_CHOICES = (
    ("Pause and quit", "Pause the publish and quit",
     "It is kept where it stopped; the next start offers to resume it."),
    ("Cancel the publish and quit", "Cancel the publish and quit",
     "What it sent is deleted first; then the app quits."),
)  # fmt: skip
UNDO_CHOICES = (
    ("Quit now", "Quit now, the cancel finished at the next start",
     "The cancel stops where it is; the next start finishes it."),
    ("Finish cancelling, then quit", "Finish cancelling the paused publish, then quit",
     "The rest of what it sent is deleted first; then the app quits."),
)  # fmt: skip


class QuitQuestion(QDialog):
    def __init__(self, text: str, parent: QWidget | None = None, *, undo: bool = False) -> None:
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
        pause, cancel = UNDO_CHOICES if undo else PUBLISH_CHOICES
        self.pause_button = named(QPushButton(pause[0]), "quitPauseButton", pause[1])
        self.pause_button.setToolTip(pause[2])
        self.cancel_button = named(QPushButton(cancel[0]), "quitCancelPublishButton", cancel[1])
        self.cancel_button.setToolTip(cancel[2])
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
