"""What the Activity page and `hyperota activity` show: the journal, newest first.

Light on purpose (`hyperota activity` imports it): kinds are named by their journalled strings, not
imported from the services that run them (which pull in boto3).
"""

from __future__ import annotations

from dataclasses import replace

from hyperota_desktop.stores.journal import Journal, SagaRecord

INTERRUPTED = "interrupted"
INTERRUPTED_WHY = "the app stopped mid-way; it is finished or undone at the next sign-in"
PAUSED = "paused"
PAUSED_WHY = "resume or cancel it on the Packages page (the next `hyperota package publish` finishes it)"


def recent_activity(journal: Journal, limit: int = 200, org: str = "", app: str = "") -> list[SagaRecord]:
    """Runs whose process died show as interrupted until a reconcile finishes or undoes them.
    `org`/`app`: only what was done on that organisation (and its applications) or application.

    Blocking (SQLite, file locks): call it off the UI thread.
    """
    records = journal.list(limit=limit, org=org, app=app)
    return [_as_seen(r) if journal.orphaned(r) else r for r in records]


def _as_seen(record: SagaRecord) -> SagaRecord:
    """An unfinished run nobody holds: paused by the person (waits for them), else interrupted."""
    if record.paused:
        return replace(record, status=PAUSED, error=f"{record.paused}; {PAUSED_WHY}")
    return replace(record, status=INTERRUPTED, error=record.error or INTERRUPTED_WHY)


def outcome(record: SagaRecord) -> str:
    """What came of a run, in a few words: its error, else what it produced (version, tag, workspace)."""
    if record.error:
        return record.error
    if record.status != "done":
        return ""
    data, params = record.data, record.params
    if record.kind == "package.tag":  # services/packages/tag_move.py
        return _tag_move(params, data)
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


def _tag_move(params: dict[str, object], data: dict[str, object]) -> str:
    """A tag move: the tag, the version, and the version it moved from (or that it was new)."""
    text = f"tag {params.get('tag', '')} → version {params.get('version', '')}"
    if "moved_from" not in data:
        return text
    came = data["moved_from"]
    return f"{text} ({f'moved from version {came}' if came is not None else 'a new tag'})"
