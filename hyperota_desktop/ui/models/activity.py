"""Tree model of the saga journal: one row per operation, its steps as children."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtGui import QStandardItem, QStandardItemModel

COLUMNS = ("When", "Operation", "Status", "By", "What happened")


@dataclass(frozen=True)
class StepRow:
    name: str
    status: str
    error: str = ""


@dataclass(frozen=True)
class ActivityRow:
    id: str
    when: float
    title: str
    actor: str
    status: str
    error: str  # what came of it: the error, or what it produced (version, tag, …)
    steps: tuple[StepRow, ...] = ()


def _item(text: str, tooltip: str = "") -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    if tooltip:
        item.setToolTip(tooltip)
    return item


class ActivityModel(QStandardItemModel):
    def __init__(self) -> None:
        super().__init__()
        self.setHorizontalHeaderLabels(list(COLUMNS))

    def set_rows(self, rows: list[ActivityRow]) -> None:
        self.removeRows(0, self.rowCount())
        for row in rows:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row.when))
            items = [
                _item(when),
                _item(row.title, f"by {row.actor}"),
                _item(row.status.replace("_", " ")),
                _item(row.actor),
                _item(row.error, row.error),
            ]
            for number, step in enumerate(row.steps, start=1):
                items[0].appendRow(
                    [
                        _item(""),
                        _item(f"{number}. {step.name}"),
                        _item(step.status.replace("_", " ")),
                        _item(""),
                        _item(step.error, step.error),
                    ]
                )
            self.appendRow(items)
