"""The publish half of the Packages page: drop a bundle, check the pre-flight, confirm, follow the upload.

A view only. Signals:
- `pathsDropped(list)`: local paths dropped or chosen (folder, .zip or files).
- `indexChosen(str)`: the person picked the index file in the picker (check the bundle again with it).
- `publishRequested(str)`: tag ("" = none); the presenter asks for confirmation (`ask_confirmation`).
- `publishConfirmed()`: the person confirmed the publish summary.
- `pauseRequested()`, `resumeRequested()`, `cancelRequested()`: the running publish.
"""

from __future__ import annotations

import heapq
import os
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.domain.bundles import SCRIPT_SUFFIXES
from hyperota_desktop.domain.units import human_size
from hyperota_desktop.ui.models.packages import PreflightModel
from hyperota_desktop.ui.widgets.naming import named

FIT_SAMPLE = 20  # rows of each kind measured for the widths (`_fit_columns`)
MAX_COLUMN_WIDTH = 640  # a very long path does not push the other columns out of sight
HELD = "A paused publish is being cancelled (above): a new one can start once that is done."


def duration(seconds: float) -> str:
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def table(name: str, accessible: str) -> QTableView:
    """A read-only, row-selecting table as the Packages page uses them."""
    view = named(QTableView(), name, accessible)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    # Widths from the visible rows only: Qt's default reads 1,000 rows through Python (~300 ms for a
    # 2,000-file bundle, all on the UI thread; benchmark P3).
    view.horizontalHeader().setResizeContentsPrecision(0)
    view.horizontalHeader().setStretchLastSection(True)
    view.verticalHeader().setVisible(False)
    return view


class DropArea(QFrame):
    """Accepts dropped local files and folders. Signals: `dropped(list)`."""

    dropped = Signal(list)
    PROMPT = "Drop a bundle folder, a .zip or files here"

    def __init__(self) -> None:
        super().__init__()
        named(self, "packagesDropArea", "Drop a bundle folder, zip or files here")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumHeight(70)
        layout = QVBoxLayout(self)
        self.label = named(QLabel(self.PROMPT), "packagesDropLabel")
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.label)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and all(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.dropped.emit(paths)


class PublishPanel(QWidget):
    pathsDropped = Signal(list)
    indexChosen = Signal(str)
    publishRequested = Signal(str)
    publishConfirmed = Signal()
    pauseRequested = Signal()
    resumeRequested = Signal()
    cancelRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        named(self, "packagesPublishPanel")
        self.allowed, self.denied_reason, self.target_enabled = True, "", False
        self.running = False
        self.held = False  # a paused publish's undo runs (`PausedOffers`): one publish at a time
        self._showing_refusal = False  # the drop area says why this person may not publish here
        self._last_progress: tuple[str, int, int, float, float | None, str] | None = None
        layout = QVBoxLayout(self)
        # While a publish runs or is paused: where it goes (the selection may be elsewhere meanwhile).
        self.publish_target = named(QLabel(""), "packagesPublishTarget", "Where the running publish goes")
        font = self.publish_target.font()
        font.setBold(True)
        self.publish_target.setFont(font)
        self.publish_target.setVisible(False)
        layout.addWidget(self.publish_target)
        layout.addLayout(self._build_sources())
        self.preflight_model = PreflightModel()
        self.preflight_table = table("packagesPreflightTable", "Files that will be published")
        self.preflight_table.setModel(self.preflight_model)
        # Widths set once per bundle (`_fit_columns`), not from the contents at every status change
        self.preflight_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        layout.addWidget(self.preflight_table)
        self.preflight_summary = named(QLabel(""), "packagesPreflightSummary")
        self.preflight_summary.setWordWrap(True)
        self.preflight_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.preflight_summary)
        layout.addLayout(self._build_publish_row())
        layout.addWidget(self._build_confirmation())
        layout.addLayout(self._build_progress())
        self.current_files = named(QLabel(""), "packagesCurrentFiles")
        layout.addWidget(self.progress_label)
        layout.addWidget(self.current_files)
        self.set_publishing(False)
        self.show_preflight(None)

    # -- construction ---------------------------------------------------------------------------------
    def _build_sources(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.drop_area = DropArea()
        self.drop_area.dropped.connect(self.pathsDropped)
        row.addWidget(self.drop_area, 1)
        self.choose_folder = named(QPushButton("Choose folder…"), "packagesChooseFolder", "Choose a folder")
        self.choose_zip = named(QPushButton("Choose zip or files…"), "packagesChooseFiles", "Choose files")
        self.choose_folder.clicked.connect(self._choose_folder)
        self.open_bundle_action = QAction("Open bundle folder to publish…", self)
        self.open_bundle_action.setObjectName("openBundleAction")
        self.open_bundle_action.setShortcut(QKeySequence("Ctrl+O"))  # on the Packages page (and menu)
        self.open_bundle_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.open_bundle_action)
        self.open_bundle_action.triggered.connect(self._open_bundle)
        self.choose_zip.clicked.connect(self._choose_files)
        row.addWidget(self.choose_folder)
        row.addWidget(self.choose_zip)
        return row

    def _build_publish_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.index_picker = named(QComboBox(), "packagesIndexPicker", "Index file of the package")
        self.index_picker.setPlaceholderText("Index file (recognised automatically)")
        self.index_picker.setMinimumContentsLength(30)
        self.index_picker.activated.connect(self._index_activated)
        self.tag_edit = named(QLineEdit(), "packagesTagEdit", "Tag for the new version")
        self.tag_edit.setPlaceholderText("tag (optional), e.g. beta")
        self.publish_button = named(QPushButton("Publish…"), "packagesPublishButton", "Publish the package")
        self.publish_button.clicked.connect(lambda: self.publishRequested.emit(self.tag_edit.text().strip()))
        row.addWidget(named(QLabel("Index:"), "packagesIndexLabel"))
        for w in (self.index_picker, self.tag_edit, self.publish_button):
            row.addWidget(w)
        return row

    def _build_confirmation(self) -> QFrame:
        self.confirm_panel = named(QFrame(), "packagesConfirmPanel")
        self.confirm_panel.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(self.confirm_panel)
        self.confirm_label = named(QLabel(""), "packagesConfirmLabel")
        self.confirm_label.setWordWrap(True)
        self.confirm_button = named(QPushButton("Confirm and publish"), "packagesConfirmButton",
                                    "Confirm and publish")  # fmt: skip
        self.back_button = named(QPushButton("Back"), "packagesConfirmBack", "Back to the pre-flight")
        self.confirm_button.clicked.connect(self._confirmed)
        self.back_button.clicked.connect(lambda: self.confirm_panel.setVisible(False))
        row.addWidget(self.confirm_label, 1)
        row.addWidget(self.confirm_button)
        row.addWidget(self.back_button)
        self.confirm_panel.setVisible(False)
        return self.confirm_panel

    def _build_progress(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.progress = named(QProgressBar(), "packagesProgress", "Publish progress")
        self.progress.setRange(0, 1000)
        self.progress_label = named(QLabel(""), "packagesProgressLabel")
        self.pause_button = named(QPushButton("Pause"), "packagesPauseButton", "Pause the upload")
        self.cancel_button = named(QPushButton("Cancel"), "packagesCancelButton", "Cancel the publish")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.cancel_button.clicked.connect(self.cancelRequested)
        row.addWidget(self.progress, 1)
        row.addWidget(self.pause_button)
        row.addWidget(self.cancel_button)
        return row

    # -- what the page calls --------------------------------------------------------------------------
    def update_enabled(self) -> None:
        """Enable what the target, the person's permission and a running publish allow."""
        for w in (self.drop_area, self.choose_folder, self.choose_zip):
            w.setEnabled(self.target_enabled and self.allowed and not self.running and not self.held)
            w.setToolTip(HELD if self.held and self.allowed else "" if self.allowed else self.denied_reason)
        self.publish_button.setToolTip("" if self.allowed else self.denied_reason)
        self.publish_button.setEnabled(self.can_publish())
        # a reader sees why the drop area is greyed out, not an invitation to drop a bundle
        refused = self.target_enabled and not self.allowed and bool(self.denied_reason) and not self.running
        if refused or self._showing_refusal:
            self.drop_area.label.setText(self.denied_reason if refused else DropArea.PROMPT)
            self._showing_refusal = refused

    def can_publish(self) -> bool:
        ready = self.allowed and self.target_enabled and bool(self.preflight_model.rows)
        return ready and not self.running and not self.held

    def show_sources(self, paths: list[str]) -> None:
        """Say which folder, zip or files the page is checking or publishing (full paths in the tooltip)."""
        if not paths:
            self.drop_area.label.setText(DropArea.PROMPT)
        elif len(paths) == 1:
            self.drop_area.label.setText(f"Bundle: {paths[0]}")
        else:
            self.drop_area.label.setText(f"Bundle: {len(paths)} files from {os.path.dirname(paths[0])}")
        self.drop_area.label.setToolTip("\n".join(paths))

    def show_preflight(self, summary: str | None, rows: list[object] | None = None, index: str = "") -> None:
        if summary is None and not rows:  # the bundle is forgotten: the drop zone asks for one again
            self.show_sources([])
        self.confirm_panel.setVisible(False)
        self.preflight_model.set_rows(rows or [])
        self._fit_columns(rows or [])
        self.preflight_summary.setText(summary or "Drop a bundle to see what will be published.")
        if rows:
            self.set_index_choices([], [str(getattr(r, "path", r)) for r in rows], index)
        elif summary is None:
            self.set_index_choices([], [], "")
        self.publish_button.setEnabled(self.can_publish())

    def set_index_choices(self, likely: list[str], files: list[str], current: str) -> None:
        """Fill the index picker: `likely` first, then the other JavaScript (or Hermes) bundles — an
        image or a JSON file is never an index; select `current` ("" = none)."""
        self.index_picker.blockSignals(True)
        self.index_picker.clear()
        self.index_picker.addItems(likely)
        taken = set(likely)
        rest = [f for f in files if f not in taken and (f.lower().endswith(SCRIPT_SUFFIXES) or f == current)]
        if likely and rest:
            self.index_picker.insertSeparator(len(likely))
        self.index_picker.addItems(rest)
        self.index_picker.setCurrentIndex(self.index_picker.findText(current) if current else -1)
        self.index_picker.setEnabled(self.index_picker.count() > 0)
        self.index_picker.blockSignals(False)

    def ask_confirmation(self, text: str) -> None:
        self.confirm_label.setText(text)
        self.confirm_panel.setVisible(True)
        self.confirm_button.setFocus()

    def set_publishing(self, running: bool) -> None:
        self.running = running
        for w in (self.drop_area, self.choose_folder, self.choose_zip, self.index_picker):
            w.setEnabled(not running and not self.held and self.target_enabled and self.allowed)
        self.index_picker.setEnabled(self.index_picker.isEnabled() and self.index_picker.count() > 0)
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running or self.progress.value() > 0)
        self.publish_button.setEnabled(self.can_publish())
        self.confirm_button.setEnabled(not running)
        if not running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.setAccessibleName("Pause the upload")
            self.pause_button.blockSignals(False)

    def set_publish_target(self, text: str) -> None:
        """ "Publishing to org/app" while a publish runs or is paused; "" when none does."""
        self.publish_target.setText(text)
        self.publish_target.setVisible(bool(text))

    def show_progress(self, phase: str, done: int, total: int, speed: float, left: float | None,
                      files: str, current: str) -> None:  # fmt: skip
        """The bar measures bytes sent: it is busy (not full) while the files are checked or when
        nothing needs sending, so it never reads 100 % before anything was sent."""
        self._last_progress = (phase, done, total, speed, left, files)
        self.progress.setVisible(True)
        paused = " — paused" if self.pause_button.isChecked() else ""
        if phase != "uploading":
            self.progress.setRange(0, 0)
            self.progress_label.setText(
                f"Checking the files: {human_size(done)} of {human_size(total)} ({files}){paused}"
            )
        elif total == 0:
            self.progress.setRange(0, 0)
            self.progress_label.setText(f"Nothing to send: every file is already stored{paused}.")
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
            if paused:  # nothing moves while paused: no speed, no time left
                rate = " — paused, parts in flight finish"
            else:
                eta = f", about {duration(left)} left" if left is not None else ""
                rate = f" at {human_size(speed)}/s{eta}"
            self.progress_label.setText(f"Sending: {human_size(done)} of {human_size(total)} ({files}){rate}")
        self.current_files.setText(current)

    def clear_progress(self) -> None:
        """No publish to speak of (another person signed in): no bar, no outcome of an earlier one."""
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setVisible(False)
        self.progress_label.clear()
        self.current_files.clear()
        self.set_publish_target("")

    def show_undo(self, text: str, done: int, total: int) -> None:
        """A cancelled publish being undone: `done` of `total` removals (0 of 0: not counted yet)."""
        self.progress.setVisible(True)
        self.progress.setRange(0, total if total > 0 else 0)
        self.progress.setValue(done)
        self.progress_label.setText(text)
        self.current_files.clear()

    def finish_progress(self, text: str) -> None:
        """The publish is done: a full bar and what came of it."""
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000)
        self.progress_label.setText(text)
        self.current_files.clear()

    # -- internals ------------------------------------------------------------------------------------
    def _fit_columns(self, rows: list[Any]) -> None:
        """Each column as wide as its longest text (the status column takes the rest), measured here in
        one go. The table does not size them from its contents: that asks the model for every cell in
        sight through Python at each status change of a publish (one GIL hand-off per cell and role,
        while the upload threads want the GIL), which stalls the window (benchmark P3)."""
        model, header = self.preflight_model, self.preflight_table.horizontalHeader()
        metrics = self.preflight_table.fontMetrics()
        padding = 2 * self.preflight_table.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin) + 16
        # the widest texts are among the first rows, the longest paths and the largest sizes
        sample = [*rows[:FIT_SAMPLE], *heapq.nlargest(FIT_SAMPLE, rows, key=lambda r: len(r.path)),
                  *heapq.nlargest(FIT_SAMPLE, rows, key=lambda r: r.size)]  # fmt: skip
        for column in range(model.STATUS_COLUMN):
            width = max((metrics.horizontalAdvance(model.cell(r, column)) for r in sample), default=0)
            title = header.fontMetrics().horizontalAdvance(model.HEADERS[column])
            header.resizeSection(column, min(MAX_COLUMN_WIDTH, max(width, title) + padding))

    def _confirmed(self) -> None:
        self.confirm_panel.setVisible(False)
        self.publishConfirmed.emit()

    def _index_activated(self, row: int) -> None:
        text = self.index_picker.itemText(row)
        if text:
            self.indexChosen.emit(text)

    def _pause_toggled(self, checked: bool) -> None:
        self.pause_button.setText("Resume" if checked else "Pause")
        self.pause_button.setAccessibleName("Resume the upload" if checked else "Pause the upload")
        (self.pauseRequested if checked else self.resumeRequested).emit()
        if self._last_progress is not None:
            phase, done, total, speed, left, files = self._last_progress
            self.show_progress(phase, done, total, speed, left, files, self.current_files.text())

    def _open_bundle(self) -> None:
        if self.choose_folder.isEnabled():  # as the button: not while publishing or signed out
            self._choose_folder()

    def _choose_folder(self) -> None:
        """A non-modal file dialog: no nested event loop while the person chooses."""
        dialog = QFileDialog(self, "Bundle folder")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(lambda paths: self.pathsDropped.emit(list(paths)) if paths else None)
        dialog.open()

    def _choose_files(self) -> None:
        dialog = QFileDialog(self, "Bundle zip or files")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(lambda paths: self.pathsDropped.emit(list(paths)) if paths else None)
        dialog.open()
