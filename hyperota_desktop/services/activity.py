"""What the Activity page and `hyperota activity` show: the journal, newest first."""

from __future__ import annotations

from dataclasses import replace

from hyperota_desktop.stores.journal import Journal, SagaRecord

INTERRUPTED = "interrupted"
INTERRUPTED_WHY = "the app stopped mid-way; it is finished or undone at the next sign-in"


def recent_activity(journal: Journal, limit: int = 200) -> list[SagaRecord]:
    """Runs whose process died show as interrupted until a reconcile finishes or undoes them.

    Blocking (SQLite, file locks): call it off the UI thread.
    """
    records = journal.list(limit=limit)
    return [
        replace(r, status=INTERRUPTED, error=r.error or INTERRUPTED_WHY) if journal.orphaned(r) else r
        for r in records
    ]
