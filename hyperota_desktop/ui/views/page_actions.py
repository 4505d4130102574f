"""Actions of a page: each a QAction (objectName, text, shortcut: what a menu bar lists) shown as a named
button; the button follows its action (enabled, tooltip), so gating the action gates the button.

Shortcuts act while the page (or a widget in it) has focus, so pages can reuse keys without clashing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

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


class MenuForward(QObject):
    """Chosen from `menu` (click or Enter), an action first brings its page forward (`shows[action]`), so
    what it does is in view; its own handler then runs on the visible page. Shortcuts and buttons on the
    page do not move the window: the page already shows, and an action that goes elsewhere (an export
    that opens the Archives page) is not pulled back."""

    def __init__(self, menu: QMenu, shows: dict[QAction, Callable[[], None]]) -> None:
        super().__init__(menu)
        self._menu, self._shows = menu, shows
        menu.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        chosen: QAction | None = None
        if isinstance(event, QMouseEvent) and event.type() == QEvent.Type.MouseButtonRelease:
            chosen = self._menu.actionAt(event.position().toPoint())
        elif (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)
        ):
            chosen = self._menu.activeAction()
        if chosen is not None and chosen.isEnabled() and chosen in self._shows:
            self._shows[chosen]()
        return False
