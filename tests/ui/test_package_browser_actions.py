"""Issue 16.10: Copy URL confirms what it copied (and says what to do when nothing is selected);
double-click on a package opens its Detail."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import QPoint, Qt
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


def _browser_with_rows(qtbot: Any) -> PackageBrowser:
    browser = PackageBrowser()
    qtbot.addWidget(browser)
    browser.show()
    rows = [
        PackageSummary(v, (), "index.android.bundle", 3, 1024, f"2026-11-30T1{v}:00:00Z", "dave")
        for v in (3, 2)
    ]
    browser.list_model.reset(rows, 2)
    return browser


def test_a_package_rows_context_menu_holds_its_actions(qtbot: Any) -> None:
    browser = _browser_with_rows(qtbot)
    browser.update_tagging(allowed=False, target_enabled=True, reason="Only a publisher may tag.")
    chosen: list[int] = []
    exported: list[int] = []
    diffs: list[tuple[int, int]] = []
    browser.versionChosen.connect(chosen.append)
    browser.exportRequested.connect(exported.append)
    browser.diffRequested.connect(lambda a, b: diffs.append((a, b)))
    assert browser.row_menu(QPoint(-5, -5)) is None  # no row there: no menu
    pos = browser.list_table.visualRect(browser.list_filter.index(0, 0)).center()
    menu = browser.row_menu(pos)
    assert menu is not None and menu.objectName() == "packagesListMenu" and menu.accessibleName()
    actions = {a.objectName(): a for a in menu.actions() if not a.isSeparator()}
    assert set(actions) == {
        "packageDetailAction",
        "packageDiffAction",
        "packageTagAction",
        "packageExportAction",
    }
    assert chosen == [3]  # the row under the pointer was selected
    # the same actions as the buttons: the tag is denied in the menu as on the button, with the reason
    assert actions["packageTagAction"] is browser.tag_action and not browser.tag_action.isEnabled()
    assert not browser.tag_button.isEnabled() and "publisher" in browser.tag_button.toolTip()
    assert browser.export_action.isEnabled() and browser.export_button.isEnabled()
    actions["packageExportAction"].trigger()
    assert exported == [3]
    actions["packageDiffAction"].trigger()
    assert diffs == [(2, 3)] and browser.currentWidget() is browser.diff_text.parentWidget()
    actions["packageDetailAction"].trigger()
    assert browser.currentIndex() == browser.DETAIL_TAB
    # the oldest package has nothing before it to compare with
    browser.row_menu(browser.list_table.visualRect(browser.list_filter.index(1, 0)).center())
    assert chosen == [3, 2] and not browser.diff_action.isEnabled()


def test_a_file_rows_context_menu_copies_its_url(qtbot: Any) -> None:
    browser = PackageBrowser()
    qtbot.addWidget(browser)
    browser.show()
    browser.setCurrentIndex(browser.DETAIL_TAB)
    url = "https://cdn.example.com/acme/shop/files/cd/cdef"
    browser.files_model.set_rows([SimpleNamespace(file_path="a.png", size=3, checksum="cdef", url=url)])
    menu = browser.file_menu(browser.files_table.visualRect(browser.files_model.index(0, 0)).center())
    assert menu is not None and menu.objectName() == "packagesFilesMenu"
    assert menu.actions() == [browser.copy_url_action]
    browser.copy_url_action.trigger()
    assert QGuiApplication.clipboard().text() == url and browser.copy_button.text() == "Copied ✓"
