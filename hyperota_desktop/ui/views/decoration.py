"""Icons on the main window: its own icon, every known action (by objectName) and every page's tab;
and one keyboard rule for every list and table in it: Tab leaves them (arrows move inside).

Kept apart from the views that build the actions, so a new action gets its icon by one line here, and
re-applied when the palette changes (light ↔ dark), since the icons are tinted with it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QMainWindow, QTabWidget

from hyperota_desktop.ui.widgets import icons

# objectName of an action → icon key (hyperota_desktop.ui.widgets.icons.ICONS).
ACTION_ICONS: dict[str, str] = {
    "newProfileAction": "profile.new",
    "editProfileAction": "profile.edit",
    "signInAction": "sign-in",
    "signOutAction": "sign-out",
    "refreshAction": "refresh",
    "newOrgAction": "org.new",
    "newAppAction": "app.new",
    "deleteOrgAppAction": "delete",
    "migrateWorkspaceAction": "migrate",
    "shortcutsAction": "shortcuts",
}


def decorate(window: QMainWindow, pages: QTabWidget, page_keys: list[str]) -> None:
    """Give the window, its actions and its tabs their icons, now and after every palette change."""
    window.setWindowIcon(icons.app_icon())
    window.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)  # icons never replace words
    _apply(window, pages, page_keys)
    for view in window.findChildren(QAbstractItemView):
        # Qt's default walks every cell with Tab: through a list of a thousand packages. Arrows do that.
        view.setTabKeyNavigation(False)
    window.installEventFilter(_Retint(window, pages, page_keys))


def _apply(window: QMainWindow, pages: QTabWidget, page_keys: list[str]) -> None:
    palette = window.palette()
    for action in window.findChildren(QAction):
        key = ACTION_ICONS.get(action.objectName())
        if key is not None:
            action.setIcon(icons.icon(key, palette))
    for index, key in enumerate(page_keys):
        if index < pages.count():
            pages.setTabIcon(index, icons.icon(f"page.{key}", palette))


class _Retint(QObject):
    def __init__(self, window: QMainWindow, pages: QTabWidget, page_keys: list[str]) -> None:
        super().__init__(window)
        self._window, self._pages, self._keys = window, pages, page_keys

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.PaletteChange:
            icons.clear_cache()
            _apply(self._window, self._pages, self._keys)
            self._window.update()
        return False
