"""Remembered layout and place: window geometry, toolbars, every named splitter, the page, and the last
organisation/application, restored at the next start.

Kept in an INI file of the app's own config folder (`QSettings` with an explicit path, so each
HYPEROTA_HOME has its own and tests never touch the person's), holding sizes and names only, never a
token or secret. The active profile is remembered by the profile store itself. Restore tolerates stale
or damaged values: an organisation that no longer exists is simply not selected, a geometry that does
not parse is ignored, a page index out of range is ignored.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QModelIndex, QObject, QSettings, QTimer
from PySide6.QtWidgets import QMainWindow, QSplitter, QTabWidget, QTreeView

from hyperota_desktop.ui.models.navigation import APP_ROLE, ORG_ROLE, NavigationFilter, NavigationModel

VERSION = 1  # bump when what is saved changes meaning: older files are then ignored, not misread


class WindowMemory(QObject):
    def __init__(
        self,
        window: QMainWindow,
        pages: QTabWidget,
        tree: QTreeView,
        model: NavigationModel,
        proxy: NavigationFilter,
        path: Path,
    ) -> None:
        super().__init__(window)
        self._window, self._pages, self._tree = window, pages, tree
        self._model, self._proxy = model, proxy
        self._settings = QSettings(str(path), QSettings.Format.IniFormat)
        self._wanted: tuple[str, str] | None = None  # the selection to restore once the tree has it
        # Bound slots, not lambdas: Qt drops them with this object, so rows arriving after the window
        # is gone (late work in flight) reach nothing instead of a deleted object.
        model.rowsInserted.connect(self._select_wanted_soon)
        model.modelReset.connect(self._select_wanted_soon)

    # -- restore ----------------------------------------------------------------------------------------
    def restore(self) -> None:
        s = self._settings
        if _int(s.value("version")) != VERSION:
            return
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self._window.restoreGeometry(geometry)
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self._window.restoreState(state)
        for splitter in self._splitters():
            saved = s.value(f"splitters/{splitter.objectName()}")
            if isinstance(saved, QByteArray) and not saved.isEmpty():
                splitter.restoreState(saved)
        page = _int(s.value("place/page"))
        if page is not None and 0 <= page < self._pages.count():
            self._pages.setCurrentIndex(page)
        org = str(s.value("place/organisation") or "")
        if org:
            self._wanted = (org, str(s.value("place/application") or ""))
            self._select_wanted()

    # -- save -------------------------------------------------------------------------------------------
    def save(self) -> None:
        s = self._settings
        s.setValue("version", VERSION)
        s.setValue("window/geometry", self._window.saveGeometry())
        s.setValue("window/state", self._window.saveState(VERSION))
        for splitter in self._splitters():
            s.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())
        s.setValue("place/page", self._pages.currentIndex())
        current = self._tree.currentIndex()
        if current.isValid():
            s.setValue("place/organisation", current.data(ORG_ROLE) or "")
            s.setValue("place/application", current.data(APP_ROLE) or "")
        elif self._wanted is None:  # nothing selected now and nothing still to restore: forget
            s.remove("place/organisation")
            s.remove("place/application")
        s.sync()

    # -- internals --------------------------------------------------------------------------------------
    def _splitters(self) -> list[QSplitter]:
        """Every splitter with a name (pages added later are covered without a change here)."""
        return [w for w in self._window.findChildren(QSplitter) if w.objectName()]

    def _select_wanted_soon(self, *_args: object) -> None:
        QTimer.singleShot(0, self, self._select_wanted)

    def _select_wanted(self) -> None:
        """Select the remembered organisation/application once the tree holds it (it loads after
        sign-in). A person who selected something meanwhile wins; a vanished one is forgotten."""
        if self._wanted is None or self._model.rowCount() == 0:
            return
        if self._tree.currentIndex().isValid():
            self._wanted = None
            return
        org, app = self._wanted
        self._wanted = None
        for row in range(self._model.rowCount()):
            org_index = self._model.index(row, 0)
            if org_index.data(ORG_ROLE) != org:
                continue
            target = org_index
            for child in range(self._model.rowCount(org_index)):
                app_index = self._model.index(child, 0, org_index)
                if app and app_index.data(APP_ROLE) == app:
                    target = app_index
            self._select(target)
            return

    def _select(self, source: QModelIndex) -> None:
        index = self._proxy.mapFromSource(source)
        if index.isValid():
            self._tree.expand(index.parent())
            self._tree.setCurrentIndex(index)


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
