"""The Qt binding keeps Python's reference counts: PySide6 6.12.0 dropped a reference to None on every
call of a method returning nothing, so on Python 3.11 the app aborted ("none_dealloc") once painting had
made some 20,000 such calls (pyproject pins it out). This fails, or aborts, on such a binding."""

from __future__ import annotations

import gc
import sys
from typing import Any

from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QLabel


def test_calls_returning_nothing_keep_nones_reference_count(qapp: Any) -> None:
    image = QImage(16, 16, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    label = QLabel()
    try:
        gc.collect()
        before = sys.getrefcount(None)
        for _ in range(200):
            painter.save()
            painter.restore()
            label.setText("x")
        gc.collect()
        assert sys.getrefcount(None) - before > -50, "the binding loses references to None"
    finally:
        painter.end()
