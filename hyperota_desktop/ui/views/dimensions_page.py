"""The Dimensions page: an application's dimensions by position (priority), with New, Move up/down (or
drag a row), Delete; and the dialog that makes a new one, checked as you type.

A view only. Signals:
- `newRequested()`, `deleteRequested(str)`, `refreshRequested()`;
- `moveRequested(str, int)`: a dimension to a position (buttons or drag).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.domain.dimensions import (
    MAX_DESCRIPTION,
    Dimension,
    DimensionKind,
    check_name,
    schema_for,
)
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.ui.models.dimensions import DimensionsModel
from hyperota_desktop.ui.views.page_actions import action_button, explain, page_action
from hyperota_desktop.ui.widgets.naming import named
from hyperota_desktop.ui.widgets.status_badge import Tone, set_tone

KIND_HELP = {
    DimensionKind.STRING: "Any text, e.g. a city or an app version.",
    DimensionKind.NUMBER: "A number, e.g. an API level.",
    DimensionKind.BOOLEAN: "true or false, e.g. beta testers.",
    DimensionKind.ENUM: "One of the values you list, e.g. free, gold.",
}


class DimensionsPage(QWidget):
    newRequested = Signal()
    deleteRequested = Signal(str)
    moveRequested = Signal(str, int)
    refreshRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("dimensionsPage")
        layout = QVBoxLayout(self)
        self.target_label = named(QLabel("Select an application on the left."), "dimensionsTarget")
        layout.addWidget(self.target_label)
        help_text = QLabel(
            "Releases target devices by these dimensions. Position is priority: when two targets match a "
            "device, the one whose dimensions sit higher wins. Drag a row, or use Move up/down."
        )
        help_text.setWordWrap(True)
        layout.addWidget(help_text)
        self.new_action = page_action(self, "newDimensionAction", "New dimension…", "Ctrl+N",
                                      "Add a dimension releases can target")  # fmt: skip
        self.up_action = page_action(self, "moveDimensionUpAction", "Move up", "Ctrl+Up",
                                     "Give the selected dimension a higher priority")  # fmt: skip
        self.down_action = page_action(self, "moveDimensionDownAction", "Move down", "Ctrl+Down",
                                       "Give the selected dimension a lower priority")  # fmt: skip
        self.delete_action = page_action(self, "deleteDimensionAction", "Delete…", "Delete",
                                         "Delete the selected dimension (refused while used)")  # fmt: skip
        self.refresh_action = page_action(self, "refreshDimensionsAction", "Refresh", "Ctrl+R",
                                          "Read the dimensions again")  # fmt: skip
        row = QHBoxLayout()
        for action in (self.new_action, self.up_action, self.down_action, self.delete_action):
            row.addWidget(action_button(action))
        row.addStretch(1)
        row.addWidget(action_button(self.refresh_action))
        layout.addLayout(row)
        self.model = DimensionsModel()
        self.table = named(QTableView(), "dimensionsTable", "Dimensions, lowest priority first")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.table.setDragEnabled(True)
        self.table.setDropIndicatorShown(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.status = named(QLabel(""), "dimensionsStatus", "Dimensions status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        self.new_action.triggered.connect(self.newRequested)
        self.up_action.triggered.connect(lambda: self._move_selected(-1))
        self.down_action.triggered.connect(lambda: self._move_selected(+1))
        self.delete_action.triggered.connect(self._delete_selected)
        self.refresh_action.triggered.connect(self.refreshRequested)
        self.model.moveRequested.connect(self.moveRequested)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self._editable, self._reason, self._live = False, "", False
        self._update()

    # -- what the presenter calls -----------------------------------------------------------------------
    def set_target(self, text: str, live: bool) -> None:
        """`live`: an application is selected and someone is signed in."""
        self.target_label.setText(text)
        self._live = live
        self._update()

    def set_permission(self, editable: bool, reason: str = "") -> None:
        self._editable, self._reason = editable, reason
        self.table.setDragEnabled(editable)
        self._update()

    def set_dimensions(self, dimensions: list[Dimension], keep: str = "") -> None:
        self.model.set_rows(dimensions)
        row = next((i for i, d in enumerate(dimensions) if d.name == (keep or self.selected)), -1)
        if row >= 0:
            self.table.selectRow(row)
        self._update()

    def show_status(self, text: str, tone: Tone | None = None) -> None:
        self.status.setText(text)
        set_tone(self.status, tone)

    @property
    def selected(self) -> str:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()].name if rows else ""

    # -- internals --------------------------------------------------------------------------------------
    def _delete_selected(self) -> None:
        if self.selected:
            self.deleteRequested.emit(self.selected)

    def _move_selected(self, step: int) -> None:
        name = self.selected
        rows = self.model.rows
        index = next((i for i, d in enumerate(rows) if d.name == name), -1)
        if index < 0 or not 0 <= index + step < len(rows):
            return
        self.moveRequested.emit(name, rows[index + step].position)

    def _update(self) -> None:
        rows = self.model.rows
        name = self.selected
        index = next((i for i, d in enumerate(rows) if d.name == name), -1)
        for action, applies in (
            (self.new_action, self._live),
            (self.up_action, self._live and index > 0),
            (self.down_action, self._live and 0 <= index < len(rows) - 1),
            (self.delete_action, self._live and index >= 0),
        ):
            explain(action, self._editable, self._reason, applies)
        self.refresh_action.setEnabled(self._live)


class NewDimensionDialog(QDialog):
    """Name, kind, values (enum) and description of a new dimension; Create is enabled only when the
    service's own rules (`domain.dimensions`) accept them, and the problem is said under the form."""

    def __init__(self, taken: set[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newDimensionDialog")
        self.setWindowTitle("New dimension")
        self._taken = taken
        form = QFormLayout()
        self.name_edit = named(QLineEdit(), "dimensionNameEdit", "Dimension name")
        self.name_edit.setPlaceholderText("e.g. city, app_version")
        self.kind_combo = named(QComboBox(), "dimensionKindCombo", "Dimension type")
        for kind in DimensionKind:
            self.kind_combo.addItem(kind.value, kind)
        self.kind_help = named(QLabel(""), "dimensionKindHelp")
        self.values_edit = named(QLineEdit(), "dimensionValuesEdit", "Allowed values (enum)")
        self.values_edit.setPlaceholderText("free, gold, platinum")
        self.description_edit = named(QPlainTextEdit(), "dimensionDescriptionEdit", "Description")
        self.description_edit.setMaximumHeight(80)
        self.description_edit.setTabChangesFocus(True)  # Tab moves on: no keyboard trap
        form.addRow("Name", self.name_edit)
        form.addRow("Type", self.kind_combo)
        form.addRow("", self.kind_help)
        form.addRow("Values", self.values_edit)
        form.addRow("Description", self.description_edit)
        self.error = named(QLabel(""), "dimensionError", "Why the dimension cannot be created")
        self.error.setWordWrap(True)
        set_tone(self.error, Tone.DANGER)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Create")
        named(self.ok, "dimensionCreateButton", "Create the dimension")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "dimensionCancelButton", "Cancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        for signal in (self.name_edit.textChanged, self.values_edit.textChanged,
                       self.description_edit.textChanged, self.kind_combo.currentIndexChanged):  # fmt: skip
            signal.connect(self._check)
        self._check()

    @property
    def kind(self) -> DimensionKind:
        return DimensionKind(self.kind_combo.currentData())

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(v.strip() for v in self.values_edit.text().split(",") if v.strip())

    @property
    def description(self) -> str:
        return self.description_edit.toPlainText().strip()

    def problem(self) -> str:
        name = self.name_edit.text()
        try:
            check_name(name)
            if name in self._taken:
                return f"There is a dimension '{name}' already."
            schema_for(self.kind, self.values if self.kind is DimensionKind.ENUM else ())
        except ValidationError as exc:
            return exc.user_text(gui=True)
        if len(self.description) > MAX_DESCRIPTION:
            return f"A description is at most {MAX_DESCRIPTION} characters."
        return ""

    def _check(self) -> None:
        self.values_edit.setEnabled(self.kind is DimensionKind.ENUM)
        self.kind_help.setText(KIND_HELP[self.kind])
        problem = self.problem()
        self.error.setText(problem if self.name_edit.text() else "")
        self.ok.setEnabled(not problem)
