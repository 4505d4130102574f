"""The Dimensions table: position (priority), name, type, allowed values, description.

Rows can be dragged to another place: the model does not move anything itself, it asks
(`moveRequested(name, position)`) and the presenter moves it on the server and reloads, so the table
only ever shows the order the server holds.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal

from hyperota_desktop.domain.dimensions import Dimension
from hyperota_desktop.ui.models.table import RowTable

Index = QModelIndex | QPersistentModelIndex
MIME = "application/x-hyperota-dimension"


def schema_text(dimension: Dimension) -> str:
    kind = dimension.kind
    if kind is None:
        return f"other ({dimension.schema.get('type', '?')})"
    return kind.value


class DimensionsModel(RowTable):
    HEADERS = ("Position", "Dimension", "Type", "Values", "Description")
    moveRequested = Signal(str, int)

    def cell(self, row: Dimension, column: int) -> str:
        values = ", ".join(str(v) for v in row.values)
        return (str(row.position), row.name, schema_text(row), values, row.description)[column]

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if not index.isValid():
            return base | Qt.ItemFlag.ItemIsDropEnabled
        return base | Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsDropEnabled

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, indexes: Any) -> QMimeData:
        data = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        if rows:
            data.setData(MIME, self.rows[rows[0]].name.encode())
        return data

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        """Ask to move the dragged dimension where it was dropped; the table changes once the server
        has moved it (the presenter reloads), so nothing is moved here."""
        if action != Qt.DropAction.MoveAction or not data.hasFormat(MIME):
            return False
        name = bytes(data.data(MIME).data()).decode()
        source = next((i for i, d in enumerate(self.rows) if d.name == name), -1)
        if source < 0:
            return False
        target = row if row >= 0 else (parent.row() if parent.isValid() else len(self.rows))
        if source < target:
            target -= 1  # the row leaves its place first
        target = max(0, min(target, len(self.rows) - 1))
        if target != source:
            self.moveRequested.emit(name, self.rows[target].position)  # where that row is now
        return False

    def position_of(self, name: str) -> int:
        return next((d.position for d in self.rows if d.name == name), 0)
