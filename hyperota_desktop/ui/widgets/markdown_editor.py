"""Markdown text with a live preview beside it and a character count against a limit.

Signals: `edited()` on every change.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QSplitter, QTextBrowser, QVBoxLayout, QWidget

from hyperota_desktop.ui.widgets.naming import named
from hyperota_desktop.ui.widgets.status_badge import Tone, set_tone


class MarkdownEditor(QWidget):
    edited = Signal()

    def __init__(self, name: str, accessible: str, limit: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}Panel")
        self.limit = limit
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        split = named(QSplitter(Qt.Orientation.Horizontal), f"{name}Splitter")
        self.edit = named(QPlainTextEdit(), name, accessible)
        self.edit.setTabChangesFocus(True)  # Tab moves on: no keyboard trap
        self.edit.setPlaceholderText("What changes for users (Markdown: **bold**, lists, links)…")
        self.preview = named(QTextBrowser(), f"{name}Preview", f"{accessible}: preview")
        self.preview.setOpenExternalLinks(False)  # notes come from other people: never follow on a click
        split.addWidget(self.edit)
        split.addWidget(self.preview)
        self.count = named(QLabel(""), f"{name}Count", f"{accessible}: characters")
        layout.addWidget(split, 1)
        layout.addWidget(self.count, 0, Qt.AlignmentFlag.AlignRight)
        self.edit.textChanged.connect(self._changed)
        self._changed()

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    @property
    def too_long(self) -> bool:
        return len(self.text()) > self.limit

    def _changed(self) -> None:
        text = self.text()
        self.preview.setMarkdown(text)
        self.count.setText(f"{len(text)} / {self.limit}")
        set_tone(self.count, Tone.DANGER if self.too_long else None)
        self.edited.emit()
