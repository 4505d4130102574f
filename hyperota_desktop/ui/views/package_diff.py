"""The Diff tab of the Packages page: two version pickers that offer only the versions that exist (newest
first; "latest vs previous" once the list loads), a Compare button, and the differences coloured by kind
(added, removed, changed) with the palette's inks, so they read in light and dark themes alike.

A view only. Signal: `diffRequested(int old, int new)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.ui.widgets.naming import named
from hyperota_desktop.ui.widgets.status_badge import Tone, ink

# What a line of the diff is: its kind decides its colour (the leading "+", "-", "~" says it too).
DIFF_TONES: dict[str, Tone | None] = {
    "added": Tone.SUCCESS,
    "removed": Tone.DANGER,
    "changed": Tone.WARNING,
    "info": None,
}


class VersionPicker(QComboBox):
    """A package version among those that exist (newest first)."""

    def set_versions(self, versions: Iterable[int]) -> None:
        current = self.value()
        self.blockSignals(True)
        self.clear()
        for version in sorted(set(versions), reverse=True):
            self.addItem(str(version), version)
        self.blockSignals(False)
        self.setValue(current)

    def versions(self) -> list[int]:
        return [int(self.itemData(i)) for i in range(self.count())]

    def value(self) -> int:
        data = self.currentData()
        return int(data) if data is not None else 0

    def setValue(self, version: int) -> None:
        found = self.findData(version)
        if found >= 0:
            self.setCurrentIndex(found)


class PackageDiff(QWidget):
    diffRequested = Signal(int, int)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("packagesDiffTab")
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.diff_from = named(VersionPicker(), "packagesDiffFrom", "Older version")
        self.diff_to = named(VersionPicker(), "packagesDiffTo", "Newer version")
        self.diff_button = named(QPushButton("Compare"), "packagesDiffButton", "Compare the two versions")
        self.diff_button.clicked.connect(self._compare)
        row.addWidget(QLabel("From"))
        row.addWidget(self.diff_from)
        row.addWidget(QLabel("to"))
        row.addWidget(self.diff_to)
        row.addWidget(self.diff_button)
        row.addStretch(1)
        self.diff_text = named(QPlainTextEdit(), "packagesDiffText", "Differences")
        self.diff_text.setTabChangesFocus(True)  # Tab moves on: no keyboard trap
        self.diff_text.setReadOnly(True)
        layout.addLayout(row)
        layout.addWidget(self.diff_text)
        self._update_button()

    def set_versions(self, versions: Sequence[int]) -> None:
        """The versions that exist; a first list chooses the latest against the one before it."""
        latest_before = max(self.diff_to.versions(), default=0)
        on_latest = self.diff_to.count() == 0 or self.diff_to.value() == latest_before
        self.diff_from.set_versions(versions)
        self.diff_to.set_versions(versions)
        if on_latest:  # not moved by the person: follow the newest
            self.choose(max(versions, default=0))
        self._update_button()

    def choose(self, new: int) -> None:
        """Compare `new` with the version before it (that exists)."""
        self.diff_to.setValue(new)
        older = [v for v in self.diff_from.versions() if v < new]
        if older:
            self.diff_from.setValue(max(older))
        self._update_button()

    def show_diff(self, lines: Sequence[tuple[str, str]]) -> None:
        """`lines`: (kind, text), kind one of `DIFF_TONES`."""
        self.diff_text.clear()
        cursor = QTextCursor(self.diff_text.document())
        for number, (kind, text) in enumerate(lines):
            fmt = QTextCharFormat()
            tone = DIFF_TONES.get(kind)
            if tone is not None:
                fmt.setForeground(ink(self.palette(), tone))
            if number:
                cursor.insertBlock()
            cursor.insertText(text, fmt)

    def _update_button(self) -> None:
        self.diff_button.setEnabled(self.diff_to.count() > 1)

    def _compare(self) -> None:
        old, new = sorted((self.diff_from.value(), self.diff_to.value()))
        if old and new and old != new:
            self.diffRequested.emit(old, new)
