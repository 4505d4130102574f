"""The five pages of the release wizard: target, package, files, config, review. Each edits part of the
draft, shows the service's problems for its own fields (`show_problems`), and is complete when its
inputs parse and the last review found no error in its fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from hyperota_desktop.domain.dimensions import Dimension
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.packages import Manifest, PackageFile
from hyperota_desktop.domain.release_drafts import MAX_NOTES, MAX_TIMEOUT_MS, FieldProblem, ValueChange
from hyperota_desktop.domain.units import human_size
from hyperota_desktop.ui.models.releases import ChangesModel
from hyperota_desktop.ui.views.dimension_inputs import edited_signal, set_value, value_input, value_of
from hyperota_desktop.ui.views.release_detail import json_view, table
from hyperota_desktop.ui.widgets.json_editor import JsonEditor
from hyperota_desktop.ui.widgets.markdown_editor import MarkdownEditor
from hyperota_desktop.ui.widgets.naming import named
from hyperota_desktop.ui.widgets.status_badge import Tone, set_tone


def problems_label(name: str) -> QLabel:
    label = named(QLabel(""), name, "Problems on this page")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class StepPage(QWizardPage):
    """A page that owns some fields of the draft: `FIELDS` are the review's field names it shows."""

    FIELDS: tuple[str, ...] = ()
    edited = Signal()

    def __init__(self, name: str, title: str, subtitle: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.problems = problems_label(f"{name}Problems")
        self._errors = False

    def local_problem(self) -> str:
        """What the page's own inputs say is wrong before any review ("" when they parse)."""
        return ""

    def show_problems(self, found: Sequence[FieldProblem]) -> None:
        mine = [p for p in found if any(p.field == f or p.field.startswith(f"{f}.") for f in self.FIELDS)]
        errors = [p for p in mine if not p.warning]
        lines = [f"✖ {p.message}" for p in errors] + [f"⚠ {p.message}" for p in mine if p.warning]
        local = self.local_problem()
        if local:
            lines.insert(0, f"✖ {local}")
        self.problems.setText("\n".join(lines))
        set_tone(self.problems, Tone.DANGER if errors or local else Tone.WARNING if lines else None)
        self._errors = bool(errors)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self._errors and not self.local_problem()

    def changed(self) -> None:
        self.show_problems([])  # old problems no longer apply; the review that follows says
        self.edited.emit()


class TargetRow(QWidget):
    """One `dimension = value` row: the value's input follows the dimension's schema.
    Signals: `edited()`, `removeRequested()`."""

    edited = Signal()
    removeRequested = Signal()

    def __init__(
        self, dimensions: Sequence[Dimension], number: int, name: str = "", value: Any = None
    ) -> None:
        super().__init__()
        self.setObjectName(f"wizardTargetRow{number}")
        self._dimensions = list(dimensions)
        self._number = number
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.combo = named(QComboBox(), f"wizardTargetDim{number}", "Dimension of the target row")
        for dim in self._dimensions:
            self.combo.addItem(dim.name, dim.name)
        if name:
            self.combo.setCurrentIndex(max(0, self.combo.findData(name)))
        self.remove = named(QPushButton("Remove"), f"wizardTargetRemove{number}", "Remove the target row")
        self.input: QWidget = QWidget()
        self.layout_.addWidget(self.combo)
        self.layout_.addWidget(self.input, 1)
        self.layout_.addWidget(self.remove)
        self._rebuild()
        if value is not None:
            set_value(self.input, value)
        self.combo.currentIndexChanged.connect(self._dimension_chosen)
        self.remove.clicked.connect(self.removeRequested)

    @property
    def dimension(self) -> Dimension:
        return next(d for d in self._dimensions if d.name == self.combo.currentData())

    def value(self) -> tuple[Any, str]:
        return value_of(self.input, self.dimension)

    def _dimension_chosen(self, _index: int) -> None:
        self._rebuild()
        self.edited.emit()

    def _rebuild(self) -> None:
        old = self.input
        self.input = value_input(self.dimension, f"wizardTargetValue{self._number}", optional=False)
        self.layout_.replaceWidget(old, self.input)
        old.deleteLater()
        edited_signal(self.input).connect(lambda *_: self.edited.emit())


class TargetPage(StepPage):
    FIELDS = ("target",)

    def __init__(self) -> None:
        super().__init__("wizardTargetPage", "1. Target", "Which devices get the release: every row must "
                         "match (no rows: every device).")  # fmt: skip
        self.dimensions: list[Dimension] = []
        self.rows: list[TargetRow] = []
        self._made = 0
        layout = QVBoxLayout(self)
        self.rows_box = QVBoxLayout()
        layout.addLayout(self.rows_box)
        self.add_button = named(QPushButton("Add target row"), "wizardAddTargetRow", "Add a target row")
        self.add_button.clicked.connect(lambda: self.add_row())
        self.everyone = named(QLabel("No rows: the release is for every device."), "wizardEveryone")
        self.force = named(QCheckBox("Create anyway (another release for this target is unfinished)"),
                           "wizardForce", "Create anyway, though another release is unfinished")  # fmt: skip
        self.force.setVisible(False)
        self.force.toggled.connect(lambda _on: self.completeChanged.emit())
        self.locked = named(QLabel(""), "wizardTargetLocked")
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.everyone)
        layout.addWidget(self.locked)
        layout.addWidget(self.problems)
        layout.addWidget(self.force)
        layout.addStretch(1)
        self._conflict = False

    def set_dimensions(self, dimensions: Sequence[Dimension]) -> None:
        self.dimensions = list(dimensions)
        self.add_button.setEnabled(bool(self.dimensions) and not self.locked.text())
        if not self.dimensions:
            self.everyone.setText("This application has no dimensions: the release is for every device.")

    def add_row(self, name: str = "", value: Any = None) -> TargetRow:
        if not name:  # the first dimension not used yet
            used = {r.dimension.name for r in self.rows}
            name = next((d.name for d in self.dimensions if d.name not in used), "")
        row = TargetRow(self.dimensions, self._made, name, value)
        self._made += 1
        row.edited.connect(self.changed)
        row.removeRequested.connect(lambda: self._remove(row))
        self.rows.append(row)
        self.rows_box.addWidget(row)
        self.everyone.setVisible(False)
        self.changed()
        return row

    def _remove(self, row: TargetRow) -> None:
        self.rows.remove(row)
        self.rows_box.removeWidget(row)
        row.deleteLater()
        self.everyone.setVisible(not self.rows)
        self.changed()

    def target(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for row in self.rows:
            value, _problem = row.value()
            if value is not None:
                out[row.dimension.name] = value
        return out

    def local_problem(self) -> str:
        names = [r.dimension.name for r in self.rows]
        if len(set(names)) != len(names):
            return "A dimension appears in two rows: a device has one value of it."
        for row in self.rows:
            value, problem = row.value()
            if problem:
                return problem
            if value is None:
                return f"Give {row.dimension.name} a value, or remove the row."
        return ""

    def lock(self, text: str) -> None:
        """Editing a created release: its target stays."""
        self.locked.setText(text)
        self.add_button.setEnabled(False)
        for row in self.rows:
            row.setEnabled(False)

    def set_conflict(self, text: str) -> None:
        self._conflict = bool(text)
        self.force.setVisible(bool(text))
        if not text:
            self.force.setChecked(False)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return super().isComplete() and (not self._conflict or self.force.isChecked())


class PackagePage(StepPage):
    FIELDS = ("package",)

    def __init__(self) -> None:
        super().__init__("wizardPackagePage", "2. Package", "The package to release: a version or a tag.")
        layout = QFormLayout(self)
        self.package = named(QComboBox(), "wizardPackage", "Package version or tag")
        self.package.setEditable(True)
        self.package.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line = self.package.lineEdit()
        if line is not None:  # what a screen reader lands on when typing
            named(line, "wizardPackageText", "Package version or tag")
            line.setPlaceholderText("a version number or a tag")
        self.download = named(QLabel(""), "wizardDownload", "What devices in the target download")
        self.download.setWordWrap(True)
        layout.addRow("Package", self.package)
        layout.addRow("Download", self.download)
        layout.addRow(self.problems)
        self.package.currentTextChanged.connect(lambda _t: self.changed())

    def set_choices(self, choices: Sequence[tuple[str, str]]) -> None:
        """(value, label) pairs: versions newest first, then tags."""
        current = self.value()
        self.package.blockSignals(True)
        self.package.clear()
        for value, label in choices:
            self.package.addItem(label, value)
        self.package.blockSignals(False)
        self.set_value(current or (choices[0][0] if choices else ""))

    def value(self) -> str:
        text = self.package.currentText().strip()
        index = self.package.findText(text)
        data = self.package.itemData(index) if index >= 0 else None
        return str(data) if data else text

    def set_value(self, value: str) -> None:
        index = self.package.findData(value)
        if index >= 0:
            self.package.setCurrentIndex(index)
        else:
            self.package.setEditText(value)

    def local_problem(self) -> str:
        return "" if self.value() else "Choose a package version or tag."


class FilesPage(StepPage):
    FIELDS = ("lazy", "resources")
    RESOURCE_COLUMNS = ("File path", "URL", "SHA-256", "Size (bytes)")

    def __init__(self) -> None:
        super().__init__("wizardFilesPage", "3. Files", "Files fetched before boot (the app waits for them) "
                         "or after boot (lazy); the index always comes first. Extra resources are fetched "
                         "from their own URLs.")  # fmt: skip
        layout = QVBoxLayout(self)
        self.files = named(QTableWidget(0, 3), "wizardFiles", "Package files: tick those fetched after boot")
        self.files.setHorizontalHeaderLabels(["After boot (lazy)", "File", "Size"])
        self.files.horizontalHeader().setStretchLastSection(True)
        self.files.verticalHeader().setVisible(False)
        self.resources = named(QTableWidget(0, 4), "wizardResources", "Extra resources")
        self.resources.setHorizontalHeaderLabels(list(self.RESOURCE_COLUMNS))
        self.resources.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.resources.verticalHeader().setVisible(False)
        buttons = QHBoxLayout()
        self.add_resource = named(QPushButton("Add resource"), "wizardAddResource", "Add an extra resource")
        self.remove_resource = named(QPushButton("Remove resource"), "wizardRemoveResource",
                                     "Remove the selected resource")  # fmt: skip
        buttons.addWidget(self.add_resource)
        buttons.addWidget(self.remove_resource)
        buttons.addStretch(1)
        layout.addWidget(self.files, 2)
        layout.addWidget(QLabel("Extra resources:"))
        layout.addWidget(self.resources, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.problems)
        self.add_resource.clicked.connect(lambda: self._add_resource(None))
        self.remove_resource.clicked.connect(self._remove_resource)
        self.files.itemChanged.connect(lambda _i: self.changed())
        self.resources.itemChanged.connect(lambda _i: self.changed())
        self._lazy: set[str] = set()
        self._index = ""

    def set_package(self, manifest: Manifest | None) -> None:
        """Show this package's files, keeping the lazy choice of paths it still has."""
        lazy = self.lazy() or self._lazy
        self.files.blockSignals(True)
        self.files.setRowCount(0)
        self._index = manifest.index if manifest else ""
        for f in manifest.files if manifest else ():
            row = self.files.rowCount()
            self.files.insertRow(row)
            check = QTableWidgetItem("index: always first" if f.file_path == self._index else "")
            if f.file_path == self._index:
                check.setFlags(Qt.ItemFlag.ItemIsEnabled)  # fixed: never lazy
            else:
                check.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                check.setCheckState(Qt.CheckState.Checked if f.file_path in lazy else Qt.CheckState.Unchecked)
            self.files.setItem(row, 0, check)
            for column, text in ((1, f.file_path), (2, human_size(f.size))):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.files.setItem(row, column, item)
        self.files.blockSignals(False)
        self.files.resizeColumnToContents(0)

    def lazy(self) -> tuple[str, ...]:
        out = []
        for row in range(self.files.rowCount()):
            check, name = self.files.item(row, 0), self.files.item(row, 1)
            if check is not None and name is not None and check.checkState() == Qt.CheckState.Checked:
                out.append(name.text())
        return tuple(out)

    def set_lazy(self, lazy: Sequence[str]) -> None:
        self._lazy = set(lazy)

    def resources_list(self) -> tuple[tuple[PackageFile, ...], str]:
        out: list[PackageFile] = []
        for row in range(self.resources.rowCount()):
            cells = [self._cell(row, c) for c in range(4)]
            if not any(cells):
                continue
            try:
                size = int(cells[3] or "0")
                out.append(PackageFile.from_dict(
                    {"file_path": cells[0], "url": cells[1], "checksum": cells[2].lower(), "size": size}
                ))  # fmt: skip
            except ValueError:
                return (), f"Resource {row + 1}: the size is a whole number of bytes."
            except ValidationError as exc:
                return (), f"Resource {row + 1}: {exc.message}"
        return tuple(out), ""

    def _cell(self, row: int, column: int) -> str:
        item = self.resources.item(row, column)
        return item.text().strip() if item is not None else ""

    def set_resources(self, resources: Sequence[PackageFile]) -> None:
        self.resources.setRowCount(0)
        for res in resources:
            self._add_resource(res)

    def _add_resource(self, res: PackageFile | None) -> None:
        self.resources.blockSignals(True)
        row = self.resources.rowCount()
        self.resources.insertRow(row)
        values = (res.file_path, res.url, res.checksum, str(res.size)) if res else ("", "https://", "", "")
        for column, text in enumerate(values):
            self.resources.setItem(row, column, QTableWidgetItem(text))
        self.resources.blockSignals(False)
        self.changed()

    def _remove_resource(self) -> None:
        row = self.resources.currentRow()
        if row >= 0:
            self.resources.removeRow(row)
            self.changed()

    def local_problem(self) -> str:
        return self.resources_list()[1]


class ConfigPage(StepPage):
    FIELDS = ("boot_timeout", "release_config_timeout", "properties")

    def __init__(self) -> None:
        super().__init__("wizardConfigPage", "4. Config", "How long the app waits, and the remote "
                         "properties it reads (a JSON object, merged over what devices have).")  # fmt: skip
        layout = QFormLayout(self)
        self.boot = self._timeout("wizardBootTimeout", "Boot timeout: how long the app waits for its files")
        self.config_timeout = self._timeout(
            "wizardConfigTimeout", "Release config timeout: how long the app waits for this config"
        )
        self.properties = JsonEditor("wizardProperties", "Remote properties (JSON object)")
        self.properties.edited.connect(self.changed)
        layout.addRow("Boot timeout", self.boot)
        layout.addRow("Release config timeout", self.config_timeout)
        layout.addRow("Remote properties", self.properties)
        layout.addRow(self.problems)

    def _timeout(self, name: str, accessible: str) -> QSpinBox:
        spin = named(QSpinBox(), name, accessible)
        spin.setRange(0, MAX_TIMEOUT_MS)
        spin.setSingleStep(250)
        spin.setSuffix(" ms")
        spin.setValue(1000)
        spin.valueChanged.connect(lambda _v: self.changed())
        return spin

    def local_problem(self) -> str:
        return "" if self.properties.valid else f"Remote properties: {self.properties.error.text()}"


class ReviewPage(StepPage):
    FIELDS = ("review", "notes")

    def __init__(self) -> None:
        super().__init__("wizardReviewPage", "5. Review", "Exactly what devices in the release get, what "
                         "changes for them, and the release notes.")  # fmt: skip
        layout = QVBoxLayout(self)
        self.summary = named(QLabel("Checking…"), "wizardReviewSummary", "Review summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.device_config = json_view(
            "wizardDeviceConfig", "The exact release config of devices in the release"
        )
        self.changes_model = ChangesModel()
        self.changes = table("wizardChanges", "What changes against what the target gets today")
        self.changes.setModel(self.changes_model)
        self.notes = MarkdownEditor("wizardNotes", "Release notes (Markdown)", MAX_NOTES)
        self.notes.edited.connect(self.changed)
        self.progress = named(QProgressBar(), "wizardProgress", "Creating the release")
        self.progress.setVisible(False)
        self.progress_label = named(QLabel(""), "wizardProgressLabel", "What the creation is doing")
        self.progress_label.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.device_config, 3)
        top.addWidget(self.changes, 2)
        layout.addWidget(self.summary)
        layout.addLayout(top, 3)
        layout.addWidget(QLabel("Release notes:"))
        layout.addWidget(self.notes, 2)
        layout.addWidget(self.problems)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_label)
        self._ready = False

    def show_review(
        self,
        summary: str,
        device_config: Mapping[str, Any] | None,
        changes: Sequence[ValueChange],
        ready: bool,
    ) -> None:
        self.summary.setText(summary)
        self.device_config.setPlainText(
            json.dumps(device_config, indent=2, sort_keys=True, ensure_ascii=False) if device_config else ""
        )
        self.changes_model.set_rows(list(changes))
        self._ready = ready
        self.completeChanged.emit()

    def local_problem(self) -> str:
        return f"Release notes are at most {MAX_NOTES} characters." if self.notes.too_long else ""

    def isComplete(self) -> bool:
        return super().isComplete() and self._ready

    def changed(self) -> None:
        self._ready = False  # the notes changed: review again before it can be created
        super().changed()
