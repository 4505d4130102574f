"""Status badges: a rounded pill of text in a table cell, coloured from the palette so it reads in light
and dark themes alike.

A model gives the cell's text (DisplayRole) and its tone (`TONE_ROLE`: one of `Tone`). Each tone has a
hue; the fill and text lightness follow the palette's window colour (a pale fill with dark text on a light
theme, a deep fill with light text on a dark one), so the contrast stays above WCAG's 4.5:1 for normal
text whatever the theme (`contrast_ratio`, tested for every tone on both).
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

TONE_ROLE = Qt.ItemDataRole.UserRole + 7


class Tone(StrEnum):
    NEUTRAL = "neutral"  # grey: finished without effect (discarded)
    DRAFT = "draft"  # violet: made, not started
    ACTIVE = "active"  # blue: running (ramping)
    WARNING = "warning"  # amber: paused
    SUCCESS = "success"  # green: released
    DANGER = "danger"  # red: reverted, failed


_HUES = {Tone.DRAFT: 270, Tone.ACTIVE: 212, Tone.WARNING: 38, Tone.SUCCESS: 135, Tone.DANGER: 2}


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def badge_colors(palette: QPalette, tone: Tone) -> tuple[QColor, QColor]:
    """(fill, text) of a badge of `tone` on `palette`."""
    hue = _HUES.get(tone, -1)
    saturation = 0.0 if hue < 0 else 1.0
    if is_dark(palette):
        fill = QColor.fromHslF(max(hue, 0) / 360, 0.45 * saturation, 0.26)
        text = QColor.fromHslF(max(hue, 0) / 360, 0.70 * saturation, 0.88)
    else:
        fill = QColor.fromHslF(max(hue, 0) / 360, 0.75 * saturation, 0.90)
        text = QColor.fromHslF(max(hue, 0) / 360, 0.85 * saturation, 0.22)
    return fill, text


def ink(palette: QPalette, tone: Tone) -> QColor:
    """Text in `tone` straight on the window (an error, a warning): readable on light and dark."""
    hue = _HUES.get(tone, -1)
    if hue < 0:
        return palette.color(QPalette.ColorRole.WindowText)
    lightness = 0.72 if is_dark(palette) else 0.32
    return QColor.fromHslF(hue / 360, 0.75, lightness)


def set_tone(widget: QWidget, tone: Tone | None) -> None:
    """Colour a label's text in `tone` (None: the palette's own text colour)."""
    palette = widget.palette()
    parent = widget.parentWidget()
    base = parent.palette() if parent is not None else palette
    color = base.color(QPalette.ColorRole.WindowText) if tone is None else ink(base, tone)
    palette.setColor(QPalette.ColorRole.WindowText, color)
    palette.setColor(QPalette.ColorRole.Text, color)
    widget.setPalette(palette)


def _luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


Index = QModelIndex | QPersistentModelIndex


class BadgeDelegate(QStyledItemDelegate):
    """Paints cells that carry a tone as badges; other cells as usual."""

    PAD_X, PAD_Y = 8, 2

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        tone = index.data(TONE_ROLE)
        if tone is None:
            super().paint(painter, option, index)
            return
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        widget = option.widget
        style = widget.style() if isinstance(widget, QWidget) else None
        if style is not None:  # the selection background and focus, as for any cell
            plain = QStyleOptionViewItem(option)
            self.initStyleOption(plain, index)
            plain.text = ""
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, plain, painter, widget)
        palette = option.palette
        fill, text_color = badge_colors(palette, Tone(tone))
        metrics = QFontMetrics(option.font)
        rect = option.rect
        width = min(metrics.horizontalAdvance(text) + 2 * self.PAD_X + 4, rect.width() - 4)
        height = min(metrics.height() + 2 * self.PAD_Y, rect.height() - 2)
        pill = QRectF(rect.x() + 4, rect.y() + (rect.height() - height) / 2, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(text_color)
        painter.setFont(option.font)
        elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(width - 2 * self.PAD_X))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, elided)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        size = super().sizeHint(option, index)
        if index.data(TONE_ROLE) is not None:
            size.setWidth(size.width() + 2 * self.PAD_X + 8)
        return size
