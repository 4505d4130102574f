"""Qt item models of the Releases page: the releases table (lazy: rows arrive a page at a time as the view
scrolls), a release's history, the configuration changes and a device's files.

The releases table never holds more than the rows scrolled to: `canFetchMore`/`fetchMore` ask for the
next page (`moreRequested(offset)`), which the presenter answers from the service's in-memory index at
once (no I/O), so 10,000 releases cost what a screen of them costs. Status cells carry a tone for the
app's one badge delegate (`ui/widgets/badge.py`).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from hyperota_desktop.domain.release_drafts import DeviceFile, ValueChange
from hyperota_desktop.domain.releases import ReleaseStatus, ReleaseSummary
from hyperota_desktop.domain.rollout import RolloutEvent
from hyperota_desktop.domain.units import human_size
from hyperota_desktop.ui.models.table import PagedRowTable, RowTable
from hyperota_desktop.ui.widgets.badge import BADGE_TONE_ROLE, RELEASE_TONES
from hyperota_desktop.ui.widgets.local_time import local_time

Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole


def tone_of(status: ReleaseStatus, reverted: bool = False) -> str:
    """The badge tone of a release's status (`ui/widgets/badge.py`); a reverted conclusion is a danger."""
    if status is ReleaseStatus.CONCLUDED and reverted:
        return "danger"
    return RELEASE_TONES.get(status.value, "neutral")


class ReleaseTableModel(PagedRowTable):
    """Newest first; `total` rows match the filters, `rows` are those loaded so far (`PagedRowTable`)."""

    HEADERS = ("ID", "Target", "Package", "Status", "Traffic", "Created", "By", "Notes")
    STATUS_COLUMN = 3

    def row_of(self, release_id: str) -> int:
        return next((i for i, r in enumerate(self.rows) if r.id == release_id), -1)

    def cell(self, row: ReleaseSummary, column: int) -> str:
        if column == 0:
            return row.id
        if column == 1:
            return row.target.short()
        if column == 2:
            before = f" (from {row.previous_version})" if row.previous_version else ""
            return f"{row.package_version}{before}" if row.package_version is not None else ""
        if column == 3:
            return row.status_text
        if column == 4:
            return f"{row.devices_percent}%"
        if column == 5:
            return local_time(row.created_at)
        if column == 6:
            return row.created_by
        return row.notes.splitlines()[0][:120] if row.notes else ""

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if index.isValid() and role == BADGE_TONE_ROLE and index.column() == self.STATUS_COLUMN:
            row = self.rows[index.row()]
            return tone_of(row.status, row.reverted)
        if index.isValid() and role == Qt.ItemDataRole.ToolTipRole and index.column() == 7:
            return self.rows[index.row()].notes
        return super().data(index, role)


class EventsModel(RowTable):
    """A release's history, oldest first: who did what, when and why."""

    HEADERS = ("When", "Who", "What", "Why", "Devices")

    def cell(self, row: RolloutEvent, column: int) -> str:
        source = "" if row.source == "audit" else " (from the release's own stamps)"
        values = (local_time(row.at), row.who, row.what + source, row.why, f"{row.percent}%")
        return values[column]


class ChangesModel(RowTable):
    """Release-config keys whose value differs: what the target gets today → in the release."""

    HEADERS = ("Key", "Today", "In the release")

    def cell(self, row: ValueChange, column: int) -> str:
        if column == 0:
            return row.key
        value = row.before if column == 1 else row.after
        return _short(value)


def _short(value: Any) -> str:
    if isinstance(value, list) and value and all(isinstance(v, dict) and "file_path" in v for v in value):
        return f"{len(value)} file(s): " + ", ".join(str(v["file_path"]) for v in value[:4])
    if isinstance(value, dict) and "file_path" in value:
        return str(value["file_path"])
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "…"


class DeviceFilesModel(RowTable):
    """The files a device downloads, in order."""

    HEADERS = ("When", "Size", "File", "SHA-256")

    def cell(self, row: DeviceFile, column: int) -> str:
        return (row.when, human_size(row.size), row.file_path, row.checksum[:16] + "…")[column]
