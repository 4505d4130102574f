"""The Archives page's table models on the shared `RowTable`: what each cell, tooltip, colour and
accessible text says, and that a secret's value never leaves its masked cell."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from hyperota_desktop.domain.archive_report import Check, Status
from hyperota_desktop.ui.models.archives import MASK, ReportModel, SecretRow, SecretsModel
from hyperota_desktop.ui.models.table import ROW_ROLE

Role = Qt.ItemDataRole
CHECKS = [
    Check("manifest", Status.PASSED, "12 files listed"),
    Check("signature", Status.FAILED, "signed by an unknown key"),
]


def test_report_rows_say_each_check_with_its_colour(qtbot: QtBot) -> None:
    model = ReportModel()
    model.set_rows(CHECKS)
    assert (model.rowCount(), model.columnCount()) == (2, 3)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)]
    assert headers == ["Part", "Result", "Detail"]
    assert model.headerData(0, Qt.Orientation.Vertical) is None
    assert [model.index(1, c).data() for c in range(3)] == [
        "signature",
        "✘ failed",
        "signed by an unknown key",
    ]
    failed = model.index(1, 0)
    assert failed.data(Role.ToolTipRole) == "signed by an unknown key"  # the detail on every column
    assert failed.data(Role.BackgroundRole).name() == "#f8d3d1"
    assert failed.data(Role.ForegroundRole).name() == "#8f1a12"
    assert failed.data(Role.AccessibleTextRole) == "signature: failed — signed by an unknown key"
    assert failed.data(ROW_ROLE) is CHECKS[1]
    model.set_rows([])
    assert model.rowCount() == 0


def test_secret_values_stay_masked_and_only_the_tick_column_is_checkable(qtbot: QtBot) -> None:
    model = SecretsModel()
    model.set_rows(
        [SecretRow("DB_PASSWORD", "hunter2", encrypt=True), SecretRow("EMPTY", "")], checkable=True
    )
    assert (model.rowCount(), model.columnCount()) == (2, 4)
    first = [model.index(0, c) for c in range(4)]
    assert [i.data() for i in first] == [None, "DB_PASSWORD", MASK, ""]
    assert model.index(1, 2).data() == ""  # nothing to mask
    assert first[0].data(Role.CheckStateRole) == Qt.CheckState.Checked
    assert all(i.data(Role.ToolTipRole) is None for i in first)  # never the value in a tooltip
    assert first[2].data(Role.AccessibleTextRole) == MASK
    assert model.setData(model.index(1, 0), Qt.CheckState.Checked.value, Role.CheckStateRole)
    assert model.chosen() == ["DB_PASSWORD", "EMPTY"]
    model.set_show_values(True)
    assert model.index(0, 2).data() == "hunter2"

    model.set_rows([SecretRow("DB_PASSWORD", "hunter2", status="decrypts")], checkable=False)
    assert model.index(0, 0).data(Role.CheckStateRole) is None
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsUserCheckable
    assert model.index(0, 3).data() == "decrypts"
