"""A JSON text editor that checks as you type: the error with its line and column under the text, and the
line marked, or the parsed value.

Signals: `validityChanged(bool)` when the text turns valid or invalid; `edited()` on every change.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QFontDatabase, QTextCursor, QTextFormat
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from hyperota_desktop.ui.widgets.naming import named
from hyperota_desktop.ui.widgets.status_badge import Tone, set_tone


def json_problem(text: str, *, require_object: bool = True) -> tuple[Any, str, int]:
    """(value, problem, line): the parsed value, or why not ('' when fine) and the 1-based line of the
    error (0 when it has none). Empty text is an empty object."""
    if not text.strip():
        return {}, "", 0
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"Line {exc.lineno}, column {exc.colno}: {exc.msg}.", exc.lineno
    if require_object and not isinstance(value, dict):
        return None, f"This must be a JSON object ({{…}}), not {type(value).__name__}.", 1
    return value, "", 0


class JsonEditor(QWidget):
    validityChanged = Signal(bool)
    edited = Signal()

    def __init__(
        self, name: str, accessible: str, *, require_object: bool = True, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}Panel")
        self._require_object = require_object
        self._valid = True
        self._value: Any = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = named(QPlainTextEdit(), name, accessible)
        self.edit.setTabChangesFocus(True)  # Tab moves on (no keyboard trap); indent with spaces
        self.edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.edit.setPlaceholderText('{"banner": "sale"}')
        self.error = named(QLabel(""), f"{name}Error", f"{accessible}: problem")
        self.error.setWordWrap(True)
        set_tone(self.error, Tone.DANGER)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.error)
        self.edit.textChanged.connect(self._check)

    @property
    def valid(self) -> bool:
        return self._valid

    def value(self) -> Any:
        """The parsed value (None while the text is not valid)."""
        return self._value

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_value(self, value: Any) -> None:
        self.edit.setPlainText(json.dumps(value, indent=2, sort_keys=True) if value else "")

    def _check(self) -> None:
        value, problem, line = json_problem(self.edit.toPlainText(), require_object=self._require_object)
        self._value = value
        self.error.setText(problem)
        marks: list[QTextEdit.ExtraSelection] = []
        if line:
            mark = QTextEdit.ExtraSelection()
            mark.format.setBackground(QColor(198, 40, 40, 60))  # translucent: reads on light and dark
            mark.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            cursor = QTextCursor(self.edit.document().findBlockByLineNumber(line - 1))
            mark.cursor = cursor
            marks.append(mark)
        self.edit.setExtraSelections(marks)
        valid = not problem
        if valid != self._valid:
            self._valid = valid
            self.validityChanged.emit(valid)
        self.edited.emit()
