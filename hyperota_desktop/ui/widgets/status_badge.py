"""Tones of text: an error, a warning or a problem list coloured from the palette, so it reads in light and
dark themes alike (`set_tone`, `ink`). Status badges (a pill of text) are `ui/widgets/badge.py`'s, the
app's one badge widget and delegate.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget


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
