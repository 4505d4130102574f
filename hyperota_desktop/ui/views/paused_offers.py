"""The person's paused publishes, offered on the Packages page: a heading and one row per publish (newest
first), each with what it was doing and its own *Resume* and *Cancel publish*.

A view only. It sits above the publish area's scrolling part, never inside it, so the heading and every
row's buttons stay in sight together at the window's minimum size: a long list scrolls below its heading
(`rows_area`), the heading does not. Signals: `resumeRequested(str)`, `cancelRequested(str)` (the
publish's journal id). While one is being resumed or undone, the buttons of all wait (`set_busy`);
a publish being undone shows its own progress in its row (`show_undo_progress`).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.ui.widgets.naming import named

ROWS_IN_SIGHT = 2  # the list is at least this tall (more rows scroll under the heading)


@dataclass(frozen=True)
class Offer:
    """One paused publish as the page shows it (the presenter words it)."""

    saga_id: str
    title: str  # "Publish to guiorg/app: big (tag beta)"
    detail: str  # when it was paused, why, what it was doing


class OfferRow(QFrame):
    """One paused publish: its title and detail, Resume and Cancel publish, and the undo's progress."""

    def __init__(self, offer: Offer, number: int, parent: PausedOffers) -> None:
        super().__init__()
        named(self, f"packagesPausedOffer{number}")
        self.offer = offer
        self.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 3, 6, 3)  # compact: two rows fit at the window's minimum size
        text = QVBoxLayout()
        text.setSpacing(2)
        self.title = named(QLabel(offer.title), f"packagesPausedTitle{number}")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)  # a long application or bundle name is read whole
        self.detail = named(QLabel(offer.detail), f"packagesPausedDetail{number}")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = named(QProgressBar(), f"packagesPausedUndoProgress{number}", "Cancel progress")
        self.progress.setVisible(False)
        for w in (self.title, self.detail, self.progress):
            text.addWidget(w)
        row.addLayout(text, 1)
        what = offer.title[:1].lower() + offer.title[1:]  # "publish to org/app: bundle"
        self.resume_button = named(
            QPushButton("Resume"), f"packagesPausedResume{number}", f"Resume the paused {what}"
        )
        self.cancel_button = named(
            QPushButton("Cancel publish"), f"packagesPausedCancel{number}", f"Cancel the paused {what}"
        )
        self.resume_button.setToolTip("Go on from where it stopped.")
        self.cancel_button.setToolTip("Delete what it sent (its files and unfinished uploads).")
        self.resume_button.clicked.connect(lambda: parent.resumeRequested.emit(offer.saga_id))
        self.cancel_button.clicked.connect(lambda: parent.cancelRequested.emit(offer.saga_id))
        buttons = QVBoxLayout()  # one above the other: the words get the width
        buttons.setSpacing(2)
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.cancel_button)
        row.addLayout(buttons)


class PausedOffers(QFrame):
    resumeRequested = Signal(str)
    cancelRequested = Signal(str)
    resized = Signal()  # the rows' heights changed (`heights`)

    def __init__(self) -> None:
        super().__init__()
        named(self, "packagesPausedOffers")
        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        self.heading = named(QLabel(""), "packagesPausedHeading")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        layout.addWidget(self.heading)
        self.rows_area = named(QScrollArea(), "packagesPausedList", "Paused publishes")
        # sized here (`_fit`), not by the scroll area: it would squeeze the rows to its height
        self.rows_area.setWidgetResizable(False)
        self.rows_area.viewport().installEventFilter(self)
        self.rows_area.setFrameShape(QFrame.Shape.NoFrame)
        self.rows_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._holder = QWidget()
        self._holder.setObjectName("packagesPausedRows")
        self._column = QVBoxLayout(self._holder)
        self._column.setContentsMargins(0, 0, 0, 0)
        self.rows_area.setWidget(self._holder)
        layout.addWidget(self.rows_area)
        self.rows: list[OfferRow] = []
        self._heights: list[int] = []  # each row's, at the list's width (`_fit`)
        self.setVisible(False)

    def show_offers(self, offers: list[Offer]) -> None:
        """Replace the rows (none: the panel goes). The busy state is the presenter's to set again."""
        for row in self.rows:
            self._column.removeWidget(row)
            row.deleteLater()
        self.rows = [OfferRow(offer, n, self) for n, offer in enumerate(offers, start=1)]
        for row in self.rows:
            self._column.addWidget(row)
        count = len(offers)
        self.heading.setText(
            "A paused publish waits for you" if count == 1 else f"{count} paused publishes wait for you"
        )
        self.setVisible(bool(offers))
        self._fit()

    def row(self, saga_id: str) -> OfferRow | None:
        return next((r for r in self.rows if r.offer.saga_id == saga_id), None)

    def set_busy(self, busy: bool) -> None:
        """One publish is being resumed or undone (or a publish runs): the others wait."""
        for row in self.rows:
            row.resume_button.setEnabled(not busy)
            row.cancel_button.setEnabled(not busy)

    def show_undo_progress(self, saga_id: str, text: str, done: int, total: int) -> None:
        """The undo of one of them: `done` of `total` (0 of 0: not counted yet, a busy bar)."""
        row = self.row(saga_id)
        if row is None:
            return
        row.progress.setVisible(True)
        row.progress.setRange(0, total if total > 0 else 0)
        row.progress.setValue(done)
        row.detail.setText(text)
        self._fit()  # its words and bar may take another height
        self.rows_area.ensureWidgetVisible(row)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.rows_area.viewport() and event.type() == QEvent.Type.Resize:
            self._fit()  # a scroll bar came or went: the rows' width changed
        return super().eventFilter(watched, event)

    def _fit(self) -> None:
        """Each row as tall as its words need at this width (the list scrolls, never squeezes a row);
        the list tall enough for `ROWS_IN_SIGHT` rows, and never less than one."""
        width = self.rows_area.viewport().width() or self.width()
        heights = [row.heightForWidth(width) for row in self.rows]
        for row, height in zip(self.rows, heights, strict=True):
            if row.minimumHeight() != height:
                row.setFixedHeight(height)
        gap = self._column.spacing()
        self._holder.setFixedSize(width, sum(h + gap for h in heights) - gap if heights else 0)
        self.rows_area.setMinimumHeight(heights[0] if heights else 0)  # one whole row, at least
        if heights != self._heights:
            self._heights = heights
            self.resized.emit()

    def heights(self) -> tuple[int, int]:
        """The least and the most height this wants: the heading with one row, with `ROWS_IN_SIGHT`."""
        rows = self._heights or [0]
        gap, margins = self._column.spacing(), self._layout.contentsMargins()
        fixed = self.heading.sizeHint().height() + self._layout.spacing() + margins.top() + margins.bottom()
        most = sum(h + gap for h in rows[:ROWS_IN_SIGHT]) - gap
        frame = 2 * self.rows_area.frameWidth()
        return fixed + rows[0] + frame, fixed + most + frame
