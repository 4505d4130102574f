"""How far the undo of a publish got (`PublishUndone`), reported to the run's runtime as it goes: the
person who cancels a paused publish sees the files and bytes removed of the total, like a publish shows
what it sent."""

from __future__ import annotations

from dataclasses import dataclass

DELETE_BATCH = 100  # keys per DeleteObjects request (S3 takes up to 1,000): the count moves as it goes


@dataclass(frozen=True)
class PublishUndone:
    """Files deleted and unfinished uploads aborted so far, of the totals this undo found.

    `bytes_total` is 0 for a run journalled before sizes were (then only files are counted); `kept`
    counts files this run sent that a package written since names (content is shared: kept)."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    uploads_done: int
    uploads_total: int
    kept: int = 0

    @property
    def finished(self) -> bool:
        return self.files_done >= self.files_total and self.uploads_done >= self.uploads_total
