"""The Packages page: drop a bundle, check the pre-flight, publish with progress; list, detail and diff.

A view only. Signals (the presenter listens):
- `pathsDropped(list)`: local paths dropped or chosen (folder, .zip or files).
- `indexChosen(str)`: the person picked the index file in the picker (check the bundle again with it).
- `publishRequested(str)`: tag ("" = none); the presenter asks for confirmation (`ask_confirmation`).
- `publishConfirmed()`: the person confirmed the publish summary.
- `pauseRequested()`, `resumeRequested()`, `cancelRequested()`: the running publish.
- `versionChosen(int)`: a package selected in the list; `diffRequested(int, int)`.
- `tagRequested(int, str)`: point a tag at the package shown in the detail (like `package tag`).
- `exportRequested(int)`: export the package shown in the detail as an offline archive.
- `searchRequested(str)`: the search text, once typing paused (searches every package, not only loaded rows).
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.domain.units import human_size
from hyperota_desktop.ui.models.packages import (
    FilesModel,
    PackageFilter,
    PackageListModel,
    PreflightModel,
)
from hyperota_desktop.ui.widgets.naming import named


def _duration(seconds: float) -> str:
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class DropArea(QFrame):
    """Accepts dropped local files and folders. Signals: `dropped(list)`."""

    dropped = Signal(list)

    def __init__(self) -> None:
        super().__init__()
        named(self, "packagesDropArea", "Drop a bundle folder, zip or files here")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumHeight(70)
        layout = QVBoxLayout(self)
        self.label = named(QLabel("Drop a bundle folder, a .zip or files here"), "packagesDropLabel")
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


class PackagesPage(QWidget):
    pathsDropped = Signal(list)
    indexChosen = Signal(str)
    publishRequested = Signal(str)
    publishConfirmed = Signal()
    pauseRequested = Signal()
    resumeRequested = Signal()
    cancelRequested = Signal()
    versionChosen = Signal(int)
    diffRequested = Signal(int, int)
    searchRequested = Signal(str)
    tagRequested = Signal(int, str)
    exportRequested = Signal(int)
    SEARCH_DELAY_MS = 300

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("packagesPage")
        self._allowed, self._denied_reason, self._target_enabled = True, "", False
        self._running = False
        self._last_progress: tuple[str, int, int, float, float | None, str] | None = None
        outer = QVBoxLayout(self)
        self.target_label = named(QLabel("Select an application on the left."), "packagesTarget")
        outer.addWidget(self.target_label)
        splitter = named(QSplitter(Qt.Orientation.Vertical), "packagesSplitter")
        splitter.addWidget(self._build_publish())
        splitter.addWidget(self._build_browse())
        outer.addWidget(splitter)
        self.set_publishing(False)
        self.show_preflight(None)

    # -- construction -----------------------------------------------------------------------------
    def _build_publish(self) -> QWidget:
        box = named(QWidget(), "packagesPublishPanel")
        layout = QVBoxLayout(box)
        row = QHBoxLayout()
        self.drop_area = DropArea()
        self.drop_area.dropped.connect(self.pathsDropped)
        row.addWidget(self.drop_area, 1)
        self.choose_folder = named(QPushButton("Choose folder…"), "packagesChooseFolder", "Choose a folder")
        self.choose_zip = named(QPushButton("Choose zip or files…"), "packagesChooseFiles", "Choose files")
        self.choose_folder.clicked.connect(self._choose_folder)
        self.choose_zip.clicked.connect(self._choose_files)
        row.addWidget(self.choose_folder)
        row.addWidget(self.choose_zip)
        layout.addLayout(row)
        self.preflight_model = PreflightModel()
        self.preflight_table = self._table("packagesPreflightTable", "Files that will be published")
        self.preflight_table.setModel(self.preflight_model)
        layout.addWidget(self.preflight_table)
        self.preflight_summary = named(QLabel(""), "packagesPreflightSummary")
        self.preflight_summary.setWordWrap(True)
        self.preflight_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.preflight_summary)
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
        layout.addLayout(row)
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
        layout.addWidget(self.confirm_panel)
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
        layout.addLayout(row)
        self.current_files = named(QLabel(""), "packagesCurrentFiles")
        layout.addWidget(self.progress_label)
        layout.addWidget(self.current_files)
        return box

    def _build_browse(self) -> QWidget:
        tabs = named(QTabWidget(), "packagesBrowseTabs", "Packages")
        listing = QWidget()
        layout = QVBoxLayout(listing)
        self.search = named(QLineEdit(), "packagesSearch", "Search packages")
        self.search.setPlaceholderText("Search version, tag, index, author…")
        self.search.setClearButtonEnabled(True)
        self.list_model = PackageListModel()
        self.list_filter = PackageFilter()
        self.list_filter.setSourceModel(self.list_model)
        self.search.textChanged.connect(self.list_filter.set_text)  # loaded rows at once
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(self.SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(lambda: self.searchRequested.emit(self.search.text().strip()))
        self.search.textChanged.connect(self._search_timer.start)  # then every package, once typing pauses
        self.list_table = self._table("packagesListTable", "Published packages")
        self.list_table.setModel(self.list_filter)
        self.list_table.selectionModel().selectionChanged.connect(self._list_selection)
        self.list_status = named(QLabel(""), "packagesListStatus")
        layout.addWidget(self.search)
        layout.addWidget(self.list_table)
        layout.addWidget(self.list_status)
        tabs.addTab(listing, "List")
        detail = QWidget()
        layout = QVBoxLayout(detail)
        self.detail_label = named(QLabel("Select a package in the list."), "packagesDetailLabel")
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.files_model = FilesModel()
        self.files_table = self._table("packagesFilesTable", "Files of the selected package")
        self.files_table.setModel(self.files_model)
        self.copy_button = named(QPushButton("Copy URL"), "packagesCopyUrl", "Copy the selected file's URL")
        self.copy_button.clicked.connect(self._copy_url)
        self.shown_version = 0
        self.detail_tag_edit = named(QLineEdit(), "packagesDetailTag", "Tag to point at this package")
        self.detail_tag_edit.setPlaceholderText("tag, e.g. stable")
        self.tag_button = named(QPushButton("Set tag"), "packagesTagButton", "Point the tag at this package")
        self.tag_button.clicked.connect(self._tag_clicked)
        self.detail_tag_edit.returnPressed.connect(self._tag_clicked)
        self.export_button = named(QPushButton("Export archive…"), "packagesExportButton",
                                   "Export the package as an offline archive")  # fmt: skip
        self.export_button.clicked.connect(lambda: self.exportRequested.emit(self.shown_version))
        layout.addWidget(self.detail_label)
        layout.addWidget(self.files_table)
        row = QHBoxLayout()
        row.addWidget(self.detail_tag_edit)
        row.addWidget(self.tag_button)
        row.addStretch(1)
        row.addWidget(self.export_button)
        row.addWidget(self.copy_button)
        layout.addLayout(row)
        tabs.addTab(detail, "Detail")
        diff = QWidget()
        layout = QVBoxLayout(diff)
        row = QHBoxLayout()
        self.diff_from = named(QSpinBox(), "packagesDiffFrom", "Older version")
        self.diff_to = named(QSpinBox(), "packagesDiffTo", "Newer version")
        for spin in (self.diff_from, self.diff_to):
            spin.setRange(1, 99_999_999)
        self.diff_button = named(QPushButton("Compare"), "packagesDiffButton", "Compare the two versions")
        self.diff_button.clicked.connect(
            lambda: self.diffRequested.emit(self.diff_from.value(), self.diff_to.value())
        )
        row.addWidget(QLabel("From"))
        row.addWidget(self.diff_from)
        row.addWidget(QLabel("to"))
        row.addWidget(self.diff_to)
        row.addWidget(self.diff_button)
        row.addStretch(1)
        self.diff_text = named(QPlainTextEdit(), "packagesDiffText", "Differences")
        self.diff_text.setReadOnly(True)
        layout.addLayout(row)
        layout.addWidget(self.diff_text)
        tabs.addTab(diff, "Diff")
        self.browse_tabs = tabs
        return tabs

    @staticmethod
    def _table(name: str, accessible: str) -> QTableView:
        table = named(QTableView(), name, accessible)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.verticalHeader().setVisible(False)
        return table

    # -- what the presenter calls ---------------------------------------------------------------------
    def set_permission(self, allowed: bool, reason: str = "") -> None:
        """Whether the signed-in person may publish here; `reason` says why not (tooltip)."""
        self._allowed, self._denied_reason = allowed, reason
        for w in (self.drop_area, self.choose_folder, self.choose_zip, self.publish_button):
            w.setToolTip("" if allowed else reason)
        self.set_target(self.target_label.text(), self._target_enabled)

    def show_detail(self, version: int, text: str, files: list[object]) -> None:
        self.shown_version = version
        self.files_model.set_rows(files)
        self.detail_label.setText(text)
        self._update_tagging()

    def _update_tagging(self) -> None:
        can = self._allowed and self._target_enabled and self.shown_version > 0
        for w in (self.detail_tag_edit, self.tag_button):
            w.setEnabled(can)
            w.setToolTip("" if self._allowed else self._denied_reason)
        self.export_button.setEnabled(self._target_enabled and self.shown_version > 0)

    def _tag_clicked(self) -> None:
        tag = self.detail_tag_edit.text().strip()
        if tag and self.shown_version and self.tag_button.isEnabled():
            self.tagRequested.emit(self.shown_version, tag)

    def set_target(self, text: str, enabled: bool) -> None:
        self.target_label.setText(text)
        self._target_enabled = enabled
        for w in (self.drop_area, self.choose_folder, self.choose_zip):
            w.setEnabled(enabled and self._allowed and not self._running)
        self.publish_button.setEnabled(self._can_publish())
        self._update_tagging()

    def _can_publish(self) -> bool:
        ready = self._allowed and self._target_enabled and bool(self.preflight_model.rows)
        return ready and not self._running

    def show_preflight(self, summary: str | None, rows: list[object] | None = None, index: str = "") -> None:
        self.confirm_panel.setVisible(False)
        self.preflight_model.set_rows(rows or [])
        self.preflight_summary.setText(summary or "Drop a bundle to see what will be published.")
        if rows:
            self.set_index_choices([], [str(getattr(r, "path", r)) for r in rows], index)
        elif summary is None:
            self.set_index_choices([], [], "")
        self.publish_button.setEnabled(self._can_publish())

    def set_index_choices(self, likely: list[str], files: list[str], current: str) -> None:
        """Fill the index picker: `likely` first, then every other file; select `current` ("" = none)."""
        self.index_picker.blockSignals(True)
        self.index_picker.clear()
        self.index_picker.addItems(likely)
        taken = set(likely)
        rest = [f for f in files if f not in taken]
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

    def _confirmed(self) -> None:
        self.confirm_panel.setVisible(False)
        self.publishConfirmed.emit()

    def _index_activated(self, row: int) -> None:
        text = self.index_picker.itemText(row)
        if text:
            self.indexChosen.emit(text)

    def set_publishing(self, running: bool) -> None:
        self._running = running
        for w in (self.drop_area, self.choose_folder, self.choose_zip, self.index_picker):
            w.setEnabled(not running and self._target_enabled and self._allowed)
        self.index_picker.setEnabled(self.index_picker.isEnabled() and self.index_picker.count() > 0)
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running or self.progress.value() > 0)
        self.publish_button.setEnabled(self._can_publish())
        self.confirm_button.setEnabled(not running)
        if not running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.setAccessibleName("Pause the upload")
            self.pause_button.blockSignals(False)

    def show_progress(self, phase: str, done: int, total: int, speed: float, left: float | None,
                      files: str, current: str) -> None:  # fmt: skip
        self._last_progress = (phase, done, total, speed, left, files)
        self.progress.setVisible(True)
        self.progress.setValue(int(1000 * done / total) if total else 1000)
        if self.pause_button.isChecked():  # nothing moves while paused: no speed, no time left
            rate = " — paused, parts in flight finish"
        else:
            eta = f", about {_duration(left)} left" if left is not None else ""
            rate = f" at {human_size(speed)}/s{eta}"
        self.progress_label.setText(f"{phase}: {human_size(done)} of {human_size(total)} ({files}){rate}")
        self.current_files.setText(current)

    def _pause_toggled(self, checked: bool) -> None:
        self.pause_button.setText("Resume" if checked else "Pause")
        self.pause_button.setAccessibleName("Resume the upload" if checked else "Pause the upload")
        (self.pauseRequested if checked else self.resumeRequested).emit()
        if self._last_progress is not None:
            phase, done, total, speed, left, files = self._last_progress
            self.show_progress(phase, done, total, speed, left, files, self.current_files.text())

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Bundle folder")
        if folder:
            self.pathsDropped.emit([folder])

    def _choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Bundle zip or files")
        if files:
            self.pathsDropped.emit(files)

    def _list_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if indexes:
            summary = self.list_filter.data(indexes[0], Qt.ItemDataRole.UserRole)
            self.versionChosen.emit(int(summary.version))

    def _copy_url(self) -> None:
        rows = self.files_table.selectionModel().selectedRows()
        if rows:
            QGuiApplication.clipboard().setText(self.files_model.rows[rows[0].row()].url)

    @staticmethod
    def local_urls(paths: list[str]) -> list[QUrl]:
        return [QUrl.fromLocalFile(p) for p in paths]
