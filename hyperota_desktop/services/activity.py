"""What the Activity page and `hyperota activity` show: the journal, newest first."""

from __future__ import annotations

from dataclasses import replace

from hyperota_desktop.services.packages.tag_move import TAG_KIND, tag_move_outcome
from hyperota_desktop.stores.journal import Journal, SagaRecord

INTERRUPTED = "interrupted"
INTERRUPTED_WHY = "the app stopped mid-way; it is finished or undone at the next sign-in"


def recent_activity(journal: Journal, limit: int = 200, org: str = "", app: str = "") -> list[SagaRecord]:
    """Runs whose process died show as interrupted until a reconcile finishes or undoes them.
    `org`/`app`: only what was done on that organisation (and its applications) or application.

    Blocking (SQLite, file locks): call it off the UI thread.
    """
    records = journal.list(limit=limit, org=org, app=app)
    return [
        replace(r, status=INTERRUPTED, error=r.error or INTERRUPTED_WHY) if journal.orphaned(r) else r
        for r in records
    ]


def outcome(record: SagaRecord) -> str:
    """What came of a run, in a few words: its error, else what it produced (version, tag, workspace)."""
    if record.error:
        return record.error
    if record.status != "done":
        return ""
    data, params = record.data, record.params
    if record.kind == TAG_KIND:
        return tag_move_outcome(params, data)
    parts = []
    if "version" in data:
        parts.append(f"version {data['version']}")
    if params.get("tag"):
        parts.append(f"tag {params['tag']}")
    if record.kind == "workspace.migrate":
        parts.append(f"workspace {params.get('workspace', '')} repaired")
    warnings = data.get("warnings")
    if isinstance(warnings, list) and warnings:
        parts.append(f"{len(warnings)} warning(s): {'; '.join(str(w) for w in warnings)}")
    return ", ".join(parts)
