"""Tree model of the saga journal: one row per operation, its steps as children."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QStandardItem, QStandardItemModel

from hyperota_desktop.ui.widgets.badge import BADGE_TONE_ROLE
from hyperota_desktop.ui.widgets.local_time import local_time

COLUMNS = ("When", "Operation", "Status", "By", "What happened")
STATUS_COLUMN = 2
# Journal statuses (stores/journal.py) of operations and steps, by what they mean to a person.
STATUS_TONES = {
    "done": "success",
    "running": "info",
    "compensating": "info",
    "rolled_back": "warning",
    "compensated": "warning",
    "skipped": "neutral",
    "failed": "danger",
    "stuck": "danger",
    "compensation_failed": "danger",
}


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


def _status(status: str) -> QStandardItem:
    item = _item(status.replace("_", " "))
    item.setData(STATUS_TONES.get(status, "neutral"), BADGE_TONE_ROLE)
    return item


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
            items = [
                _item(local_time(row.when)),
                _item(row.title, f"by {row.actor}"),
                _status(row.status),
                _item(row.actor),
                _item(row.error, row.error),
            ]
            for number, step in enumerate(row.steps, start=1):
                items[0].appendRow(
                    [
                        _item(""),
                        _item(f"{number}. {step.name}"),
                        _status(step.status),
                        _item(""),
                        _item(step.error, step.error),
                    ]
                )
            self.appendRow(items)
