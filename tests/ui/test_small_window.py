"""Issue 16.9: the layout holds at small sizes, measured with real widget geometry (offscreen).

The window has a minimum size and really takes 900x600; the package list shows at least 3 rows there
and at the minimum size; the drop zone and the file table never overlap; the publish area scrolls and
collapses instead of pushing the list away."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from hyperota_desktop.ui.views.main_window import MIN_HEIGHT, MIN_WIDTH, MainWindow
from hyperota_desktop.ui.views.org_pages import OrgToolbar
from hyperota_desktop.ui.views.packages_page import PackagesPage


@pytest.mark.parametrize("size", [(900, 600), (MIN_WIDTH, MIN_HEIGHT), (640, 480)])
def test_the_package_list_keeps_three_rows_and_nothing_overlaps(qtbot: Any, size: tuple[int, int]) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    page = PackagesPage()
    window.set_page("packages", page)
    toolbar = OrgToolbar(window)
    window.addToolBarBreak()
    window.addToolBar(toolbar)
    window.resize(*size)
    window.show()
    QApplication.processEvents()
    expected = (max(size[0], MIN_WIDTH), max(size[1], MIN_HEIGHT))  # never below the minimum
    assert window.size().toTuple() == expected
    rows = page.list_table.viewport().height() / page.list_table.verticalHeader().defaultSectionSize()
    assert rows >= 3, rows
    drop, files = page.drop_area.geometry(), page.preflight_table.geometry()
    assert not drop.intersects(files), (drop, files)
    assert files.height() > 0
    for action in toolbar.actions():
        widget = toolbar.widgetForAction(action)
        assert widget is not None and widget.isVisible(), action.text()
    before = page.list_table.viewport().height()
    sizes = page.splitter.sizes()
    page.splitter.setSizes([0, sum(sizes)])  # the publish area collapses when the person drags it away
    QApplication.processEvents()
    assert page.splitter.sizes()[0] == 0 and page.list_table.viewport().height() > before
