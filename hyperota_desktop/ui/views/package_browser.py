"""The browse half of the Packages page: the package list (lazy paging, search), a package's detail with
its files and tag, and the diff between two versions, as tabs.

A view only. Signals:
- `versionChosen(int)`: a package selected in the list; `diffRequested(int, int)`.
- `tagRequested(int, str)`: point a tag at the package shown in the detail (like `package tag`).
- `exportRequested(int)`: export the package shown in the detail as an offline archive.
- `searchRequested(str)`: the search text, once typing paused (searches every package, not only loaded rows).
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.ui.models.packages import FilesModel, PackageFilter, PackageListModel
from hyperota_desktop.ui.views.publish_panel import table
from hyperota_desktop.ui.widgets.naming import named


class PackageBrowser(QTabWidget):
    versionChosen = Signal(int)
    diffRequested = Signal(int, int)
    searchRequested = Signal(str)
    tagRequested = Signal(int, str)
    exportRequested = Signal(int)
    SEARCH_DELAY_MS = 300
    DETAIL_TAB = 1
    COPIED_MS = 2000  # how long "Copied ✓" stays on the button

    def __init__(self) -> None:
        super().__init__()
        named(self, "packagesBrowseTabs", "Packages")
        self.shown_version = 0
        self.addTab(self._build_list(), "List")
        self.addTab(self._build_detail(), "Detail")
        self.addTab(self._build_diff(), "Diff")

    # -- construction ---------------------------------------------------------------------------------
    def _build_list(self) -> QWidget:
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
        self.list_table = table("packagesListTable", "Published packages")
        self.list_table.setModel(self.list_filter)
        self.list_table.selectionModel().selectionChanged.connect(self._list_selection)
        self.list_table.doubleClicked.connect(lambda _index: self.setCurrentIndex(self.DETAIL_TAB))
        self.list_status = named(QLabel(""), "packagesListStatus")
        layout.addWidget(self.search)
        layout.addWidget(self.list_table)
        layout.addWidget(self.list_status)
        return listing

    def _build_detail(self) -> QWidget:
        detail = QWidget()
        layout = QVBoxLayout(detail)
        self.detail_label = named(QLabel("Select a package in the list."), "packagesDetailLabel")
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.files_model = FilesModel()
        self.files_table = table("packagesFilesTable", "Files of the selected package")
        self.files_table.setModel(self.files_model)
        self.copy_button = named(QPushButton("Copy URL"), "packagesCopyUrl", "Copy the selected file's URL")
        self.copy_button.clicked.connect(self._copy_url)
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
        return detail

    def _build_diff(self) -> QWidget:
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
        self.diff_text.setTabChangesFocus(True)  # Tab moves on: no keyboard trap
        self.diff_text.setReadOnly(True)
        layout.addLayout(row)
        layout.addWidget(self.diff_text)
        return diff

    # -- what the page calls --------------------------------------------------------------------------
    def show_detail(self, version: int, text: str, files: list[object]) -> None:
        self.shown_version = version
        self.files_model.set_rows(files)
        self.detail_label.setText(text)

    def update_tagging(self, allowed: bool, target_enabled: bool, reason: str) -> None:
        can = allowed and target_enabled and self.shown_version > 0
        for w in (self.detail_tag_edit, self.tag_button):
            w.setEnabled(can)
            w.setToolTip("" if allowed else reason)
        self.export_button.setEnabled(target_enabled and self.shown_version > 0)

    # -- internals ------------------------------------------------------------------------------------
    def _tag_clicked(self) -> None:
        tag = self.detail_tag_edit.text().strip()
        if tag and self.shown_version and self.tag_button.isEnabled():
            self.tagRequested.emit(self.shown_version, tag)

    def _list_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if indexes:
            summary = self.list_filter.data(indexes[0], Qt.ItemDataRole.UserRole)
            self.versionChosen.emit(int(summary.version))

    def _copy_url(self) -> None:
        """Copy the selected file's URL and say so on the button for a moment (and what was copied in
        its tooltip); nothing selected: say what to do instead of copying nothing silently."""
        rows = self.files_table.selectionModel().selectedRows()
        if not rows:
            self.copy_button.setToolTip("Select a file in the list first.")
            return
        url = self.files_model.rows[rows[0].row()].url
        QGuiApplication.clipboard().setText(url)
        self.copy_button.setText("Copied ✓")
        self.copy_button.setToolTip(f"Copied {url}")
        button = self.copy_button  # the timer dies with the button (no call on a deleted widget)
        QTimer.singleShot(self.COPIED_MS, button, lambda: button.setText("Copy URL"))
