"""Qt item models of the Archives page: the verification report (green/red per check) and .env keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from hyperota_desktop.domain.archive_report import Check, Status
from hyperota_desktop.ui.models.table import Index, RowTable

_DISPLAY = Qt.ItemDataRole.DisplayRole
_COLOURS = {Status.PASSED: "#d7f2da", Status.FAILED: "#f8d3d1", Status.SKIPPED: "#fff1c7"}
_TEXT_COLOURS = {Status.PASSED: "#135e1f", Status.FAILED: "#8f1a12", Status.SKIPPED: "#6b5200"}
_MARKS = {Status.PASSED: "✔ passed", Status.FAILED: "✘ failed", Status.SKIPPED: "○ skipped"}
MASK = "••••••••"


class ReportModel(RowTable):
    """One row per check: part, result and detail, coloured by result."""

    HEADERS = ("Part", "Result", "Detail")

    def cell(self, row: Check, column: int) -> str:
        return (row.part, _MARKS[row.status], row.detail)[column]

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        check: Check = self.rows[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return check.detail
        if role == Qt.ItemDataRole.BackgroundRole:
            return QColor(_COLOURS[check.status])
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(_TEXT_COLOURS[check.status])
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{check.part}: {check.status.value} — {check.detail}"
        return super().data(index, role)  # the cell's text, the check itself (ROW_ROLE)


class SecretRow:
    __slots__ = ("encrypt", "key", "status", "value")

    def __init__(self, key: str, value: str, encrypt: bool = False, status: str = "") -> None:
        self.key, self.value, self.encrypt, self.status = key, value, encrypt, status

    def __repr__(self) -> str:  # never the value
        return f"SecretRow({self.key!r}, encrypt={self.encrypt})"


class SecretsModel(RowTable):
    """Keys of a `.env` (tick the ones to encrypt) or the result of decrypting one; values stay masked
    unless `show_values`."""

    HEADERS = ("Encrypt", "Key", "Value", "Check")

    def __init__(self) -> None:
        super().__init__()
        self.show_values = False
        self.checkable = True

    def set_rows(self, rows: Sequence[SecretRow], *, checkable: bool = True) -> None:
        """`checkable`: keys to tick for encryption (a .env), or a decryption's result (read only)."""
        self.checkable = checkable
        super().set_rows(rows)

    def set_show_values(self, show: bool) -> None:
        self.show_values = show
        if self.rows:
            self.dataChanged.emit(self.index(0, 2), self.index(len(self.rows) - 1, 2))

    def chosen(self) -> list[str]:
        return [r.key for r in self.rows if r.encrypt]

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == 0 and self.checkable:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def cell(self, row: SecretRow, column: int) -> str:
        if column == 2:
            return "" if not row.value else row.value if self.show_values else MASK
        return ("", row.key, "", row.status)[column]

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        """The tick box in column 0 (no text there); never the value in a tooltip."""
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.CheckStateRole and column == 0 and self.checkable:
            return Qt.CheckState.Checked if row.encrypt else Qt.CheckState.Unchecked
        if role in (_DISPLAY, Qt.ItemDataRole.AccessibleTextRole) and column > 0:
            return self.cell(row, column)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if index.isValid() and index.column() == 0 and role == Qt.ItemDataRole.CheckStateRole:
            self.rows[index.row()].encrypt = Qt.CheckState(value) == Qt.CheckState.Checked
            self.dataChanged.emit(index, index)
            return True
        return False
