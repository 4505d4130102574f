"""A request repeated after a crash is answered by the run that the crash interrupted.

A run killed past its point of no return (a deletion that has started deleting files, a first release
being concluded, any publish) is finished by the next reconciliation. The person, who saw no result,
then repeats the request: the same command, the same drop. Running it again would fail (what it deletes
is gone) or do the work twice (a second release, a second package version). Instead the repeat is
answered with the finished run: one intent, one result.

A run answers a repeat when it was finished by a reconciliation (`data["reconciled"]`), is done,
matches the request (`matches`, decided by each kind) and has not answered an earlier repeat (a third
identical request is a new intent, like any request after a success).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from hyperota_desktop.services.saga import SagaRunner
from hyperota_desktop.stores.journal import SagaRecord

log = logging.getLogger("hyperota.services.saga")
LOOKED_AT = 200  # the newest journal records of the scope


async def finished_repeat(
    runner: SagaRunner, kind: str, matches: Callable[[SagaRecord], bool], *, by: str
) -> SagaRecord | None:
    """The reconciled run of `kind` that this request repeats, now marked as answered (`by`), or None."""
    journal = runner.journal
    records = await runner.workers.short(journal.reconciled, kind, within=LOOKED_AT, scope=runner.scope)
    for record in records:
        if record.kind != kind or record.status != "done" or not record.data.get("reconciled"):
            continue
        if record.data.get("repeated_by") or not matches(record):
            continue
        data = {**record.data, "repeated_by": by}
        await runner.workers.short(runner.journal.save_data, record.id, data)
        log.info("%s repeats '%s' (%s), finished by a reconciliation", by, record.title, record.id)
        record.data = data
        return record
    return None
