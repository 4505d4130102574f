"""The Members and Activity pages and the organisation toolbar (views only: no services).

MembersPage signals: `addRequested(str user, str level)`, `levelChangeRequested(str user, str level)`,
`removeRequested(str user)`, `refreshRequested()`.
ActivityPage signals: `refreshRequested()`.
OrgToolbar signals: `newOrgRequested()`, `newAppRequested()`, `deleteRequested()`, `migrateRequested()`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.ui.models.activity import STATUS_COLUMN, ActivityModel
from hyperota_desktop.ui.models.members import LEVEL_COLUMN, LevelDelegate, MembersModel
from hyperota_desktop.ui.widgets.badge import BadgeDelegate
from hyperota_desktop.ui.widgets.naming import named


class MembersPage(QWidget):
    addRequested = Signal(str, str)
    levelChangeRequested = Signal(str, str)
    removeRequested = Signal(str)
    refreshRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("membersPage")
        layout = QVBoxLayout(self)
        self.title = named(
            QLabel("Select an organisation or application to see who has access."), "membersTitle"
        )
        self.title.setWordWrap(True)
        self.model = MembersModel()
        self.model.levelEdited.connect(self.levelChangeRequested)
        self.table = named(QTableView(), "membersTable", "Members and their access levels")
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(LEVEL_COLUMN, LevelDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.note = named(QLabel(""), "membersNote")  # e.g. why inherited access is not shown
        self.note.setWordWrap(True)
        self.note.hide()
        self.table.verticalHeader().setVisible(False)
        add_row = QHBoxLayout()
        self.user_edit = named(QLineEdit(), "memberUserEdit", "Username or email of the person to add")
        self.user_edit.setPlaceholderText("exact username or email")
        self.level_combo = named(QComboBox(), "memberLevelCombo", "Access level for the new member")
        self.add_button = named(QPushButton("Add member"), "memberAddButton", "Add member")
        self.change_button = named(
            QPushButton("Change level…"), "memberChangeLevelButton", "Change the level of the selected member"
        )
        self.remove_button = named(
            QPushButton("Remove selected"), "memberRemoveButton", "Remove selected member"
        )
        self.refresh_button = named(QPushButton("Refresh"), "membersRefreshButton", "Reload members")
        for widget in (
            self.user_edit,
            self.level_combo,
            self.add_button,
            self.change_button,
            self.remove_button,
            self.refresh_button,
        ):
            add_row.addWidget(widget)
        add_row.setStretch(0, 1)
        self.status = named(QLabel(""), "membersStatus")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addLayout(add_row)
        layout.addWidget(self.status)
        self.add_button.clicked.connect(self._add)
        self.user_edit.returnPressed.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.change_button.clicked.connect(self._change_level)
        self.refresh_button.clicked.connect(self.refreshRequested)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_remove())
        self.model.modelReset.connect(self._update_remove)
        self.set_scope("", (), editable=False)

    def set_scope(self, title: str, levels: tuple[str, ...], *, editable: bool) -> None:
        if title:
            self.title.setText(title)
        self.level_combo.clear()
        self.level_combo.addItems(list(levels))
        if "read" in levels:
            self.level_combo.setCurrentText("read")
        for widget in (self.user_edit, self.level_combo, self.add_button):
            widget.setEnabled(editable)
        tip = "" if editable else "You need the admin or owner level to change members."
        self.add_button.setToolTip(tip)
        self._update_remove()

    def set_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def _add(self) -> None:
        user = self.user_edit.text().strip()
        if user:
            self.addRequested.emit(user, self.level_combo.currentText())

    def _selected_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def _update_remove(self) -> None:
        """Remove and Change level are enabled only for a selected member the guards let you remove or
        change; the tooltips say why not."""
        row = self._selected_row()
        for button, why in (
            (self.remove_button, self.model.removal_refused(row)),
            (self.change_button, self.model.level_locked(row)),
        ):
            button.setEnabled(not why)
            button.setToolTip(why)

    def _change_level(self) -> None:
        """Open the level selector of the selected member (what a double-click on its Level does)."""
        row = self._selected_row()
        if row >= 0 and not self.model.level_locked(row):
            index = self.model.index(row, LEVEL_COLUMN)
            self.table.setCurrentIndex(index)
            self.table.edit(index)

    def _remove(self) -> None:
        row = self._selected_row()
        if row >= 0 and not self.model.removal_refused(row):
            self.removeRequested.emit(self.model.username_at(row))


class ActivityPage(QWidget):
    refreshRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activityPage")
        layout = QVBoxLayout(self)
        self.model = ActivityModel()
        self.tree = named(QTreeView(), "activityTree", "Operations and their steps")
        self.tree.setModel(self.model)
        self.tree.setAlternatingRowColors(True)
        self.tree.setItemDelegateForColumn(STATUS_COLUMN, BadgeDelegate(self.tree))  # done, rolled back…
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        self.refresh_button = named(QPushButton("Refresh"), "activityRefreshButton", "Reload the activity")
        self.refresh_button.clicked.connect(self.refreshRequested)
        self.scope_label = named(QLabel(""), "activityScope")
        self.scope_label.setWordWrap(True)
        self.set_scope("")
        top = QHBoxLayout()
        top.addWidget(self.scope_label, 1)
        top.addWidget(self.refresh_button)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)

    def set_scope(self, where: str) -> None:
        """`where`: the organisation or application the list is about ("" = everything)."""
        about = f"on {where}" if where else "of this computer"
        self.scope_label.setText(f"Operations {about}, newest first, with who ran them and what came of it.")


class OrgToolbar(QToolBar):
    newOrgRequested = Signal()
    newAppRequested = Signal()
    deleteRequested = Signal()
    migrateRequested = Signal()
    delegateRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Organisations", parent)
        self.setObjectName("orgToolbar")
        self.setMovable(False)
        self.new_org_action = self._add("newOrgAction", "New organisation…", self.newOrgRequested)
        self.new_app_action = self._add("newAppAction", "New application…", self.newAppRequested)
        self.delete_action = self._add("deleteOrgAppAction", "Delete…", self.deleteRequested)
        self.migrate_action = self._add("migrateWorkspaceAction", "Migrate workspace…", self.migrateRequested)
        # Realm administrators only, rarely: in the Organisation menu, not on the toolbar.
        self.delegate_action = QAction("Delegate permissions…", self)
        self.delegate_action.setObjectName("delegateOrgAction")
        self.delegate_action.triggered.connect(self.delegateRequested)
        # Ctrl+N (menu, and the navigation where the composition adds it): a new application when one
        # can be made here, else a new organisation. Not window-wide: on a page Ctrl+N makes that page's
        # thing (a release, a dimension).
        self.new_action = QAction("New…", self)
        self.new_action.setObjectName("newOrgOrAppAction")
        self.new_action.setShortcut(QKeySequence("Ctrl+N"))
        self.new_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.new_action.triggered.connect(self._new)
        for action in (self.new_org_action, self.new_app_action):
            action.changed.connect(self._update_new)
        self._update_new()

    def _new(self) -> None:
        if self.new_app_action.isEnabled():
            self.newAppRequested.emit()
        elif self.new_org_action.isEnabled():
            self.newOrgRequested.emit()

    def _update_new(self) -> None:
        app, org = self.new_app_action.isEnabled(), self.new_org_action.isEnabled()
        self.new_action.setText("New application…" if app else "New organisation…")
        self.new_action.setEnabled(app or org)

    def _add(self, name: str, text: str, signal: SignalInstance) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.triggered.connect(signal)
        self.addAction(action)
        widget = self.widgetForAction(action)
        if widget is not None:
            named(widget, f"{name}Button", text.rstrip("…"))
        return action
