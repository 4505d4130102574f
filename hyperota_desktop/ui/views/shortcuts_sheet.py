"""The keyboard shortcuts sheet (F1): generated from the window's actual QActions, so it is never out of
date. Every action with a shortcut is listed with its keys, in the platform's notation, and where it works:
"Everywhere" for the window's own actions, or the page (tab) whose widgets own it, since pages reuse keys
(the Releases and Dimensions pages both have a Refresh on Ctrl+R beside the window's F5). Actions added by
pages, toolbars or menus later appear without a change here.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QMenuBar,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.ui.widgets.naming import named

EVERYWHERE = "Everywhere"


def shortcut_rows(window: QWidget) -> list[tuple[str, str, str]]:
    """(where it works, what it does, keys) of every action under `window` that has a shortcut: the
    window's own actions first, then each page's in the order of the tabs, each sorted by name. Same
    text and keys in the same place are listed once."""
    rows: dict[tuple[str, str, str], None] = {}
    order: dict[str, tuple[int, ...]] = {EVERYWHERE: ()}
    for action in window.findChildren(QAction):
        keys = [k for k in action.shortcuts() if not k.isEmpty()]
        if not keys:
            continue
        text = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()
        shown = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
        where, position = _where(action)
        order.setdefault(where, position)
        rows[(where, text or action.objectName(), shown)] = None
    return sorted(rows, key=lambda row: (order[row[0]], row[1].casefold()))


def _where(action: QAction) -> tuple[str, tuple[int, ...]]:
    """Where an action's shortcut works: the page (tab titles from the window's tabs inwards, e.g.
    "Releases > Device preview") whose widgets own it, with the tab positions to sort by, or the named
    part of the window it is added to (e.g. "Navigation"); window-wide shortcuts work from any page."""
    context = action.shortcutContext()
    if context in (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut):
        return EVERYWHERE, ()
    owners = [action.parent(), *action.associatedObjects()]
    widgets = [w for w in owners if isinstance(w, QWidget) and not isinstance(w, QMenu | QMenuBar | QToolBar)]
    for widget in widgets:
        titles, positions = _tabs_around(widget)
        if titles:
            return " > ".join(titles), tuple(positions)
    for widget in widgets:
        if widget.accessibleName():
            return widget.accessibleName(), (-1,)
    return EVERYWHERE, ()


def _tabs_around(widget: QWidget) -> tuple[list[str], list[int]]:
    titles: list[str] = []
    positions: list[int] = []
    node: QWidget | None = widget
    while node is not None:
        stack = node.parentWidget()
        tabs = stack.parentWidget() if isinstance(stack, QStackedWidget) else None
        if isinstance(tabs, QTabWidget) and tabs.indexOf(node) >= 0:
            titles.insert(0, tabs.tabText(tabs.indexOf(node)).replace("&", ""))
            positions.insert(0, tabs.indexOf(node))
        node = node.parentWidget()
    return titles, positions


class ShortcutsSheet(QDialog):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("shortcutsSheet")
        self.setWindowTitle("Keyboard shortcuts")
        layout = QVBoxLayout(self)
        intro = QLabel("Everything the toolbar and pages do is also reachable with these keys.")
        intro.setWordWrap(True)
        layout.addWidget(named(intro, "shortcutsIntro"))
        rows = shortcut_rows(window)
        self.table = named(QTableWidget(len(rows), 3), "shortcutsTable", "Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Action", "Keys", "Where"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it): no trap
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for row, (where, text, keys) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(text))
            self.table.setItem(row, 1, QTableWidgetItem(keys))
            self.table.setItem(row, 2, QTableWidgetItem(where))
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        named(buttons, "shortcutsButtons")
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        named(close, "shortcutsClose", "Close")
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.resize(560, 480)


def install(window: QMainWindow) -> QAction:
    """Add the F1 action (objectName `shortcutsAction`) that opens the sheet, built afresh each time."""
    action = QAction("Keyboard shortcuts", window)
    action.setObjectName("shortcutsAction")
    keys: list[QKeySequence] = []
    for key in (QKeySequence(QKeySequence.StandardKey.HelpContents), QKeySequence("F1")):
        if not key.isEmpty() and key not in keys:  # F1 is HelpContents on Linux and Windows
            keys.append(key)
    action.setShortcuts(keys)
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    def show() -> None:
        sheet = ShortcutsSheet(window)
        sheet.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        sheet.open()

    action.triggered.connect(show)
    window.addAction(action)
    return action
