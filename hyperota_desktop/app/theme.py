"""Light/dark: follow the system; an explicit choice asks the platform, else sets Fusion colours.

Qt's palette types are loaded only for an explicit choice: "system" (the default) costs nothing before
the window's first paint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication


def _dark() -> dict[Any, str]:
    from PySide6.QtGui import QPalette

    return {
        QPalette.ColorRole.Window: "#2b2b2b",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1f1f1f",
        QPalette.ColorRole.AlternateBase: "#2a2a2a",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.ToolTipBase: "#353535",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.Highlight: "#2f65ca",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#6ea8fe",
        QPalette.ColorRole.PlaceholderText: "#8c8c8c",
    }


def apply_theme(app: QApplication, theme: str) -> str:
    """Apply "system", "light" or "dark"; returns the scheme in effect ("system" leaves Qt's own)."""
    if theme == "system":
        return "system"
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QStyleFactory

    wanted = Qt.ColorScheme.Dark if theme == "dark" else Qt.ColorScheme.Light
    app.styleHints().setColorScheme(wanted)
    if app.styleHints().colorScheme() == wanted:
        return theme
    # The platform cannot switch schemes (e.g. offscreen, some X11 desktops): set the palette ourselves.
    style = QStyleFactory.create("Fusion")
    app.setStyle(style)
    palette = style.standardPalette()
    if theme == "dark":
        for role, colour in _dark().items():
            palette.setColor(role, QColor(colour))
        palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#7a7a7a"))
        palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#7a7a7a"))
    app.setPalette(palette)
    return theme
