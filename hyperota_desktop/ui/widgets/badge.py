"""Status badges (release status, traffic, package state): a rounded pill drawn with the palette.

One look everywhere: `StatusBadge` is a widget (detail views, headers); `BadgeDelegate` paints the same
pill in a table column whose model gives the text (DisplayRole) and the tone (`BADGE_TONE_ROLE`).
The pill's fill is the tone's hue mixed into the palette's base colour, and its text the palette's text
colour, so a badge reads on light and dark themes alike; the text says the status (colour is never
the only cue).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

BADGE_TONE_ROLE = Qt.ItemDataRole.UserRole + 40

# Tones by meaning, not by status: a caller maps its statuses onto these.
TONES: dict[str, str] = {
    "neutral": "#808080",
    "draft": "#8a5cd6",
    "info": "#2f7fd6",
    "success": "#2e9d57",
    "warning": "#d9901a",
    "danger": "#d64545",
}
# Superposition experiment statuses (releases) and what they mean to a person: made but not started,
# running, paused, released, dropped without effect (a reverted conclusion is "danger": see
# `ui/models/releases.py: badge_tone_of`).
RELEASE_TONES: dict[str, str] = {
    "CREATED": "draft",
    "INPROGRESS": "info",
    "PAUSED": "warning",
    "CONCLUDED": "success",
    "DISCARDED": "neutral",
}
_PAD_X, _PAD_Y = 8, 2


def badge_colours(tone: str, palette: QPalette) -> tuple[QColor, QColor, QColor]:
    """(fill, border, text) for `tone` on `palette`: a tint of the hue over the base colour."""
    hue = QColor(TONES.get(tone, TONES["neutral"]))
    base = palette.color(QPalette.ColorRole.Base)
    dark = base.lightnessF() < 0.5
    fill = _mix(hue, base, 0.35 if dark else 0.18)
    border = _mix(hue, base, 0.75 if dark else 0.6)
    return fill, border, palette.color(QPalette.ColorRole.Text)


def paint_badge(painter: QPainter, rect: QRect, text: str, tone: str, palette: QPalette) -> None:
    fill, border, ink = badge_colours(tone, palette)
    metrics = QFontMetrics(painter.font())
    width = min(rect.width(), metrics.horizontalAdvance(text) + 2 * _PAD_X)
    height = min(rect.height(), metrics.height() + 2 * _PAD_Y)
    pill = QRectF(rect.x() + 0.5, rect.y() + (rect.height() - height) / 2 + 0.5, width - 1, height - 1)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(border)
    painter.setBrush(fill)
    painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
    painter.setPen(ink)
    painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


class StatusBadge(QWidget):
    """A pill with a status text; `set_status(text, tone)`. The accessible name carries the text."""

    def __init__(self, text: str = "", tone: str = "neutral", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBadge")
        self._text, self._tone = "", "neutral"
        self.set_status(text, tone)

    @property
    def text(self) -> str:
        return self._text

    @property
    def tone(self) -> str:
        return self._tone

    def set_status(self, text: str, tone: str = "neutral") -> None:
        if tone not in TONES:
            raise ValueError(f"unknown badge tone {tone!r}; one of {', '.join(TONES)}")
        self._text, self._tone = text, tone
        self.setAccessibleName(f"Status: {text}" if text else "")
        self.setToolTip(text)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        return QSize(metrics.horizontalAdvance(self._text) + 2 * _PAD_X, metrics.height() + 2 * _PAD_Y)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, _event: QPaintEvent) -> None:
        if not self._text:
            return
        painter = QPainter(self)
        paint_badge(painter, self.rect(), self._text, self._tone, self.palette())
        painter.end()


class BadgeDelegate(QStyledItemDelegate):
    """Paints a column's cells as badges: text from DisplayRole, tone from BADGE_TONE_ROLE."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        tone = str(index.data(BADGE_TONE_ROLE) or "neutral")
        widget = option.widget
        style = widget.style() if widget is not None else None
        if style is not None and option.state & QStyle.StateFlag.State_Selected:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget)
        if text:
            rect = option.rect.adjusted(4, 2, -4, -2)
            paint_badge(painter, rect, text, tone, option.palette)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        return QSize(base.width() + 2 * _PAD_X + 8, max(base.height(), base.height() + 2 * _PAD_Y))


def _mix(colour: QColor, base: QColor, amount: float) -> QColor:
    """`amount` of `colour` over `base` (0: base, 1: colour)."""
    return QColor.fromRgbF(
        colour.redF() * amount + base.redF() * (1 - amount),
        colour.greenF() * amount + base.greenF() * (1 - amount),
        colour.blueF() * amount + base.blueF() * (1 - amount),
    )
