"""One intent, one version: a publish run again after a crash does not publish the bundle twice.

A publish killed mid-way is finished by the next start's reconciliation (it is a FORWARD saga). When
the person then runs the same publish again (the same command, the same bundle dropped again), that run
repeats an intent already fulfilled: instead of writing the next version with the same content, it
answers with the version the interrupted run was finished as, and says so.

A run repeats an earlier one when the earlier run (in this profile's journal) was interrupted and
finished by a reconciliation, went to the same application with the same tag and properties, and
published exactly the same bundle (the same content fingerprint: index, every path, size and
SHA-256); its version must still be the application's newest (a package published since makes a new
publish a new intent) and no earlier repeat may have answered it already (a third run of the command
is a deliberate new version).
"""

from __future__ import annotations

import logging
from typing import Any

from hyperota_desktop.services.saga import SagaContext, SagaRunner

log = logging.getLogger("hyperota.services.packages")
REPEATS_CHECKED = 200  # the newest journal records looked at


def _same_intent(params: dict[str, Any], other: dict[str, Any]) -> bool:
    keys = ("org", "app", "tag", "bucket", "key_prefix")
    return all(params.get(k) == other.get(k) for k in keys) and dict(params.get("properties") or {}) == dict(
        other.get("properties") or {}
    )


async def finished_repeat(runner: SagaRunner, kind: str, ctx: SagaContext, newest: int) -> int | None:
    """The version of the interrupted publish this run repeats (see above), marked as answered; None
    when this run is a new intent."""
    fingerprint = ctx.data.get("fingerprint")
    if not fingerprint or not newest:
        return None
    records = await runner.workers.short(runner.journal.list, limit=REPEATS_CHECKED, scope=runner.scope)
    for record in records:
        data = record.data
        if record.kind != kind or record.id == ctx.saga_id or record.status != "done":
            continue
        if not data.get("reconciled") or data.get("repeated_by") or data.get("fingerprint") != fingerprint:
            continue
        if not _same_intent(ctx.params, record.params) or int(data.get("version", 0)) != newest:
            continue
        await runner.workers.short(runner.journal.save_data, record.id, {**data, "repeated_by": ctx.saga_id})
        log.info("publish %s repeats %s, finished as version %d: not published again", ctx.saga_id,
                 record.id, newest)  # fmt: skip
        return newest
    return None
