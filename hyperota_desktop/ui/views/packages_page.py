"""The Packages page: the publish panel (`publish_panel.py`) above the browse tabs (`package_browser.py`).

A view only. Signals (the presenter listens), forwarded from the two halves:
- `pathsDropped(list)`, `indexChosen(str)`, `publishRequested(str)`, `publishConfirmed()`,
  `pauseRequested()`, `resumeRequested()`, `cancelRequested()`: see `PublishPanel`.
- `offerResumed(str)`, `offerCancelled(str)`: a paused publish's Resume / Cancel publish (journal id);
  see `PausedOffers`, shown above the publish area (not scrolled with it).
- `versionChosen(int)`, `diffRequested(int, int)`, `tagRequested(int, str)`, `searchRequested(str)`,
  `exportRequested(int)`: see `PackageBrowser`.
The page holds what both halves depend on: the selected application and whether the person may publish.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

from hyperota_desktop.ui.views.package_browser import PackageBrowser
from hyperota_desktop.ui.views.paused_offers import Offer, PausedOffers
from hyperota_desktop.ui.views.publish_panel import DropArea, PublishPanel
from hyperota_desktop.ui.widgets.naming import named

__all__ = ["DropArea", "Offer", "PackagesPage"]


class PublishPane(QWidget):
    """The paused publishes above the publish area: they get the height they want (at least the
    heading and one whole row, at most two rows) and the publish area, which scrolls, the rest."""

    LEAST_FOR_PUBLISH = 24  # px the publish area keeps (it scrolls)

    def __init__(self, offers: PausedOffers, publish_area: QScrollArea) -> None:
        super().__init__()
        self.setObjectName("packagesPublishPane")
        self.offers, self.publish_area = offers, publish_area
        publish_area.setMinimumHeight(self.LEAST_FOR_PUBLISH)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(offers)
        column.addWidget(publish_area, 1)
        offers.resized.connect(self._share)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._share()

    def _share(self) -> None:
        least, most = self.offers.heights()
        height = max(least, min(most, self.height() - self.LEAST_FOR_PUBLISH))
        if self.offers.minimumHeight() != height or self.offers.maximumHeight() != height:
            self.offers.setFixedHeight(height)


class PackagesPage(QWidget):
    pathsDropped = Signal(list)
    indexChosen = Signal(str)
    publishRequested = Signal(str)
    publishConfirmed = Signal()
    pauseRequested = Signal()
    resumeRequested = Signal()
    cancelRequested = Signal()
    offerResumed = Signal(str)
    offerCancelled = Signal(str)
    versionChosen = Signal(int)
    diffRequested = Signal(int, int)
    searchRequested = Signal(str)
    tagRequested = Signal(int, str)
    exportRequested = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("packagesPage")
        outer = QVBoxLayout(self)
        self.target_label = named(QLabel("Select an application on the left."), "packagesTarget")
        outer.addWidget(self.target_label)
        self.publish = PublishPanel()
        self.browser = PackageBrowser()
        self.paused_offers = PausedOffers()
        splitter = named(QSplitter(Qt.Orientation.Vertical), "packagesSplitter")
        # The publish area scrolls and may collapse: in a small window the list keeps its rows. The
        # paused publishes sit above its scrolling part: their heading and buttons stay in sight.
        publish_area = named(QScrollArea(), "packagesPublishArea", "Publish a bundle")
        publish_area.setWidgetResizable(True)
        publish_area.setFrameShape(QFrame.Shape.NoFrame)
        publish_area.setWidget(self.publish)
        splitter.addWidget(PublishPane(self.paused_offers, publish_area))
        splitter.addWidget(self.browser)
        splitter.setCollapsible(0, True)
        splitter.setCollapsible(1, False)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        outer.addWidget(splitter)
        self.splitter = splitter
        self.publish_area = publish_area
        for source, target in (
            (self.publish.pathsDropped, self.pathsDropped),
            (self.publish.indexChosen, self.indexChosen),
            (self.publish.publishRequested, self.publishRequested),
            (self.publish.publishConfirmed, self.publishConfirmed),
            (self.publish.pauseRequested, self.pauseRequested),
            (self.publish.resumeRequested, self.resumeRequested),
            (self.publish.cancelRequested, self.cancelRequested),
            (self.paused_offers.resumeRequested, self.offerResumed),
            (self.paused_offers.cancelRequested, self.offerCancelled),
            (self.browser.versionChosen, self.versionChosen),
            (self.browser.diffRequested, self.diffRequested),
            (self.browser.searchRequested, self.searchRequested),
            (self.browser.tagRequested, self.tagRequested),
            (self.browser.exportRequested, self.exportRequested),
        ):
            source.connect(target)
        self._expose_widgets()

    def _expose_widgets(self) -> None:
        """The widgets of both halves, by the names the presenter and the tests use."""
        p, b = self.publish, self.browser
        self.drop_area, self.choose_folder, self.choose_zip = p.drop_area, p.choose_folder, p.choose_zip
        self.preflight_model, self.preflight_table = p.preflight_model, p.preflight_table
        self.preflight_summary, self.index_picker, self.tag_edit = (
            p.preflight_summary,
            p.index_picker,
            p.tag_edit,
        )
        self.publish_button, self.confirm_panel, self.confirm_label = (
            p.publish_button,
            p.confirm_panel,
            p.confirm_label,
        )
        self.confirm_button, self.back_button, self.progress = p.confirm_button, p.back_button, p.progress
        self.progress_label, self.current_files = p.progress_label, p.current_files
        self.publish_target = p.publish_target
        self.pause_button, self.cancel_button = p.pause_button, p.cancel_button
        self.browse_tabs, self.search, self.list_model, self.list_filter = (
            b,
            b.search,
            b.list_model,
            b.list_filter,
        )
        self.list_table, self.list_status, self.detail_label = b.list_table, b.list_status, b.detail_label
        self.files_model, self.files_table, self.copy_button = b.files_model, b.files_table, b.copy_button
        self.detail_tag_edit, self.tag_button, self.export_button = (
            b.detail_tag_edit,
            b.tag_button,
            b.export_button,
        )
        self.diff_from, self.diff_to, self.diff_button, self.diff_text = (
            b.diff_from,
            b.diff_to,
            b.diff_button,
            b.diff_text,
        )

    @property
    def shown_version(self) -> int:
        return self.browser.shown_version

    # -- what the presenter calls ---------------------------------------------------------------------
    def set_target(self, text: str, enabled: bool) -> None:
        self.target_label.setText(text)
        self.publish.target_enabled = enabled
        self._update()

    def set_permission(self, allowed: bool, reason: str = "") -> None:
        """Whether the signed-in person may publish here; `reason` says why not (tooltip)."""
        self.publish.allowed, self.publish.denied_reason = allowed, reason
        self._update()

    def show_detail(self, version: int, text: str, files: list[object]) -> None:
        self.browser.show_detail(version, text, files)
        self._update()

    def show_preflight(self, summary: str | None, rows: list[object] | None = None, index: str = "") -> None:
        self.publish.show_preflight(summary, rows, index)

    def set_index_choices(self, likely: list[str], files: list[str], current: str) -> None:
        self.publish.set_index_choices(likely, files, current)

    def ask_confirmation(self, text: str) -> None:
        self.publish.ask_confirmation(text)

    def set_publishing(self, running: bool) -> None:
        self.publish.set_publishing(running)

    def show_progress(self, phase: str, done: int, total: int, speed: float, left: float | None,
                      files: str, current: str) -> None:  # fmt: skip
        self.publish.show_progress(phase, done, total, speed, left, files, current)

    def show_sources(self, paths: list[str]) -> None:
        self.publish.show_sources(paths)

    def set_publish_target(self, text: str) -> None:
        self.publish.set_publish_target(text)

    def show_undo(self, text: str, done: int, total: int) -> None:
        self.publish.show_undo(text, done, total)

    def finish_progress(self, text: str) -> None:
        self.publish.finish_progress(text)

    def clear_progress(self) -> None:
        self.publish.clear_progress()

    def show_offers(self, offers: list[Offer]) -> None:
        """The person's paused publishes (none: the panel goes). They wait: a new bundle may be dropped
        and published meanwhile."""
        self.paused_offers.show_offers(offers)

    def hold_new_publish(self, held: bool) -> None:
        """A paused publish is being undone (True): no new publish starts until that is done."""
        self.publish.held = held
        self.publish.set_publishing(self.publish.running)
        self._update()

    @staticmethod
    def local_urls(paths: list[str]) -> list[QUrl]:
        return [QUrl.fromLocalFile(p) for p in paths]

    def _update(self) -> None:
        p = self.publish
        p.update_enabled()
        self.browser.update_tagging(p.allowed, p.target_enabled, p.denied_reason)
