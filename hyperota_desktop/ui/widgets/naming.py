"""Every interactive widget gets an objectName (tests, styling) and an accessible name (screen readers)."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str, accessible: str = "") -> W:
    widget.setObjectName(name)
    if accessible:
        widget.setAccessibleName(accessible)
    return widget
