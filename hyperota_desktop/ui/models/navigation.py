"""Item model of the navigation tree: organisations with their applications.

The window's first paint builds these models, so they do not touch `PySide6.QtCore.Qt`: creating that
namespace's Python enums takes ~16 ms (on first use, once per process), which the pages pay right
after the first paint instead. Roles are Qt's plain int values; the proxy's case sensitivity is set
through its Qt property."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel
from PySide6.QtGui import QStandardItem, QStandardItemModel

DISPLAY_ROLE, DECORATION_ROLE, USER_ROLE = 0, 1, 0x0100  # Qt.ItemDataRole's DisplayRole, ...
ORG_ROLE = USER_ROLE + 1
APP_ROLE = USER_ROLE + 2
HIDDEN_ROLE = USER_ROLE + 3  # on the row saying why applications are not listed
# What the row under such an organisation reads (its tooltip and HIDDEN_ROLE: the whole reason).
HIDDEN_ROW_TEXT = "Apps hidden: ask a realm admin"  # short: the navigation is narrow; hover for why


@dataclass(frozen=True)
class NavEntry:
    org: str
    apps: tuple[str, ...]
    access: str = ""
    hidden: str = ""  # why Keycloak would not list its applications (OrgInfo.hidden); "" = all listed


class NavigationModel(QStandardItemModel):
    def __init__(self) -> None:
        super().__init__()
        self.setHorizontalHeaderLabels(["Organisations"])
        self.entries: list[NavEntry] = []

    def org_names(self) -> set[str]:
        """The organisations listed (those the person can see)."""
        return {entry.org for entry in self.entries}

    def app_names(self, org: str) -> set[str]:
        """The applications listed in `org`."""
        return {app for entry in self.entries if entry.org == org for app in entry.apps}

    def set_entries(self, entries: list[NavEntry]) -> None:
        self.entries = list(entries)
        self.removeRows(0, self.rowCount())
        for entry in entries:
            org_item = QStandardItem(entry.org)
            org_item.setEditable(False)
            org_item.setData(entry.org, ORG_ROLE)
            tips = [f"Your access: {entry.access}"] if entry.access else []
            if entry.hidden:
                tips.append(f"Applications not shown: {entry.hidden}")
            org_item.setToolTip("\n".join(tips))
            for app in entry.apps:
                app_item = QStandardItem(app)
                app_item.setEditable(False)
                app_item.setData(entry.org, ORG_ROLE)
                app_item.setData(app, APP_ROLE)
                org_item.appendRow(app_item)
            if entry.hidden:  # a row saying why, instead of an organisation that looks empty
                why = QStandardItem(HIDDEN_ROW_TEXT)
                why.setEditable(False)
                why.setSelectable(False)
                why.setEnabled(False)
                why.setToolTip(entry.hidden)
                why.setData(entry.hidden, HIDDEN_ROLE)
                org_item.appendRow(why)
            self.appendRow(org_item)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY_ROLE) -> Any:
        if role == DECORATION_ROLE and index.isValid():
            # Asked each paint, so the icons follow a change of palette (tinted, cached per colours).
            # Imported here: the SVG renderer is not needed before the window's first paint.
            from hyperota_desktop.ui.widgets.icons import icon

            return icon("application" if index.data(APP_ROLE) else "organisation")
        return super().data(index, role)


class NavigationFilter(QSortFilterProxyModel):
    """Case-insensitive search that keeps an organisation visible when one of its apps matches."""

    def __init__(self) -> None:
        super().__init__()
        self.setProperty("filterCaseSensitivity", 0)  # Qt.CaseSensitivity.CaseInsensitive
        self.setRecursiveFilteringEnabled(True)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        """The row saying why an organisation's applications are hidden stays with its organisation."""
        model = self.sourceModel()
        if model is not None and model.index(source_row, 0, source_parent).data(HIDDEN_ROLE):
            return super().filterAcceptsRow(source_parent.row(), source_parent.parent())
        return super().filterAcceptsRow(source_row, source_parent)
