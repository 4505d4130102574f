"""Every release of one application as a summary row, kept current by cheap conditional polls.

The first load pages through the whole experiment list (trimmed to the key a row shows). Later polls ask
only for experiments changed since the newest change seen (`from_date`, minus a margin for transactions
that commit late) and send `If-Modified-Since`, so a poll when nothing changed is one request answered
304 with no body. Answers are decoded and turned into rows off the event loop.
Filtering, searching and paging then run in memory over the summaries (10,000 releases take a few ms;
see `benchmarks/bench_releases.py`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hyperota_desktop.domain.releases import (
    Release,
    ReleaseStatus,
    ReleaseSummary,
    release_from_experiment,
)
from hyperota_desktop.services.sp_workspace import WorkspaceApi

MARGIN = timedelta(seconds=5)
Progress = Callable[[int, int], None]
ROW_KEYS = "package.version"
_OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ReleasePage:
    """One page of the Releases table after filters: `total` rows match, `items` are this page's."""

    total: int
    offset: int
    items: tuple[ReleaseSummary, ...]
    counts: dict[ReleaseStatus, int] = field(default_factory=dict)  # by status, before filtering
    changed: bool = False  # the poll behind this page found changes

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "offset": self.offset,
            "releases": [r.to_dict() for r in self.items],
            "counts": {s.value: n for s, n in self.counts.items()},
        }


def _rows(items: list[dict[str, Any]]) -> list[ReleaseSummary]:
    return [ReleaseSummary.of(release_from_experiment(data)) for data in items]


def _newest_first(row: ReleaseSummary) -> tuple[datetime, int, str]:
    digits = int(row.id) if row.id.isdigit() else 0
    return (row.created_at or _OLDEST, digits, row.id)


class ReleaseIndex:
    def __init__(self) -> None:
        self._rows: dict[str, ReleaseSummary] = {}
        self._ordered: list[ReleaseSummary] | None = None
        self._validator = ""
        self._newest_change: datetime | None = None
        self._loaded = False
        self._lock = asyncio.Lock()
        self.polls = 0  # conditional polls sent (diagnostics)

    @property
    def loaded(self) -> bool:
        return self._loaded

    async def refresh(
        self, api: WorkspaceApi, *, force: bool = False, on_progress: Progress | None = None
    ) -> bool:
        """Ask the server what changed; True when rows changed. `force` ignores the 304 shortcut.
        `on_progress(rows loaded, rows in all)` is called after each page of a load: the first load
        comes newest-created first, so the table's first screen is right after the first page."""
        async with self._lock:
            # `prefix` (v0.102+; older servers ignore it) trims each variant to the one key a row shows
            # instead of every file list: 10,000 releases are then a few megabytes, not hundreds.
            params: dict[str, Any] = {"sort_by": "desc", "prefix": ROW_KEYS}
            if self._loaded and self._newest_change is not None:
                since = self._newest_change - MARGIN
                stamp = since.astimezone(UTC).isoformat().replace("+00:00", "Z")
                params.update(sort_on="last_modified_at", from_date=stamp)
            else:
                params["sort_on"] = "created_at"
            validator = "" if force or not self._loaded else self._validator
            changed = not self._loaded
            loaded = 0

            async def on_page(items: list[dict[str, Any]], total: int) -> None:
                nonlocal changed, loaded
                for row in await asyncio.to_thread(_rows, items):  # 10,000 rows: ~0.7 s of parsing
                    changed |= self._put(row)
                loaded += len(items)
                if on_progress is not None:
                    on_progress(loaded, total)

            self.polls += 1
            listing = await api.experiments_since(validator, params, on_page=on_page)
            if listing.items is None:
                return False
            self._validator = listing.validator
            self._loaded = True
            return changed

    def note(self, release: Release) -> None:
        """A release this client just changed: show it now, before the next poll."""
        self._put(ReleaseSummary.of(release))

    def _put(self, row: ReleaseSummary) -> bool:
        if row.last_modified is not None and (
            self._newest_change is None or row.last_modified > self._newest_change
        ):
            self._newest_change = row.last_modified
        if self._rows.get(row.id) == row:
            return False
        self._rows[row.id] = row
        self._ordered = None
        return True

    def rows(self) -> list[ReleaseSummary]:
        """Every release, newest first."""
        if self._ordered is None:
            self._ordered = sorted(self._rows.values(), key=_newest_first, reverse=True)
        return self._ordered

    def get(self, release_id: str) -> ReleaseSummary | None:
        return self._rows.get(release_id)

    def query(
        self,
        *,
        statuses: Collection[ReleaseStatus] = (),
        search: str = "",
        offset: int = 0,
        limit: int = 50,
        changed: bool = False,
    ) -> ReleasePage:
        rows = self.rows()
        counts = Counter(r.status for r in rows)
        wanted = set(statuses)
        needle = search.strip().lower()
        if wanted or needle:
            rows = [
                r for r in rows if (not wanted or r.status in wanted) and (not needle or r.matches(needle))
            ]
        offset = max(0, offset)
        return ReleasePage(
            len(rows), offset, tuple(rows[offset : offset + max(0, limit)]), dict(counts), changed
        )
