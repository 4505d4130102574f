"""Qt item models of the Packages page: the package list (lazy paging), the pre-flight and file tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from hyperota_desktop.domain.packages import PackageFile, PackageSummary
from hyperota_desktop.domain.units import human_size
from hyperota_desktop.ui.models.table import PagedRowTable, RowTable
from hyperota_desktop.ui.widgets.local_time import local_time

Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole


class PackageListModel(PagedRowTable):
    """Newest first, a page at a time (`PagedRowTable`: the presenter answers `moreRequested`)."""

    HEADERS = ("Version", "Tags", "Index", "Files", "Size", "Created", "By")

    def cell(self, row: PackageSummary, column: int) -> str:
        values = (str(row.version), ", ".join(row.tags), row.index, str(row.file_count),
                  human_size(row.total_size), local_time(row.created_at), row.created_by)  # fmt: skip
        return values[column]


class PackageFilter(QSortFilterProxyModel):
    """Search over version, tags, index, author and date."""

    def __init__(self) -> None:
        super().__init__()
        self._text = ""

    def set_text(self, text: str) -> None:
        self._text = text
        self.setFilterFixedString(text)  # re-filters; the match itself is PackageSummary.matches

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, PackageListModel)
        return bool(model.rows[source_row].matches(self._text))


class PreflightModel(RowTable):
    """The files of the dropped bundle; while they are published, each file's state (`set_status`):
    "sending 40 %", "sent"; content S3 already holds stays "already stored"."""

    HEADERS = ("File", "Size", "SHA-256", "Status")
    STATUS_COLUMN = 3

    def __init__(self) -> None:
        super().__init__()
        self._status: dict[str, str] = {}
        self._row_of: dict[str, int] = {}

    def set_rows(self, rows: Sequence[Any]) -> None:
        self._status = {}
        self._row_of = {str(getattr(r, "path", r)): i for i, r in enumerate(rows)}
        super().set_rows(rows)

    def set_status(self, path: str, text: str) -> None:
        self.set_statuses({path: text})

    def set_statuses(self, changes: Mapping[str, str]) -> None:
        """Each file's new state, told to the view as a change of that one status cell: the view then
        repaints only the cells of it in sight (a file out of sight costs no paint). One change over a
        span of rows repainted the whole table, each cell through Python (`data()`, once per role), one
        GIL hand-off each, while the publish's worker threads want the GIL: the GUI's stalls (P3).
        The view must not size its columns from their contents (`ResizeToContents`): it would measure
        every row in sight again at each cell's change."""
        for path, text in changes.items():
            row = self._row_of.get(path)
            if row is not None and self._status.get(path) != text:
                self._status[path] = text
                cell = self.index(row, self.STATUS_COLUMN)
                self.dataChanged.emit(cell, cell, [_DISPLAY])

    def status_of(self, path: str) -> str:
        row = self._row_of.get(path)
        return "" if row is None else self.cell(self.rows[row], self.STATUS_COLUMN)

    def cell(self, row: Any, column: int) -> str:
        if column == self.STATUS_COLUMN:
            status = self._status.get(row.path) or ("already stored" if row.stored else "new")
            return f"index, {status}" if row.is_index else status
        return (row.path, human_size(row.size), row.sha256[:16] + "…")[column]


class FilesModel(RowTable):
    HEADERS = ("File", "Size", "SHA-256", "URL")

    def cell(self, row: PackageFile, column: int) -> str:
        return (row.file_path, human_size(row.size), row.checksum, row.url)[column]
