"""One intent, one version: a publish run again after a crash does not publish the bundle twice.

A publish killed mid-way is finished by the next start's reconciliation (it is a FORWARD saga). When
the person then runs the same publish again (the same command, the same bundle dropped again), that run
repeats an intent already fulfilled: instead of writing the next version with the same content, it
answers with the version the interrupted run was finished as, and says so (`services.saga_repeats`).

A publish repeats an earlier one when that went to the same application with the same tag and
properties and published exactly the same bundle (the same content fingerprint: index, every path,
size and SHA-256), and its version is still the application's newest (a package published since makes
a new publish a new intent).
"""

from __future__ import annotations

from typing import Any

from hyperota_desktop.services.saga import SagaContext, SagaRunner
from hyperota_desktop.services.saga_repeats import finished_repeat
from hyperota_desktop.stores.journal import SagaRecord


def _same_intent(params: dict[str, Any], other: dict[str, Any]) -> bool:
    keys = ("org", "app", "tag", "bucket", "key_prefix")
    return all(params.get(k) == other.get(k) for k in keys) and dict(params.get("properties") or {}) == dict(
        other.get("properties") or {}
    )


async def repeated_publish(runner: SagaRunner, kind: str, ctx: SagaContext, newest: int) -> int | None:
    """The version of the interrupted publish this run repeats, or None when it is a new intent."""
    fingerprint = ctx.data.get("fingerprint")
    if not fingerprint or not newest:
        return None

    def same(record: SagaRecord) -> bool:
        return (
            record.id != ctx.saga_id
            and record.data.get("fingerprint") == fingerprint
            and int(record.data.get("version", 0)) == newest
            and _same_intent(ctx.params, record.params)
        )

    found = await finished_repeat(runner, kind, same, by=f"publish {ctx.saga_id}")
    return newest if found is not None else None
