"""The pre-flight table during a publish: a file's new state repaints only its own status cell, and
only when it is in sight; the columns are sized once per bundle, never from the contents at each
change (each cell Qt paints or measures is a call into Python that takes the GIL again: P3)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from PySide6.QtWidgets import QHeaderView

from hyperota_desktop.services.packages import PreflightRow
from hyperota_desktop.ui.models.packages import PreflightModel
from hyperota_desktop.ui.views.publish_panel import MAX_COLUMN_WIDTH, PublishPanel

LONG = "assets/" + "long-folder-name/" * 3 + "icon.png"


def _rows(count: int) -> list[PreflightRow]:
    rows = [PreflightRow(f"assets/a{i:04d}.png", 51200, f"{i:064x}", False, False) for i in range(count)]
    rows[count // 2] = PreflightRow(LONG, 3 * 1024 * 1024, "f" * 64, True, False)  # out of sight
    return [PreflightRow("index.android.bundle", 900, "e" * 64, False, True), *rows]


def _shown(qtbot: Any, rows: list[PreflightRow]) -> PublishPanel:
    panel = PublishPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_preflight("checked", rows, "index.android.bundle")
    qtbot.wait(20)  # painted
    return panel


def _until_quiet(qtbot: Any, asked: Counter[tuple[int, int]]) -> None:
    """Wait until the view asks the model for nothing during 100 ms, then forget what it asked."""
    for _ in range(50):
        asked.clear()
        qtbot.wait(100)
        if not asked:
            return
    raise AssertionError("the view never stopped asking the model for cells")


def test_columns_fit_the_longest_path_even_out_of_sight_and_never_resize_from_the_contents(
    qtbot: Any,
) -> None:
    panel = _shown(qtbot, _rows(2000))
    table, header = panel.preflight_table, panel.preflight_table.horizontalHeader()
    modes = {header.sectionResizeMode(c) for c in range(header.count())}
    assert QHeaderView.ResizeMode.ResizeToContents not in modes
    assert header.sectionSize(0) >= table.fontMetrics().horizontalAdvance(LONG)
    assert header.sectionSize(2) >= table.fontMetrics().horizontalAdvance("f" * 16 + "…")
    panel.show_preflight("checked", [PreflightRow("a" * 400 + ".js", 1, "d" * 64, False, True)], "")
    assert header.sectionSize(0) == MAX_COLUMN_WIDTH  # the other columns stay in sight


def test_a_state_change_out_of_sight_asks_the_model_for_no_cell(qtbot: Any, monkeypatch: Any) -> None:
    asked: Counter[tuple[int, int]] = Counter()  # (row, column) of each cell the view asked for
    data = PreflightModel.data

    def counted(self: PreflightModel, index: Any, role: int = 0) -> Any:
        asked[(index.row(), index.column())] += 1
        return data(self, index, role)

    monkeypatch.setattr(PreflightModel, "data", counted)  # before the view first asks (PySide caches)
    rows = _rows(2000)
    panel = _shown(qtbot, rows)
    assert asked  # the view did ask while it painted the rows in sight
    _until_quiet(qtbot, asked)  # the first paints are done (a loaded machine delays them)
    panel.preflight_model.set_statuses({r.path: "sent" for r in rows[1500:1564]})
    qtbot.wait(50)
    assert not asked  # nothing in sight changed: nothing painted, nothing measured
    panel.preflight_model.set_statuses({rows[1].path: "sending", rows[1500].path: "sending"})
    qtbot.waitUntil(lambda: bool(asked))
    qtbot.wait(20)
    assert set(asked) == {(1, PreflightModel.STATUS_COLUMN)}  # only that cell was repainted
    assert panel.preflight_model.status_of(rows[1500].path) == "sending"
