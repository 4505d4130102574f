"""A QR code drawn with QPainter from a segno matrix: crisp at any size, dark modules on white."""

from __future__ import annotations

import segno
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

QUIET_ZONE = 4  # modules of white border scanners need


class QrCode(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._matrix: list[list[bool]] = []
        self._text = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(120, 120)

    @property
    def text(self) -> str:
        return self._text

    @property
    def modules(self) -> int:
        return len(self._matrix)

    def set_text(self, text: str) -> None:
        self._text = text
        if text:
            qr = segno.make(text, error="m", micro=False)
            self._matrix = [[bool(cell) for cell in row] for row in qr.matrix]
        else:
            self._matrix = []
        self.setToolTip(text)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(200, 200)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        count = len(self._matrix) + 2 * QUIET_ZONE
        module = max(1, min(self.width(), self.height()) // count)  # whole pixels: no seams between modules
        side = module * count
        left, top = (self.width() - side) // 2, (self.height() - side) // 2
        painter.fillRect(QRectF(left, top, side, side), QColor("white"))
        if not self._matrix:
            painter.end()
            return
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("black"))
        for y, row in enumerate(self._matrix):
            for x, dark in enumerate(row):
                if dark:
                    painter.drawRect(
                        QRectF(
                            left + (x + QUIET_ZONE) * module, top + (y + QUIET_ZONE) * module, module, module
                        )
                    )
        painter.end()
