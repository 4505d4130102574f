"""Issue 16.10: the Diff tab opens on the latest package against the one before it, offers only versions
that exist, and colours what changed (added, removed, changed) with inks that read on light and dark."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QPlainTextEdit

from hyperota_desktop.domain.packages import PackageSummary
from hyperota_desktop.ui.views.package_browser import PackageBrowser
from hyperota_desktop.ui.views.package_diff import PackageDiff


def _rows(*versions: int) -> list[PackageSummary]:
    return [
        PackageSummary(v, (), "index.android.bundle", 1, 10, "2026-11-30T10:00:00Z", "dave") for v in versions
    ]


def test_the_diff_offers_the_versions_that_exist_latest_against_previous(qtbot: Any) -> None:
    browser = PackageBrowser()
    qtbot.addWidget(browser)
    assert not browser.diff_button.isEnabled()  # nothing to compare yet
    browser.list_model.reset(_rows(7, 4, 2), 3)  # 3, 5 and 6 were never published
    assert browser.diff_to.versions() == [7, 4, 2] and browser.diff_from.versions() == [7, 4, 2]
    assert (browser.diff_from.value(), browser.diff_to.value()) == (4, 7)
    browser.diff_from.setValue(3)  # no such version: the choice stays
    assert browser.diff_from.value() == 4
    requested: list[tuple[int, int]] = []
    browser.diffRequested.connect(lambda a, b: requested.append((a, b)))
    browser.diff_button.click()
    assert requested == [(4, 7)]
    browser.list_model.append(_rows(1), 4)  # an older page loads: offered, the choice kept
    assert browser.diff_from.versions() == [7, 4, 2, 1] and browser.diff_to.value() == 7
    browser.list_model.reset(_rows(8, 7, 4, 2, 1), 5)  # a new package: still latest vs previous
    assert (browser.diff_from.value(), browser.diff_to.value()) == (7, 8)
    browser.diff.choose(4)  # a package's detail: it against the one before it
    assert (browser.diff_from.value(), browser.diff_to.value()) == (2, 4)


def _colours(text: QPlainTextEdit) -> dict[str, QColor]:
    colours = {}
    block = text.document().begin()
    while block.isValid():
        fragment = block.begin().fragment()
        colours[block.text()[:1]] = fragment.charFormat().foreground().color()
        block = block.next()
    return colours


def _shown(qtbot: Any, window: str) -> dict[str, QColor]:
    diff = PackageDiff()
    qtbot.addWidget(diff)
    palette = diff.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(window))
    diff.setPalette(palette)
    diff.show_diff(
        [("info", "1 → 2"), ("added", "+ a.png"), ("removed", "- b.png"), ("changed", "~ index.bundle")]
    )
    assert diff.diff_text.toPlainText().splitlines() == ["1 → 2", "+ a.png", "- b.png", "~ index.bundle"]
    return _colours(diff.diff_text)


def test_the_diff_colours_what_changed_for_light_and_dark(qtbot: Any) -> None:
    light, dark = _shown(qtbot, "#f6f6f6"), _shown(qtbot, "#202020")
    for colours in (light, dark):
        assert len({colours[k].name() for k in "+-~"}) == 3  # added, removed, changed: each its own
        assert colours["+"].greenF() > colours["+"].redF() and colours["-"].redF() > colours["-"].greenF()
    for kind in "+-~":
        assert dark[kind].lightnessF() > 0.5 > light[kind].lightnessF()  # readable on each background
