"""Table model of members (username, name, email, effective level, where it comes from) and the
level-selector delegate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate, QStyleOptionViewItem, QWidget

COLUMNS = ("Username", "Name", "Email", "Level", "From")
LEVEL_COLUMN = 3
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class MemberRow:
    """`level`: the effective level; `source`: where it comes from (e.g. "organisation (owner)");
    `direct`: the level held in the scope itself, the one the selector changes ("" = only inherited);
    `levels`: what this member's level selector offers (the guards' choice; editable when more than
    the current one); `locked`: why the level cannot change; `removal`: why they cannot be removed."""

    username: str
    name: str
    email: str
    level: str  # owner | admin | write | read
    levels: tuple[str, ...] | None = None  # None: every level of the table
    locked: str = ""
    removal: str = ""
    source: str = ""
    direct: str | None = None  # None: the same as `level`


class MembersModel(QAbstractTableModel):
    """Signals: `levelEdited(str username, str level)` when the level cell is edited (nothing changes
    in the model until the presenter reloads it from Keycloak)."""

    levelEdited = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[MemberRow] = []
        self.levels: tuple[str, ...] = ("owner", "admin", "write", "read")
        self.editable = False

    def set_rows(self, rows: list[MemberRow], levels: tuple[str, ...], editable: bool) -> None:
        self.beginResetModel()
        self.rows, self.levels, self.editable = list(rows), levels, editable
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        value = (row.username, row.name, row.email, row.level, row.source)[index.column()]
        if role == Qt.ItemDataRole.EditRole and index.column() == LEVEL_COLUMN:
            return row.level if row.direct is None else row.direct
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return value
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == LEVEL_COLUMN and self.editable:
            return row.locked or ("Change level… or double-click" if self.can_edit(index.row()) else "")
        return None

    def levels_at(self, row: int) -> tuple[str, ...]:
        if not 0 <= row < len(self.rows):
            return ()
        offered = self.rows[row].levels
        return self.levels if offered is None else offered

    def can_edit(self, row: int) -> bool:
        return self.editable and len(self.levels_at(row)) > 1

    def removal_refused(self, row: int) -> str:
        """Why the member of `row` cannot be removed ("" = they can)."""
        if not self.editable:
            return "You need the admin or owner level to change members."
        return self.rows[row].removal if 0 <= row < len(self.rows) else "Select a member first."

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == LEVEL_COLUMN and self.can_edit(index.row()):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (
            role != Qt.ItemDataRole.EditRole
            or index.column() != LEVEL_COLUMN
            or not self.can_edit(index.row())
            or value not in self.levels_at(index.row())
        ):
            return False
        row = self.rows[index.row()]
        if value != (row.level if row.direct is None else row.direct):
            self.levelEdited.emit(row.username, str(value))
        return True

    def level_locked(self, row: int) -> str:
        """Why the level of the member of `row` cannot be changed here ("" = it can)."""
        if not self.editable:
            return "You need the admin or owner level to change members."
        if not 0 <= row < len(self.rows):
            return "Select a member first."
        return "" if self.can_edit(row) else self.rows[row].locked or "No other level is allowed."

    def username_at(self, row: int) -> str:
        return self.rows[row].username if 0 <= row < len(self.rows) else ""


class LevelDelegate(QStyledItemDelegate):
    """A combobox of the levels the guards allow for that member, in the Level column."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        combo = QComboBox(parent)
        combo.setObjectName("memberLevelEditor")
        combo.setAccessibleName("Access level")
        model = index.model()
        if isinstance(model, MembersModel):
            levels = model.levels_at(index.row())
        else:
            levels = ("owner", "admin", "write", "read")
        combo.addItems(list(levels))
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        if isinstance(editor, QComboBox):
            editor.setCurrentText(str(index.data(Qt.ItemDataRole.EditRole)))

    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)
