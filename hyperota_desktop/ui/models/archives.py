"""Qt item models of the Archives page: the verification report (green/red per check) and .env keys."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from hyperota_desktop.domain.archive_report import Check, Status

Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
_COLOURS = {Status.PASSED: "#d7f2da", Status.FAILED: "#f8d3d1", Status.SKIPPED: "#fff1c7"}
_TEXT_COLOURS = {Status.PASSED: "#135e1f", Status.FAILED: "#8f1a12", Status.SKIPPED: "#6b5200"}
_MARKS = {Status.PASSED: "✔ passed", Status.FAILED: "✘ failed", Status.SKIPPED: "○ skipped"}
MASK = "••••••••"


class ReportModel(QAbstractTableModel):
    """One row per check: part, result and detail, coloured by result."""

    HEADERS = ("Part", "Result", "Detail")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Check] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def set_checks(self, checks: list[Check]) -> None:
        self.beginResetModel()
        self.rows = list(checks)
        self.endResetModel()

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        check = self.rows[index.row()]
        if role == _DISPLAY:
            return (check.part, _MARKS[check.status], check.detail)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return check.detail
        if role == Qt.ItemDataRole.BackgroundRole:
            return QColor(_COLOURS[check.status])
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(_TEXT_COLOURS[check.status])
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{check.part}: {check.status.value} — {check.detail}"
        if role == Qt.ItemDataRole.UserRole:
            return check
        return None


class SecretRow:
    __slots__ = ("encrypt", "key", "status", "value")

    def __init__(self, key: str, value: str, encrypt: bool = False, status: str = "") -> None:
        self.key, self.value, self.encrypt, self.status = key, value, encrypt, status

    def __repr__(self) -> str:  # never the value
        return f"SecretRow({self.key!r}, encrypt={self.encrypt})"


class SecretsModel(QAbstractTableModel):
    """Keys of a `.env` (tick the ones to encrypt) or the result of decrypting one; values stay masked
    unless `show_values`."""

    HEADERS = ("Encrypt", "Key", "Value", "Check")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[SecretRow] = []
        self.show_values = False
        self.checkable = True

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def set_rows(self, rows: list[SecretRow], *, checkable: bool) -> None:
        self.beginResetModel()
        self.rows, self.checkable = list(rows), checkable
        self.endResetModel()

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

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.CheckStateRole and column == 0 and self.checkable:
            return Qt.CheckState.Checked if row.encrypt else Qt.CheckState.Unchecked
        if role in (_DISPLAY, Qt.ItemDataRole.AccessibleTextRole):
            if column == 1:
                return row.key
            if column == 2:
                if not row.value:
                    return ""
                return row.value if self.show_values else MASK
            if column == 3:
                return row.status
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if index.isValid() and index.column() == 0 and role == Qt.ItemDataRole.CheckStateRole:
            self.rows[index.row()].encrypt = Qt.CheckState(value) == Qt.CheckState.Checked
            self.dataChanged.emit(index, index)
            return True
        return False
