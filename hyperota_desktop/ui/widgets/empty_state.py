"""A page's honest empty state: what is missing and what to do next, with an optional action button.

Part of the window's first paint, so it does not touch `PySide6.QtCore.Qt` (its Python enums take
~16 ms to create on first use): alignment and text interaction are set as Qt properties from their int
values, and the button is centred by stretches."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hyperota_desktop.ui.widgets.naming import named

ALIGN_CENTER = 0x0084  # Qt.AlignmentFlag.AlignCenter (AlignHCenter | AlignVCenter)
SELECTABLE_BY_MOUSE = 0x0001  # Qt.TextInteractionFlag.TextSelectableByMouse


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
        self.text.setProperty("textInteractionFlags", SELECTABLE_BY_MOUSE)
        for label in (self.title, self.text):
            label.setProperty("alignment", ALIGN_CENTER)
            layout.addWidget(label)
        self.button = named(QPushButton(action), f"{name}EmptyAction")
        self.button.setAccessibleName(action or "No action")
        self.button.setVisible(bool(action))
        self.button.clicked.connect(self.actionTriggered)
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(self.button)
        centred.addStretch(1)
        layout.addLayout(centred)
        layout.addStretch(2)

    def set_content(self, title: str, text: str, action: str = "") -> None:
        self.title.setText(title)
        self.text.setText(text)
        self.button.setText(action)
        self.button.setAccessibleName(action or "No action")
        self.button.setVisible(bool(action))
