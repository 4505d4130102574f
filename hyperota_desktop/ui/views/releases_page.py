"""The Releases page: the application's releases (filter by status, search, lazily loaded rows with
status badges) above the selected release's detail, the four-eyes setting, and a Device preview tab.

A view only. Signals:
- `newRequested()`, `refreshRequested()`, `releaseChosen(str)`;
- `filterChanged()`: the status filter or the search text changed (read `statuses()` and `search_text()`);
- `fourEyesChanged(bool)`: the person ticked or unticked the four-eyes setting;
- `shownChanged(bool)`: the page became visible or hidden (polling runs only while it is shown).
The detail (`self.detail`) and the preview (`self.preview`) have their own signals.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QPoint, Qt, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.domain.releases import ReleaseStatus
from hyperota_desktop.ui.models.releases import ReleaseTableModel
from hyperota_desktop.ui.models.table import ROW_ROLE
from hyperota_desktop.ui.views.device_preview import DevicePreviewPanel
from hyperota_desktop.ui.views.page_actions import action_button, explain, page_action
from hyperota_desktop.ui.views.release_detail import ReleaseDetailView
from hyperota_desktop.ui.widgets.badge import BadgeDelegate
from hyperota_desktop.ui.widgets.naming import named

FILTERS: tuple[tuple[str, tuple[ReleaseStatus, ...]], ...] = (
    ("All", ()),
    ("Unfinished", (ReleaseStatus.CREATED, ReleaseStatus.INPROGRESS, ReleaseStatus.PAUSED)),
    ("Created", (ReleaseStatus.CREATED,)),
    ("Ramping", (ReleaseStatus.INPROGRESS,)),
    ("Paused", (ReleaseStatus.PAUSED,)),
    ("Concluded", (ReleaseStatus.CONCLUDED,)),
    ("Discarded", (ReleaseStatus.DISCARDED,)),
)
COLUMN_WIDTHS = (150, 180, 110, 130, 70, 130, 170)


class ReleasesPage(QWidget):
    newRequested = Signal()
    refreshRequested = Signal()
    releaseChosen = Signal(str)
    filterChanged = Signal()
    fourEyesChanged = Signal(bool)
    shownChanged = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("releasesPage")
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.target_label = named(QLabel("Select an application on the left."), "releasesTarget")
        self.four_eyes = named(
            QCheckBox("A release must be started by someone other than its author"), "fourEyesCheck",
            "Four-eyes: a release must be started by someone other than its author",
        )  # fmt: skip
        head.addWidget(self.target_label, 1)
        head.addWidget(self.four_eyes)
        layout.addLayout(head)
        self.tabs = named(QTabWidget(), "releasesTabs", "Releases and device preview")
        self.tabs.addTab(self._build_list(), "Releases")
        self.preview = DevicePreviewPanel()
        self.tabs.addTab(self.preview, "Device preview")
        layout.addWidget(self.tabs, 1)
        self.four_eyes.clicked.connect(self.fourEyesChanged)
        self.set_live(False)

    def _build_list(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.new_action = page_action(self, "newReleaseAction", "New release…", "Ctrl+N",
                                      "Release a package to some or all devices")  # fmt: skip
        self.refresh_action = page_action(self, "refreshReleasesAction", "Refresh", "Ctrl+R",
                                          "Ask the server what changed (F5 too)")  # fmt: skip
        self.search_action = page_action(self, "searchReleasesAction", "Search releases", "Ctrl+Shift+F",
                                         "Search ids, targets, packages, authors and notes")  # fmt: skip
        row = QHBoxLayout()
        row.addWidget(action_button(self.new_action))
        row.addWidget(QLabel("Show:"))
        self.status_filter = named(QComboBox(), "releasesStatusFilter", "Show releases with this status")
        for label, statuses in FILTERS:
            self.status_filter.addItem(label, [s.value for s in statuses])
        self.search = named(QLineEdit(), "releasesSearch", "Search releases")
        self.search.setPlaceholderText("Search id, target, package (v3), author, notes…")
        self.search.setClearButtonEnabled(True)
        row.addWidget(self.status_filter)
        row.addWidget(self.search, 1)
        row.addWidget(action_button(self.refresh_action))
        layout.addLayout(row)
        self.model = ReleaseTableModel()
        self.table = named(QTableView(), "releasesTable", "Releases, newest first")
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(ReleaseTableModel.STATUS_COLUMN, BadgeDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        rows = self.table.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(
            QHeaderView.ResizeMode.Fixed
        )  # no per-row measuring: 10,000 rows stay quick
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate(COLUMN_WIDTHS):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        self.status = named(QLabel(""), "releasesStatus", "How many releases are shown")
        self.detail = ReleaseDetailView(self)
        split = named(QSplitter(Qt.Orientation.Vertical), "releasesSplitter")
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table, 1)
        top_layout.addWidget(self.status)
        split.addWidget(top)
        split.addWidget(self.detail)
        split.setSizes([240, 520])
        layout.addWidget(split, 1)
        self.new_action.triggered.connect(self.newRequested)
        self.refresh_action.triggered.connect(self.refreshRequested)
        self.search_action.triggered.connect(lambda: self.search.setFocus(Qt.FocusReason.ShortcutFocusReason))
        self.status_filter.currentIndexChanged.connect(lambda _i: self.filterChanged.emit())
        self.search.textChanged.connect(lambda _t: self.filterChanged.emit())
        self.table.selectionModel().selectionChanged.connect(self._selection)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._popup_row_menu)
        return box

    # -- what the presenter calls -----------------------------------------------------------------------
    def set_target(self, text: str) -> None:
        self.target_label.setText(text)

    def set_live(self, live: bool) -> None:
        """An application is selected and someone is signed in."""
        for w in (self.status_filter, self.search):
            w.setEnabled(live)
        self.refresh_action.setEnabled(live)
        self.search_action.setEnabled(live)

    def set_can_create(self, allowed: bool, reason: str, live: bool) -> None:
        explain(self.new_action, allowed, reason, live)

    def set_four_eyes(self, shown: bool, checked: bool, enabled: bool, tooltip: str) -> None:
        self.four_eyes.setVisible(shown)
        self.four_eyes.setChecked(checked)
        self.four_eyes.setEnabled(enabled)
        self.four_eyes.setToolTip(tooltip)

    def statuses(self) -> list[ReleaseStatus]:
        return [ReleaseStatus(s) for s in self.status_filter.currentData() or []]

    def search_text(self) -> str:
        return self.search.text()

    def set_counts(self, counts: dict[ReleaseStatus, int]) -> None:
        """Each filter says how many releases it holds (before the search)."""
        total = sum(counts.values())
        for i, (label, statuses) in enumerate(FILTERS):
            n = total if not statuses else sum(counts.get(s, 0) for s in statuses)
            self.status_filter.setItemText(i, f"{label} ({n})")

    def select_release(self, release_id: str) -> None:
        row = self.model.row_of(release_id)
        if row >= 0:
            self.table.selectRow(row)
        else:
            self.table.clearSelection()

    @property
    def selected_release(self) -> str:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return ""
        row = rows[0].data(ROW_ROLE)
        return str(row.id) if row is not None else ""

    def row_menu(self, pos: QPoint) -> QMenu | None:
        """The context menu of the release row at `pos` (viewport coordinates), which it selects first:
        the detail's own actions (enabled and explained as there). Until the detail shows that release,
        it offers none, so an action never lands on the release shown before."""
        index = self.table.indexAt(pos)
        if not index.isValid():
            return None
        self.table.selectRow(index.row())
        row = index.data(ROW_ROLE)
        menu = named(QMenu(self), "releasesRowMenu", "Release actions")
        d = self.detail
        if row is None or d.release is None or d.release.id != str(row.id):
            menu.addAction("Loading the release…").setEnabled(False)
            return menu
        menu.addActions(list(d.lifecycle_actions.values()))  # ramping needs the share: on the detail
        menu.addSeparator()
        menu.addActions([d.edit_action, d.clone_action, d.export_action])
        return menu

    # -- internals --------------------------------------------------------------------------------------
    def _popup_row_menu(self, pos: QPoint) -> None:
        menu = self.row_menu(pos)
        if menu is not None:
            menu.aboutToHide.connect(menu.deleteLater)
            menu.popup(self.table.viewport().mapToGlobal(pos))

    def _selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        chosen = self.selected_release
        if chosen:
            self.releaseChosen.emit(chosen)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shownChanged.emit(True)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.shownChanged.emit(False)
