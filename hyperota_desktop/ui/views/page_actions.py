"""Actions of a page: each a QAction (objectName, text, shortcut: what a menu bar lists) shown as a named
button; the button follows its action (enabled, tooltip), so gating the action gates the button.

Shortcuts act while the page (or a widget in it) has focus, so pages can reuse keys without clashing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolButton, QWidget

from hyperota_desktop.ui.widgets.naming import named


def page_action(page: QWidget, name: str, text: str, shortcut: str = "", tip: str = "") -> QAction:
    action = QAction(text, page)
    action.setObjectName(name)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    plain = text.rstrip("…")
    action.setToolTip(f"{tip or plain} ({shortcut})" if shortcut else tip or plain)
    action.setStatusTip(tip or plain)
    page.addAction(action)
    return action


def action_button(action: QAction, accessible: str = "") -> QToolButton:
    button = QToolButton()
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return named(button, f"{action.objectName()}Button", accessible or action.text().rstrip("…"))


def explain(action: QAction, allowed: bool, reason: str = "", applies: bool = True) -> None:
    """Enable `action` when it applies and is allowed; its tooltip says why not."""
    action.setEnabled(applies and allowed)
    base = action.statusTip()
    shortcut = action.shortcut().toString()
    default = f"{base} ({shortcut})" if shortcut else base
    action.setToolTip(default if allowed or not reason else reason)
