"""The browse half of the Packages page: the package list (lazy paging, search), a package's detail with
its files and tag, and the diff between two versions, as tabs.

A view only. Signals:
- `versionChosen(int)`: a package selected in the list; `diffRequested(int, int)`.
- `tagRequested(int, str)`: point a tag at the package shown in the detail (like `package tag`).
- `exportRequested(int)`: export the package shown in the detail as an offline archive.
- `searchRequested(str)`: the search text, once typing paused (searches every package, not only loaded rows).

A row's actions are QActions (`detail_action`, `diff_action`, `tag_action`, `export_action`,
`copy_url_action`): the buttons and the rows' context menus show the same actions, so what is enabled and
why not is decided once.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.ui.models.packages import FilesModel, PackageFilter, PackageListModel
from hyperota_desktop.ui.views.package_diff import PackageDiff
from hyperota_desktop.ui.views.page_actions import explain, page_action
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
        self.selected_version = 0  # the package selected in the list (its detail may still be loading)
        self._build_actions()
        self.addTab(self._build_list(), "List")
        self.addTab(self._build_detail(), "Detail")
        self.addTab(self._build_diff(), "Diff")

    # -- construction ---------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.detail_action = page_action(self, "packageDetailAction", "Open detail",
                                         tip="Show the package's files and tags")  # fmt: skip
        self.detail_action.triggered.connect(lambda: self.setCurrentIndex(self.DETAIL_TAB))
        self.diff_action = page_action(self, "packageDiffAction", "Compare with previous",
                                       tip="Compare the package with the version before it")  # fmt: skip
        self.diff_action.triggered.connect(self._diff_selected)
        self.tag_action = page_action(self, "packageTagAction", "Set tag…", tip="Point a tag at this package")
        self.tag_action.triggered.connect(self._tag_clicked)
        self.export_action = page_action(self, "packageExportAction", "Export archive…",
                                         tip="Export the package as an offline archive")  # fmt: skip
        self.export_action.triggered.connect(self._export)
        self.copy_url_action = page_action(self, "packageCopyUrlAction", "Copy URL",
                                           tip="Copy the selected file's URL")  # fmt: skip
        self.copy_url_action.triggered.connect(self._copy_url)
        for action in (self.detail_action, self.diff_action, self.tag_action, self.export_action):
            action.setEnabled(False)

    @staticmethod
    def _follow(button: QAbstractButton, action: QAction, tooltip: bool = True) -> None:
        """`button` runs `action` and is enabled (and explained) as the action is."""
        button.clicked.connect(action.trigger)

        def sync() -> None:
            button.setEnabled(action.isEnabled())
            if tooltip:
                button.setToolTip(action.toolTip())

        action.changed.connect(sync)
        sync()

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
        self.list_table.doubleClicked.connect(lambda _index: self.detail_action.trigger())
        self.list_table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list_table.customContextMenuRequested.connect(
            lambda pos: self._popup(self.row_menu(pos), self.list_table, pos)
        )
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
        self.files_table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.files_table.customContextMenuRequested.connect(
            lambda pos: self._popup(self.file_menu(pos), self.files_table, pos)
        )
        self.copy_button = named(QPushButton("Copy URL"), "packagesCopyUrl", "Copy the selected file's URL")
        self._follow(self.copy_button, self.copy_url_action, tooltip=False)  # its tooltip confirms
        self.detail_tag_edit = named(QLineEdit(), "packagesDetailTag", "Tag to point at this package")
        self.detail_tag_edit.setPlaceholderText("tag, e.g. stable")
        self.tag_button = named(QPushButton("Set tag"), "packagesTagButton", "Point the tag at this package")
        self._follow(self.tag_button, self.tag_action)
        self.detail_tag_edit.returnPressed.connect(self.tag_action.trigger)
        self.export_button = named(QPushButton("Export archive…"), "packagesExportButton",
                                   "Export the package as an offline archive")  # fmt: skip
        self._follow(self.export_button, self.export_action)
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
        self.diff = self.diff_tab = PackageDiff()
        self.diff_from, self.diff_to = self.diff.diff_from, self.diff.diff_to
        self.diff_button, self.diff_text = self.diff.diff_button, self.diff.diff_text
        self.diff.diffRequested.connect(self.diffRequested)
        for signal in (self.list_model.modelReset, self.list_model.rowsInserted):
            signal.connect(lambda *_: self.diff.set_versions([int(r.version) for r in self.list_model.rows]))
        return self.diff

    # -- what the page calls --------------------------------------------------------------------------
    def show_detail(self, version: int, text: str, files: list[object]) -> None:
        self.shown_version = version
        if not version:
            self.selected_version = 0
        self.files_model.set_rows(files)
        self.detail_label.setText(text)
        self._update_row_actions()

    def update_tagging(self, allowed: bool, target_enabled: bool, reason: str) -> None:
        self._allowed, self._target_enabled, self._reason = allowed, target_enabled, reason
        self._update_row_actions()

    def row_menu(self, pos: QPoint) -> QMenu | None:
        """The context menu of the package row at `pos` (viewport coordinates), which it selects first."""
        index = self.list_table.indexAt(pos)
        if not index.isValid():
            return None
        self.list_table.selectRow(index.row())
        actions = [self.detail_action, self.diff_action, None, self.tag_action, self.export_action]
        return self._menu("packagesListMenu", "Package actions", actions)

    def file_menu(self, pos: QPoint) -> QMenu | None:
        index = self.files_table.indexAt(pos)
        if not index.isValid():
            return None
        self.files_table.selectRow(index.row())
        return self._menu("packagesFilesMenu", "File actions", [self.copy_url_action])

    # -- internals ------------------------------------------------------------------------------------
    _allowed, _target_enabled, _reason = False, False, ""

    def _update_row_actions(self) -> None:
        chosen = self.selected_version > 0
        explain(self.detail_action, True, applies=chosen)
        explain(self.diff_action, True, applies=chosen and self._previous(self.selected_version) > 0)
        shown = self._target_enabled and self.shown_version > 0
        explain(self.tag_action, self._allowed, self._reason, (shown or chosen) and self._target_enabled)
        self.detail_tag_edit.setEnabled(self._allowed and shown)
        self.detail_tag_edit.setToolTip("" if self._allowed else self._reason)
        explain(self.export_action, True, applies=(shown or chosen) and self._target_enabled)

    def _menu(self, name: str, accessible: str, actions: list[QAction | None]) -> QMenu:
        menu = named(QMenu(self), name, accessible)
        for action in actions:
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        return menu

    @staticmethod
    def _popup(menu: QMenu | None, view: QTableView, pos: QPoint) -> None:
        if menu is not None:
            menu.aboutToHide.connect(menu.deleteLater)
            menu.popup(view.viewport().mapToGlobal(pos))

    def _previous(self, version: int) -> int:
        """The newest loaded version older than `version` (0: none)."""
        older = [int(r.version) for r in self.list_model.rows if int(r.version) < version]
        return max(older, default=0)

    def _diff_selected(self) -> None:
        new = self.selected_version or self.shown_version
        old = self._previous(new)
        if not (new and old):
            return
        self.diff.choose(new)
        self.setCurrentWidget(self.diff_tab)
        self.diffRequested.emit(old, new)

    def _export(self) -> None:
        version = self.selected_version or self.shown_version
        if version:
            self.exportRequested.emit(version)

    def _tag_clicked(self) -> None:
        """With a tag typed on the shown package: point it. Otherwise (from a row's menu): open the
        detail and put the cursor in the tag field."""
        tag = self.detail_tag_edit.text().strip()
        if not self.tag_action.isEnabled():
            return
        if tag and self.shown_version and self.shown_version == (self.selected_version or self.shown_version):
            self.tagRequested.emit(self.shown_version, tag)
            return
        self.setCurrentIndex(self.DETAIL_TAB)
        self.detail_tag_edit.setFocus()

    def _list_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if indexes:
            summary = self.list_filter.data(indexes[0], Qt.ItemDataRole.UserRole)
            self.selected_version = int(summary.version)
            self._update_row_actions()
            self.versionChosen.emit(self.selected_version)

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
