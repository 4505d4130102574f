"""Remembered layout and place: geometry, splitters, page, organisation/application, restored at the next
start; stale or damaged values are tolerated."""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtWidgets import QSplitter

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import Gui, build_gui
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.ui.models.navigation import APP_ROLE, ORG_ROLE, NavEntry

ENTRIES = [NavEntry("acme", ("web",)), NavEntry("demo", ("news", "shop"))]


def _start(qtbot, home: Path) -> Gui:
    gui = build_gui(build_services(AppDirs.under(home)))
    qtbot.addWidget(gui.window)
    gui.window.show()
    qtbot.waitExposed(gui.window)
    return gui


def _splitter(gui: Gui) -> QSplitter:
    found = gui.window.findChild(QSplitter, "mainSplitter")
    assert found is not None
    return found


def _selected(gui: Gui) -> tuple[str, str]:
    index = gui.window.nav_tree.currentIndex()
    return (index.data(ORG_ROLE) or "", index.data(APP_ROLE) or "")


def test_layout_page_and_place_come_back_at_the_next_start(qtbot, tmp_path: Path) -> None:
    first = _start(qtbot, tmp_path)
    first.window.resize(first.window.minimumSizeHint().width(), 700)  # restore keeps it on the screen
    _splitter(first).setSizes([300, 460])
    first.window.pages.setCurrentIndex(3)
    first.window.nav_model.set_entries(ENTRIES)
    model = first.window.nav_model
    shop = model.index(1, 0, model.index(1, 0))
    first.window.nav_tree.setCurrentIndex(first.window.nav_filter.mapFromSource(shop))
    assert _selected(first) == ("demo", "shop")
    sizes = _splitter(first).sizes()
    first.window.closeRequested.emit()
    saved = (tmp_path / "config" / "window-state.ini").read_text(encoding="utf-8")
    assert "token" not in saved.lower() and "secret" not in saved.lower()

    second = _start(qtbot, tmp_path)
    assert second.window.size() == first.window.size()
    assert second.window.height() == 700
    assert _splitter(second).sizes() == sizes
    assert second.window.pages.currentIndex() == 3
    assert _selected(second) == ("", "")  # the tree is empty until the person is signed in
    with qtbot.waitSignal(second.window.selectionChanged) as selected:
        second.window.nav_model.set_entries(ENTRIES)  # organisations arrive after sign-in
    assert selected.args == ["demo", "shop"]
    assert _selected(second) == ("demo", "shop")


def test_a_vanished_organisation_or_damaged_file_is_tolerated(qtbot, tmp_path: Path) -> None:
    first = _start(qtbot, tmp_path)
    first.window.nav_model.set_entries(ENTRIES)
    first.window.nav_tree.setCurrentIndex(first.window.nav_filter.index(0, 0))
    first.window.closeRequested.emit()

    second = _start(qtbot, tmp_path)
    second.window.nav_model.set_entries([NavEntry("demo", ("shop",))])  # acme was deleted meanwhile
    qtbot.wait(20)
    assert _selected(second) == ("", "")
    second.window.closeRequested.emit()  # nothing selected, nothing left to restore: forgotten
    assert "acme" not in (tmp_path / "config" / "window-state.ini").read_text(encoding="utf-8")

    (tmp_path / "config" / "window-state.ini").write_text(
        "[General]\nversion=1\n[window]\ngeometry=garbage\n[place]\npage=99\norganisation=\n",
        encoding="utf-8",
    )
    third = _start(qtbot, tmp_path)  # starts as if nothing was remembered
    assert third.window.pages.currentIndex() == 0
    third.window.closeRequested.emit()


def test_rows_arriving_after_the_window_is_gone_reach_nothing(qtbot, tmp_path: Path) -> None:
    gui = _start(qtbot, tmp_path)
    model = gui.window.nav_model  # kept alive by Python after the window's C++ side is deleted
    assert gui.memory is not None
    shiboken6.delete(gui.memory)
    model.set_entries(ENTRIES)  # late work landing: no slot of the deleted memory may run
    qtbot.wait(10)
    assert model.rowCount() == len(ENTRIES)
