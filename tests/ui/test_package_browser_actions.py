"""Issue 16.10: Copy URL confirms what it copied (and says what to do when nothing is selected);
double-click on a package opens its Detail."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from hyperota_desktop.domain.packages import PackageSummary
from hyperota_desktop.ui.views.package_browser import PackageBrowser


def test_copy_url_confirms_what_it_copied(qtbot: Any) -> None:
    browser = PackageBrowser()
    qtbot.addWidget(browser)
    browser.COPIED_MS = 50
    url = "https://cdn.example.com/acme/shop/files/ab/abcdef"
    browser.files_model.set_rows(
        [SimpleNamespace(file_path="index.android.bundle", size=3, checksum="abcdef", url=url)]
    )
    browser.copy_button.click()  # nothing selected yet
    assert browser.copy_button.text() == "Copy URL" and "Select a file" in browser.copy_button.toolTip()
    browser.files_table.selectRow(0)
    browser.copy_button.click()
    assert QGuiApplication.clipboard().text() == url
    assert browser.copy_button.text() == "Copied ✓" and url in browser.copy_button.toolTip()
    qtbot.waitUntil(lambda: browser.copy_button.text() == "Copy URL", timeout=2000)


def test_double_click_on_a_package_opens_its_detail(qtbot: Any) -> None:
    browser = PackageBrowser()
    qtbot.addWidget(browser)
    browser.show()
    chosen: list[int] = []
    browser.versionChosen.connect(chosen.append)
    row = PackageSummary(2, ("beta",), "index.android.bundle", 3, 1024, "2026-11-30T10:00:00Z", "dave")
    browser.list_model.reset([row], 1)
    assert browser.currentIndex() == 0  # the List tab
    index = browser.list_filter.index(0, 0)
    rect = browser.list_table.visualRect(index)
    QTest.mouseClick(browser.list_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QTest.mouseDClick(browser.list_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert browser.currentIndex() == browser.DETAIL_TAB and chosen == [2]
