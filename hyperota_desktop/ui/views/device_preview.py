"""The device preview: a device's dimension values and identifier → the release config it receives,
which release and variant it came from, its bucket, why, and the files it downloads. Online (the server
answers) or offline from a saved snapshot.

A view only. Signals:
- `previewRequested(dict, str, object, bool)`: dimension values, identifier, toss (None: not given),
  from the snapshot (True) or the server;
- `openSnapshotRequested()`, `saveSnapshotRequested()`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.domain.dimensions import Dimension
from hyperota_desktop.domain.release_drafts import DeviceFile
from hyperota_desktop.ui.models.releases import DeviceFilesModel
from hyperota_desktop.ui.views.dimension_inputs import edited_signal, set_value, value_input, value_of
from hyperota_desktop.ui.views.page_actions import action_button, explain, page_action
from hyperota_desktop.ui.views.release_detail import json_view, table
from hyperota_desktop.ui.widgets.naming import named
from hyperota_desktop.ui.widgets.status_badge import Tone, set_tone

NO_TOSS = -2


class DevicePreviewPanel(QWidget):
    previewRequested = Signal(dict, str, object, bool)
    openSnapshotRequested = Signal()
    saveSnapshotRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("devicePreviewPanel")
        self._dimensions: list[Dimension] = []
        self._inputs: dict[str, QWidget] = {}
        self._live = False
        self._reason = ""
        layout = QVBoxLayout(self)
        intro = QLabel(
            "What does one device get? Give its dimension values (empty: the device does not send it) and "
            "its identifier: the answer is the server's own (or a saved snapshot's, offline), with the "
            "device's bucket to explain why it is, or is not, in a release."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        source = QHBoxLayout()
        self.source = named(QComboBox(), "previewSource", "Where the answer comes from")
        self.source.addItem("Ask the server", False)
        self.source.addItem("Saved snapshot (offline)", True)
        self.snapshot_label = named(QLabel("No snapshot open."), "previewSnapshotLabel", "Snapshot in use")
        self.open_action = page_action(self, "openSnapshotAction", "Open snapshot…", "Ctrl+O",
                                       "Answer from a saved snapshot, without the network")  # fmt: skip
        self.save_action = page_action(self, "saveSnapshotAction", "Save snapshot…", "Ctrl+S",
                                       "Save what offline previews need of this application")  # fmt: skip
        self.preview_action = page_action(self, "previewDeviceAction", "Preview", "Ctrl+Return",
                                          "What this device gets")  # fmt: skip
        source.addWidget(QLabel("Answer from:"))
        source.addWidget(self.source)
        source.addWidget(self.snapshot_label, 1)
        source.addWidget(action_button(self.open_action))
        source.addWidget(action_button(self.save_action))
        layout.addLayout(source)
        self.form = QFormLayout()
        self.identifier = named(QLineEdit(), "previewIdentifier", "Device identifier")
        self.identifier.setPlaceholderText("the device's identifier, e.g. its install id")
        self.toss = named(QSpinBox(), "previewToss", "Device toss (servers before v0.82)")
        self.toss.setRange(NO_TOSS, 100)
        self.toss.setSpecialValueText("— (servers before v0.82 only)")
        self.toss.setValue(NO_TOSS)
        self.dims_box = QWidget()
        self.dims_form = QFormLayout(self.dims_box)
        self.dims_form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow("Identifier", self.identifier)
        self.form.addRow("Toss", self.toss)
        self.form.addRow("Dimensions", self.dims_box)
        layout.addLayout(self.form)
        row = QHBoxLayout()
        self.problem = named(QLabel(""), "previewProblem", "Why the preview cannot run")
        set_tone(self.problem, Tone.DANGER)
        row.addWidget(self.problem, 1)
        row.addWidget(action_button(self.preview_action, "Preview what this device gets"))
        layout.addLayout(row)
        self.summary = named(QLabel(""), "previewSummary", "What the device gets")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.summary.font()
        font.setBold(True)
        self.summary.setFont(font)
        self.explanation = named(QLabel(""), "previewExplanation", "Why: the device's bucket")
        self.explanation.setWordWrap(True)
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        layout.addWidget(self.explanation)
        split = named(QSplitter(Qt.Orientation.Horizontal), "previewSplitter")
        self.files_model = DeviceFilesModel()
        self.files_table = table("previewFilesTable", "Files the device downloads, in order")
        self.files_table.setModel(self.files_model)
        self.config = json_view("previewConfig", "The release config the device receives")
        split.addWidget(self.files_table)
        split.addWidget(self.config)
        layout.addWidget(split, 1)
        self.preview_action.triggered.connect(self._request)
        self.open_action.triggered.connect(self.openSnapshotRequested)
        self.save_action.triggered.connect(self.saveSnapshotRequested)
        self.source.currentIndexChanged.connect(lambda _i: self._update())
        self.identifier.returnPressed.connect(self._request)
        self._snapshot = False
        self._update()

    # -- what the presenter calls -----------------------------------------------------------------------
    def set_live(self, live: bool, reason: str = "") -> None:
        """Online previews need an application and someone signed in (read access)."""
        self._live = live
        self._reason = reason
        self._update()

    def set_snapshot(self, text: str, loaded: bool) -> None:
        self.snapshot_label.setText(text)
        self._snapshot = loaded
        if loaded:
            self.source.setCurrentIndex(1)
        self._update()

    def set_dimensions(self, dimensions: Sequence[Dimension]) -> None:
        """One typed input per dimension (values kept for the names still there)."""
        kept = {d.name: value_of(self._inputs[d.name], d)[0] for d in self._dimensions}
        while self.dims_form.rowCount():
            self.dims_form.removeRow(0)
        self._dimensions = list(dimensions)
        self._inputs = {}
        for dim in self._dimensions:
            widget = value_input(dim, f"previewDim_{dim.name}")
            set_value(widget, kept.get(dim.name))
            edited_signal(widget).connect(lambda *_: self.problem.clear())
            self._inputs[dim.name] = widget
            self.dims_form.addRow(dim.name, widget)
        if not self._dimensions:
            self.dims_form.addRow(QLabel("This application has no dimensions."))

    def show_result(
        self, summary: str, explanation: Sequence[str], files: Sequence[DeviceFile], config: Any
    ) -> None:
        self.summary.setText(summary)
        self.explanation.setText("\n".join(f"• {line}" for line in explanation))
        self.files_model.set_rows(list(files))
        self.config.setPlainText(
            "The device gets no release config: no package has reached it."
            if config is None
            else json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False)
        )

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)

    def clear(self) -> None:
        self.show_result("", [], [], None)
        self.config.clear()
        self.problem.clear()

    def forget_inputs(self) -> None:
        """Another person in front of the window: nothing the previous one typed or opened stays (the
        identifier, toss, dimension values, the snapshot and its answers)."""
        self.identifier.clear()
        self.toss.setValue(NO_TOSS)
        for widget in self._inputs.values():
            set_value(widget, None)
        self.snapshot_label.setText("No snapshot open.")
        self._snapshot = False
        self.source.setCurrentIndex(0)
        self.clear()
        self._update()

    @property
    def offline(self) -> bool:
        return bool(self.source.currentData())

    def values(self) -> tuple[dict[str, Any], list[str]]:
        """The typed dimension values given, and the problems of those that are not values."""
        found: dict[str, Any] = {}
        problems: list[str] = []
        for dim in self._dimensions:
            value, problem = value_of(self._inputs[dim.name], dim)
            if problem:
                problems.append(problem)
            elif value is not None:
                found[dim.name] = value
        return found, problems

    # -- internals --------------------------------------------------------------------------------------
    def _request(self) -> None:
        dims, problems = self.values()
        if problems:
            self.show_problem("; ".join(problems))
            return
        self.problem.clear()
        toss = self.toss.value()
        self.previewRequested.emit(
            dims, self.identifier.text().strip(), None if toss == NO_TOSS else toss, self.offline
        )

    def _update(self) -> None:
        offline = self.offline
        reason = self._reason
        can_preview = self._snapshot if offline else self._live
        why = "Open a snapshot first." if offline else (reason or "Select an application and sign in.")
        explain(self.preview_action, can_preview, why)
        explain(self.save_action, self._live, reason or "Select an application and sign in.")
        self.open_action.setEnabled(True)
