"""The keyboard shortcuts sheet (F1): generated from the window's actual QActions, so it is never out of
date. Every action with a shortcut is listed with its keys, in the platform's notation; actions added by
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
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.ui.widgets.naming import named


def shortcut_rows(window: QWidget) -> list[tuple[str, str]]:
    """(what it does, keys) of every action under `window` that has a shortcut, sorted by name."""
    rows: dict[tuple[str, str], None] = {}
    for action in window.findChildren(QAction):
        keys = [k for k in action.shortcuts() if not k.isEmpty()]
        if not keys:
            continue
        text = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()
        shown = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
        rows[(text or action.objectName(), shown)] = None
    return sorted(rows, key=lambda row: row[0].casefold())


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
        self.table = named(QTableWidget(len(rows), 2), "shortcutsTable", "Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it): no trap
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for row, (text, keys) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(text))
            self.table.setItem(row, 1, QTableWidgetItem(keys))
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        named(buttons, "shortcutsButtons")
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        named(close, "shortcutsClose", "Close")
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.resize(460, 420)


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
