"""Sagas: multi-step operations that either finish or undo what they did, even across a crash.

A saga kind is registered once with a function that builds its steps from JSON parameters, so a run
interrupted by a crash can be rebuilt at the next start and reconciled: rolled back (compensations run
for every step that finished or may have) or rolled forward (the interrupted step and the rest re-run).
Steps and compensations must therefore be idempotent. Everything is written to the journal first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hyperota_desktop.domain.errors import HyperOtaError
from hyperota_desktop.stores.journal import UNFINISHED, Journal, SagaRecord

log = logging.getLogger("hyperota.services.saga")


class Recovery(StrEnum):
    ROLLBACK = "rollback"
    FORWARD = "forward"


@dataclass
class SagaContext:
    """What a step sees: the run's parameters and `data`, which is journalled after each step."""

    saga_id: str
    params: dict[str, Any]
    data: dict[str, Any]
    _journal: Journal

    async def save(self) -> None:
        """Journal `data` now (e.g. an id just created, before the next call that could fail)."""
        await asyncio.to_thread(self._journal.save_data, self.saga_id, dict(self.data))


StepFn = Callable[[SagaContext], Awaitable[None]]


@dataclass
class Step:
    name: str
    run: StepFn
    compensate: StepFn | None = None


@dataclass
class SagaDefinition:
    kind: str
    build: Callable[[dict[str, Any]], list[Step]]
    recovery: Recovery = Recovery.ROLLBACK


class SagaFailed(HyperOtaError):
    """A saga failed and was rolled back; `cause` is the error of the failed step."""

    def __init__(self, message: str, cause: BaseException, *, record: SagaRecord | None) -> None:
        hint = cause.hint if isinstance(cause, HyperOtaError) else ""
        super().__init__(message, hint=hint)
        self.cause = cause
        self.record = record
        if isinstance(cause, HyperOtaError):
            self.exit_code = cause.exit_code


Actor = str | Callable[[], Awaitable[str]]


@dataclass
class SagaRunner:
    """Runs and reconciles sagas of one scope (a profile): the journal is shared, definitions are not.

    `scoped(profile_name, actor)` gives the runner of one profile session, whose registered kinds are
    bound to that profile's backends; `reconcile()` only touches sagas of its own scope and kinds.
    """

    journal: Journal
    actor: Actor = "unknown"
    scope: str = ""
    definitions: dict[str, SagaDefinition] = field(default_factory=dict)

    def scoped(self, scope: str, actor: Actor | None = None) -> SagaRunner:
        return SagaRunner(self.journal, actor if actor is not None else self.actor, scope)

    def register(self, definition: SagaDefinition) -> None:
        self.definitions[definition.kind] = definition

    async def _actor_name(self) -> str:
        if isinstance(self.actor, str):
            return self.actor
        try:
            return await self.actor()
        except HyperOtaError as exc:  # signed out mid-way: still journal the run
            log.info("actor unknown for the journal: %s", exc.message)
            return "unknown"

    async def run(self, kind: str, params: dict[str, Any], title: str) -> SagaRecord:
        """Run a saga to completion; on failure compensate and raise SagaFailed (cancel: re-raise)."""
        steps = self.definitions[kind].build(params)
        actor = await self._actor_name()
        saga_id = await asyncio.to_thread(
            self.journal.begin, kind, title, actor, params, [s.name for s in steps], self.scope
        )
        ctx = SagaContext(saga_id, params, {}, self.journal)
        try:
            await self._forward(ctx, steps, start=0)
        except BaseException as exc:
            await asyncio.shield(self._rollback(ctx, steps, exc))
            record = await asyncio.to_thread(self.journal.get, saga_id)
            if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
                raise
            message = exc.message if isinstance(exc, HyperOtaError) else f"{type(exc).__name__}: {exc}"
            raise SagaFailed(f"{title} failed and was undone: {message}", exc, record=record) from exc
        finally:
            self.journal.release(saga_id)
        record = await asyncio.to_thread(self.journal.get, saga_id)
        assert record is not None
        return record

    async def _forward(self, ctx: SagaContext, steps: list[Step], *, start: int) -> None:
        for idx in range(start, len(steps)):
            await asyncio.to_thread(self.journal.step, ctx.saga_id, idx, "running")
            await steps[idx].run(ctx)
            await asyncio.to_thread(self.journal.save_data, ctx.saga_id, dict(ctx.data))
            await asyncio.to_thread(self.journal.step, ctx.saga_id, idx, "done")
        await asyncio.to_thread(self.journal.finish, ctx.saga_id, "done")

    async def _rollback(self, ctx: SagaContext, steps: list[Step], cause: BaseException | None) -> None:
        reason = (
            _describe(cause) if cause else "interrupted (the app stopped mid-way); undone at the next start"
        )
        await asyncio.to_thread(self.journal.finish, ctx.saga_id, "compensating", reason)
        record = await asyncio.to_thread(self.journal.get, ctx.saga_id)
        assert record is not None
        touched = [s.idx for s in record.steps if s.status in ("running", "done")]
        stuck = False
        for idx in reversed(touched):
            step = steps[idx]
            if record.steps[idx].status == "running":
                await asyncio.to_thread(self.journal.step, ctx.saga_id, idx, "failed", reason)
            if step.compensate is None:
                continue
            try:
                await step.compensate(ctx)
            except Exception as exc:  # keep undoing the rest; the journal says what is left
                stuck = True
                log.error("compensation of %s/%s failed: %s", record.kind, step.name, exc)
                await asyncio.to_thread(
                    self.journal.step, ctx.saga_id, idx, "compensation_failed", _describe(exc)
                )
            else:
                await asyncio.to_thread(self.journal.step, ctx.saga_id, idx, "compensated")
        await asyncio.to_thread(self.journal.finish, ctx.saga_id, "stuck" if stuck else "rolled_back", reason)

    async def reconcile(self) -> list[SagaRecord]:
        """Finish or undo this scope's sagas whose process died.

        Sagas held by a live process (the CLI beside the GUI) and kinds this runner does not know (another
        feature's, registered on its own runner) are left alone.
        """
        results: list[SagaRecord] = []
        unfinished = await asyncio.to_thread(self.journal.list, unfinished_only=True, scope=self.scope)
        for record in unfinished:
            definition = self.definitions.get(record.kind)
            if definition is None:
                log.debug("leaving %s (%s) to the runner that knows its kind", record.id, record.kind)
                continue
            if not self.journal.claim(record.id):
                continue  # another live process owns it
            try:
                fresh = await asyncio.to_thread(self.journal.get, record.id)
                if fresh is None or fresh.status not in UNFINISHED:
                    continue  # its owner finished it between our listing and our claim
                record = fresh
                steps = definition.build(record.params)
                ctx = SagaContext(record.id, record.params, dict(record.data), self.journal)
                if definition.recovery is Recovery.FORWARD and record.status == "running":
                    first = next((s.idx for s in record.steps if s.status != "done"), len(steps))
                    try:
                        await self._forward(ctx, steps, start=first)
                    except Exception as exc:
                        await self._rollback(ctx, steps, exc)
                else:
                    await self._rollback(ctx, steps, None)
                final = await asyncio.to_thread(self.journal.get, record.id)
                if final is not None:
                    results.append(final)
            finally:
                self.journal.release(record.id)
        return results


def _describe(exc: BaseException) -> str:
    if isinstance(exc, HyperOtaError):
        return exc.user_text()
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    return f"{type(exc).__name__}: {exc}"
