"""The paused publishes on the Packages page at the window's minimum size (real widget geometry,
offscreen): the heading and the Resume / Cancel publish buttons are in sight together, the list keeps
its rows. Earlier, the offer sat inside the publish area's scrolling part: scrolling it into view
pushed its heading off the top."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QWidget

from hyperota_desktop.ui.views.main_window import MIN_HEIGHT, MIN_WIDTH, MainWindow
from hyperota_desktop.ui.views.org_pages import OrgToolbar
from hyperota_desktop.ui.views.packages_page import Offer, PackagesPage

DETAIL = (
    "Started 30 Nov 2026, 22:10; paused at quit, 45 % sent: it stopped while sending the files "
    "(12 file(s) already sent)."
)


def offers(count: int) -> list[Offer]:
    return [Offer(f"id{n}", f"Publish to guiorg/app: bundle-{n} (tag beta)", DETAIL) for n in range(count)]


def window_at_minimum(qtbot: Any) -> tuple[MainWindow, PackagesPage]:
    window = MainWindow()
    qtbot.addWidget(window)
    page = PackagesPage()
    window.set_page("packages", page)
    window.addToolBarBreak()
    window.addToolBar(OrgToolbar(window))
    window.resize(MIN_WIDTH, MIN_HEIGHT)
    window.show()
    QApplication.processEvents()
    assert window.size().toTuple() == (MIN_WIDTH, MIN_HEIGHT)
    return window, page


def in_sight(widget: QWidget, viewport: QWidget) -> bool:
    """The whole widget is inside `viewport` (mapped to it) and nothing of it is clipped."""
    top_left = widget.mapTo(viewport, widget.rect().topLeft())
    inside = viewport.rect().contains(QRect(top_left, widget.size()))
    return inside and widget.isVisible() and widget.visibleRegion().boundingRect() == widget.rect()


@pytest.mark.parametrize("count", [1, 2, 3])
def test_the_heading_and_the_buttons_are_in_sight_together_at_the_minimum_size(
    qtbot: Any, count: int
) -> None:
    window, page = window_at_minimum(qtbot)
    page.set_target("guiorg/app", True)
    assert page.drop_area.isEnabled()
    page.show_offers(offers(count))
    QApplication.processEvents()
    panel = page.paused_offers
    central = window.centralWidget()
    assert in_sight(panel.heading, central), panel.heading.geometry()
    viewport = panel.rows_area.viewport()
    for row in panel.rows[:2]:  # two rows in sight; more scroll under the heading
        for button in (row.resume_button, row.cancel_button):
            assert in_sight(button, viewport), (row.offer.title, button.text())
            assert in_sight(button, central), (row.offer.title, button.text())
    assert "paused publish" in panel.heading.text()
    last = panel.rows[-1]
    panel.rows_area.ensureWidgetVisible(last)  # what keyboard focus on its button does
    QApplication.processEvents()
    assert in_sight(panel.heading, central)
    assert in_sight(last.resume_button, viewport) and in_sight(last.cancel_button, viewport)
    rows = page.list_table.viewport().height() / page.list_table.verticalHeader().defaultSectionSize()
    assert rows >= 3, rows  # the package list keeps its rows
    assert page.drop_area.isEnabled()  # they wait: a new bundle may be dropped meanwhile


def test_the_undo_progress_keeps_the_row_in_sight(qtbot: Any) -> None:
    """A row whose undo shows progress grows (a bar, its amounts): still whole, heading still shown."""
    window, page = window_at_minimum(qtbot)
    page.show_offers(offers(3))
    panel = page.paused_offers
    panel.show_undo_progress("id2", "Cancelling: deleted 1 of 4 file(s) (1.0 MiB of 9.0 MiB)…", 1, 4)
    QApplication.processEvents()
    row = panel.rows[2]
    assert row.progress.isVisible() and (row.progress.value(), row.progress.maximum()) == (1, 4)
    assert in_sight(row.progress, panel.rows_area.viewport()), row.geometry()
    assert in_sight(panel.heading, window.centralWidget())


def test_no_offer_takes_no_room(qtbot: Any) -> None:
    _window, page = window_at_minimum(qtbot)
    page.set_target("guiorg/app", True)
    page.show_offers(offers(2))
    page.show_offers([])
    QApplication.processEvents()
    assert not page.paused_offers.isVisible() and page.drop_area.isEnabled()
    assert page.publish_area.geometry().top() == 0
