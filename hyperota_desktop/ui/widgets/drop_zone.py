"""A framed area that accepts dropped local files and folders (reusable: knows nothing of the app)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout

from hyperota_desktop.ui.widgets.naming import named


class DropZone(QFrame):
    """Signals: `dropped(list)` with the local paths dropped on it."""

    dropped = Signal(list)

    def __init__(self, name: str, text: str) -> None:
        super().__init__()
        named(self, name, text)
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumHeight(64)
        layout = QVBoxLayout(self)
        self.label = named(QLabel(text), f"{name}Label")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        layout.addWidget(self.label)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and all(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.dropped.emit(paths)
