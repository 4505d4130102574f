"""A page's honest empty state: what is missing and what to do next, with an optional action button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from hyperota_desktop.ui.widgets.naming import named


class EmptyState(QWidget):
    """Signals: `actionTriggered()` when the action button is clicked."""

    actionTriggered = Signal()

    def __init__(
        self, name: str, title: str, text: str, action: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}EmptyState")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = named(QLabel(title), f"{name}EmptyTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.text = named(QLabel(text), f"{name}EmptyText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label in (self.title, self.text):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(label)
        self.button = named(QPushButton(action), f"{name}EmptyAction")
        self.button.setAccessibleName(action or "No action")
        self.button.setVisible(bool(action))
        self.button.clicked.connect(self.actionTriggered)
        layout.addWidget(self.button, alignment=Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(2)

    def set_content(self, title: str, text: str, action: str = "") -> None:
        self.title.setText(title)
        self.text.setText(text)
        self.button.setText(action)
        self.button.setAccessibleName(action or "No action")
        self.button.setVisible(bool(action))
