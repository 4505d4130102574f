"""Issue 16.10: Copy URL confirms what it copied (and says what to do when nothing is selected)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from PySide6.QtGui import QGuiApplication

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
