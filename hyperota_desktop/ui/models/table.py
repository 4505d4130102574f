"""The bases of the app's read-only table models: a list of row objects, one `cell` text per column
(`RowTable`), and one whose rows arrive a page at a time as the view scrolls (`PagedRowTable`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
ROW_ROLE = Qt.ItemDataRole.UserRole  # the row object itself


class RowTable(QAbstractTableModel):
    HEADERS: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Any] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def cell(self, row: Any, column: int) -> str:
        raise NotImplementedError

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (_DISPLAY, Qt.ItemDataRole.ToolTipRole):
            return self.cell(row, index.column())
        if role == ROW_ROLE:
            return row
        return None


class PagedRowTable(RowTable):
    """`total` rows exist, `rows` are those loaded so far: `canFetchMore`/`fetchMore` ask for the next
    page (`moreRequested(offset)`), and ask no more until it came (`append`) or failed (`fetch_failed`).

    Signals: `moreRequested(int offset)` when the view scrolls past the loaded rows."""

    moreRequested = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.total = 0
        self._loading = False

    def reset(self, items: Sequence[Any], total: int) -> None:
        self.total = total
        self._loading = False
        self.set_rows(items)

    def append(self, items: Sequence[Any], total: int) -> None:
        self._loading = False
        self.total = total
        if not items:
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(items) - 1)
        self.rows.extend(items)
        self.endInsertRows()

    def fetch_failed(self) -> None:
        """The next page could not be read: let the view ask again (it stops asking while loading)."""
        self._loading = False

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and not self._loading and len(self.rows) < self.total

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self._loading = True
            self.moreRequested.emit(len(self.rows))
