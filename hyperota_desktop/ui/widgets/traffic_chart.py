"""A small step chart of a rollout: the share of devices on the new package over time, drawn with
QPainter in the palette's colours (light and dark themes alike).

QtCharts would do it too, but it lives in PySide6-Addons: for PySide6 6.12 a second wheel of 59 MB,
157 MB installed (WebEngine, 3D, multimedia and more besides), for one chart of a few dozen points. This
widget is ~150 lines and draws
exactly what a support person needs: each change as a step, the ramp cap as a dashed line, a dot and a
label per action, and the time axis from the release's creation to now. Its text (`summary()`) is its
accessible description, so screen readers get the same story.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from hyperota_desktop.ui.widgets.local_time import local_time

Point = tuple[datetime, int]


class TrafficChart(QWidget):
    MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 16, 14, 28

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trafficChart")
        self.setAccessibleName("Share of devices on the new package over time")
        self.setMinimumHeight(120)  # readable (four grid lines), and the Releases page fits a 760-high window
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._points: tuple[Point, ...] = ()
        self._cap: int | None = None
        self._until: datetime | None = None
        self._empty_text = "No history yet."

    # -- what a page calls ------------------------------------------------------------------------------
    def set_series(
        self, points: Sequence[Point], *, cap: int | None = None, until: datetime | None = None
    ) -> None:
        """`points`: (when, % of the target's devices on the new package after it), oldest first; `cap`:
        the most a ramp may reach (dashed); `until`: where the time axis ends (default: now)."""
        self._points = tuple(sorted(points, key=lambda p: p[0]))
        self._cap = cap
        self._until = until
        self.setAccessibleDescription(self.summary())
        self.update()

    @property
    def points(self) -> tuple[Point, ...]:
        return self._points

    def summary(self) -> str:
        if not self._points:
            return self._empty_text
        steps = "; ".join(f"{local_time(at)}: {percent}%" for at, percent in self._points)
        return f"Share of devices on the new package — {steps}."

    def sizeHint(self) -> QSize:
        return QSize(520, 180)

    # -- drawing ----------------------------------------------------------------------------------------
    def _plot_area(self) -> QRectF:
        return QRectF(
            self.MARGIN_LEFT,
            self.MARGIN_TOP,
            max(10, self.width() - self.MARGIN_LEFT - self.MARGIN_RIGHT),
            max(10, self.height() - self.MARGIN_TOP - self.MARGIN_BOTTOM),
        )

    def _x(self, area: QRectF, at: datetime, start: datetime, span: float) -> float:
        return area.left() + area.width() * ((at - start).total_seconds() / span)

    @staticmethod
    def _y(area: QRectF, percent: float) -> float:
        return area.bottom() - area.height() * percent / 100

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        grid = QColor(text)
        grid.setAlphaF(0.18)
        area = self._plot_area()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        painter.setPen(QPen(grid, 1))
        for percent in (0, 25, 50, 75, 100):
            y = self._y(area, percent)
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.setPen(text)
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(QRectF(0, y - 8, self.MARGIN_LEFT - 6, 16), right, f"{percent}%")
            painter.setPen(QPen(grid, 1))
        if not self._points:
            painter.setPen(text)
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, self._empty_text)
            return
        start = self._points[0][0]
        end = max(self._until or datetime.now(UTC), self._points[-1][0])
        span = max((end - start).total_seconds(), 1.0)
        if self._cap is not None and 0 < self._cap < 100:
            dashed = QPen(palette.color(QPalette.ColorRole.PlaceholderText), 1, Qt.PenStyle.DashLine)
            painter.setPen(dashed)
            y = self._y(area, self._cap)
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.drawText(QRectF(area.left() + 4, y - 16, 200, 14), Qt.AlignmentFlag.AlignLeft,
                             f"ramp cap {self._cap}%")  # fmt: skip
        line = palette.color(QPalette.ColorRole.Highlight)
        path = QPainterPath()
        x0 = self._x(area, start, start, span)
        path.moveTo(x0, self._y(area, 0))
        dots: list[QPointF] = []
        for at, percent in self._points:
            x = self._x(area, at, start, span)
            path.lineTo(x, path.currentPosition().y())  # hold the previous level until the change
            path.lineTo(x, self._y(area, percent))
            dots.append(QPointF(x, self._y(area, percent)))
        path.lineTo(area.right(), path.currentPosition().y())
        painter.setPen(QPen(line, 2.2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        painter.setBrush(line)
        for dot in dots:
            painter.drawEllipse(dot, 3.5, 3.5)
        painter.setPen(text)
        bottom = QRectF(area.left(), area.bottom() + 6, area.width(), 16)
        painter.drawText(bottom, Qt.AlignmentFlag.AlignLeft, local_time(start))
        painter.drawText(bottom, Qt.AlignmentFlag.AlignRight, local_time(end))
