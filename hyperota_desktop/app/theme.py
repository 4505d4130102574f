"""Light/dark: follow the system; an explicit choice asks the platform, else sets Fusion colours.

Qt's palette types are loaded only for an explicit choice: "system" (the default) costs nothing before
the window's first paint.

Fusion draws a line edit's frame in the window colour darkened (`QFusionStylePrivate::outline`), which
on the dark window is all but invisible (1.2:1): the search fields had no edge; on the light one it is
2.0:1. So the frame is drawn in `DARK_FRAME`/`LIGHT_FRAME` (focused: `DARK_FOCUS_FRAME`/
`LIGHT_FOCUS_FRAME`), each at least 3:1 against its theme's window and field (WCAG 2.1, 1.4.11
non-text contrast; tests/ui/test_theme.py computes it from painted pixels)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication


DARK_FRAME = "#8a8a8a"  # a line edit's edge: 4.1:1 on the window, 4.8:1 on the field
DARK_FOCUS_FRAME = "#6ea8fe"  # the focused one (the Link colour): 5.9:1 on the window
LIGHT_FRAME = "#767676"  # on Fusion's light window (#efefef): 3.9:1, on the field (#ffffff) 4.5:1
LIGHT_FOCUS_FRAME = "#2f65ca"  # the focused one: 4.8:1 on the window (Fusion's highlight is 3.2:1)


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

    wanted = Qt.ColorScheme.Dark if theme == "dark" else Qt.ColorScheme.Light
    app.styleHints().setColorScheme(wanted)
    if app.styleHints().colorScheme() == wanted:
        return theme
    # The platform cannot switch schemes (e.g. offscreen, some X11 desktops): set the palette ourselves.
    dark = theme == "dark"
    style = _framed_fusion(*((DARK_FRAME, DARK_FOCUS_FRAME) if dark else (LIGHT_FRAME, LIGHT_FOCUS_FRAME)))
    app.setStyle(style)
    palette = style.standardPalette()
    if dark:
        for role, colour in _dark().items():
            palette.setColor(role, QColor(colour))
        palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#7a7a7a"))
        palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#7a7a7a"))
    app.setPalette(palette)
    return theme


def _framed_fusion(frame_colour: str, focus_colour: str) -> Any:
    """Fusion, but a line edit's frame (`PE_FrameLineEdit`) in `frame_colour` (focused: `focus_colour`);
    a disabled one keeps Fusion's (WCAG does not ask contrast of inactive controls)."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor, QPainter, QPen
    from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleOption

    frame, focus = QColor(frame_colour), QColor(focus_colour)
    State = QStyle.StateFlag

    class FramedFusion(QProxyStyle):
        def drawPrimitive(
            self,
            element: QStyle.PrimitiveElement,
            option: QStyleOption,
            painter: QPainter,
            widget: Any = None,
        ) -> None:
            state = option.state
            if element != QStyle.PrimitiveElement.PE_FrameLineEdit or not state & State.State_Enabled:
                super().drawPrimitive(element, option, painter, widget)
                return
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(focus if state & State.State_HasFocus else frame, 1))
            rect = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
            painter.drawRoundedRect(rect, 2, 2)  # Fusion's corner radius
            painter.restore()

    return FramedFusion("Fusion")
