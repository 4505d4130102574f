"""Sagas: multi-step operations that either finish or undo what they did, even across a crash.

A saga kind is registered once with a function that builds its steps from JSON parameters, so a run
interrupted by a crash can be rebuilt at the next start and reconciled: rolled back (compensations run
for every step that finished or may have) or rolled forward (the interrupted step and the rest re-run).
Steps and compensations must therefore be idempotent. Everything is written to the journal first.

What a run needs beyond its journalled parameters travels in one explicit `SagaRuntime`: where to report
progress (kind-specific events) and the control that pauses or cancels it. A reconciliation gets the
runtime of whoever reconciles, so a publish finished at the next start reports its progress where
publishes report theirs.

The outcome is reported as it is: `SagaFailed` says "undone" only when every compensation succeeded;
otherwise `SagaStuck` names what is left behind. A run of a FORWARD kind interrupted without the person
asking (the app quits, a profile switch cancels its task) stays unfinished, as after a crash, and is
finished at the next start instead of being undone.

A step marked `pivot` is the point of no return (deleting stored files): once it has started, a run a
crash interrupted is finished at the next start, never undone, since undoing the steps before it would
bring back half of what the person asked to delete. A run whose sign-in ended mid-way (`AuthError`) is
not undone either (undoing needs the sign-in too): it stays unfinished, and is finished or undone by
the reconciliation after the person signs in again (`SagaNeedsSignIn` says so).

A run the person paused (Pause and quit, Pause and sign out: the journal's `paused` says why) is one
they chose to stop: a reconciliation asked not to (`paused=False`) leaves it alone, and the person
either resumes it (`resume`: finished where it stopped) or cancels it (`undo`: undone now).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hyperota_desktop.domain.errors import AuthError, Cancelled, HyperOtaError, NotFound
from hyperota_desktop.services import probes
from hyperota_desktop.services.transfer import TransferControl
from hyperota_desktop.services.workers import Workers
from hyperota_desktop.stores.journal import UNFINISHED, Journal
from hyperota_desktop.stores.journal import SagaRecord as SagaRecord  # the UI reads records through here

log = logging.getLogger("hyperota.services.saga")
UNKNOWN_ACTOR = "unknown"  # the journal's actor of a run started while nobody could be identified


class Recovery(StrEnum):
    ROLLBACK = "rollback"
    FORWARD = "forward"


@dataclass
class SagaRuntime:
    """What a run gets besides its journalled parameters; nothing here is journalled.

    `progress` receives the kind's progress events (a `ProgressSnapshot` while publishing, `FilesDeleted`
    while an organisation's files go); `control` pauses, resumes and cancels (a person's cancel, which
    undoes the run, unlike an interruption).
    """

    progress: Callable[[Any], None] | None = None
    control: TransferControl = field(default_factory=TransferControl)

    def report(self, event: Any) -> None:
        if self.progress is not None:
            self.progress(event)


@dataclass
class SagaContext:
    """What a step sees: the run's parameters, its `data` (journalled after each step) and its runtime."""

    saga_id: str
    params: dict[str, Any]
    data: dict[str, Any]
    _journal: Journal
    runtime: SagaRuntime = field(default_factory=SagaRuntime)
    _workers: Workers = field(default_factory=Workers)

    async def save(self) -> None:
        """Journal `data` now (e.g. an id just created, before the next call that could fail)."""
        await self._workers.short(self._journal.save_data, self.saga_id, dict(self.data))


StepFn = Callable[[SagaContext], Awaitable[None]]


@dataclass
class Step:
    name: str
    run: StepFn
    compensate: StepFn | None = None
    pivot: bool = False  # the point of no return: once started, a crashed run is finished, not undone


@dataclass
class SagaDefinition:
    kind: str
    build: Callable[[dict[str, Any]], list[Step]]
    recovery: Recovery = Recovery.ROLLBACK


class SagaFailed(HyperOtaError):
    """A saga failed and was rolled back; `cause` is the error of the failed step."""

    def __init__(
        self,
        message: str,
        cause: BaseException,
        *,
        record: SagaRecord | None,
        hint: str = "",
        gui_hint: str = "",
    ) -> None:
        hint = hint or (cause.hint if isinstance(cause, HyperOtaError) else "")
        gui_hint = gui_hint or (cause.gui_hint if isinstance(cause, HyperOtaError) else "")
        super().__init__(message, hint=hint, gui_hint=gui_hint)
        self.cause = cause
        self.record = record
        if isinstance(cause, HyperOtaError):
            self.exit_code = cause.exit_code


class SagaStuck(SagaFailed):
    """A saga failed and at least one compensation failed too: something is left behind (`left`)."""

    def __init__(self, message: str, cause: BaseException, *, record: SagaRecord, left: list[str]) -> None:
        super().__init__(
            message, cause, record=record,
            hint="See the Activity page or `hyperota activity` for each step; undo what is left by hand "
            "or run the operation again once the backend is back.",
            gui_hint="See the Activity page for each step; undo what is left by hand or run the "
            "operation again once the backend is back.",
        )  # fmt: skip
        self.left = left


class SagaNeedsSignIn(AuthError):
    """A run stopped because the sign-in ended (or was refused) mid-way: nothing was undone, since that
    needs the sign-in too. It stays unfinished; the reconciliation after the next sign-in finishes it
    (FORWARD kinds, or past its point of no return) or undoes it."""

    def __init__(self, title: str, cause: AuthError, *, record: SagaRecord | None, finished: bool) -> None:
        then = "finished where it stopped" if finished else "undone"
        super().__init__(
            f"{title} stopped: {cause.message}",
            hint=f"Nothing is lost: sign in again and it is {then} (in the app once you are signed in, "
            "or by the next `hyperota` command that changes something). See `hyperota activity`.",
            gui_hint=f"Nothing is lost: sign in again and it is {then} once you are signed in. See the "
            "Activity page.",
        )
        self.cause = cause
        self.record = record


def failure(title: str, cause: BaseException, record: SagaRecord | None) -> SagaFailed:
    """The error saying what really happened: undone, or failed with something left behind."""
    why = cause.message if isinstance(cause, HyperOtaError) else f"{type(cause).__name__}: {cause}"
    if record is None or record.status != "stuck":
        return SagaFailed(f"{title} failed and was undone: {why}", cause, record=record)
    left = [
        f"{s.name} ({s.error})" if s.error else s.name
        for s in record.steps
        if s.status == "compensation_failed"
    ]
    return SagaStuck(
        f"{title} failed and could NOT be fully undone: {why}. Not undone: {'; '.join(left)}.",
        cause, record=record, left=left,
    )  # fmt: skip


Actor = str | Callable[[], Awaitable[str]]


@dataclass
class SagaRunner:
    """Runs and reconciles sagas of one scope (a profile): the journal is shared, definitions are not.

    `scoped(profile_name, actor)` gives the runner of one profile session, whose registered kinds are
    bound to that profile's backends; `reconcile()` only touches sagas of its own scope and kinds.
    """

    journal: Journal
    actor: Actor = UNKNOWN_ACTOR
    scope: str = ""
    definitions: dict[str, SagaDefinition] = field(default_factory=dict)
    workers: Workers = field(default_factory=Workers)
    _deferred: list[Callable[[], object]] = field(default_factory=list, repr=False)

    def scoped(self, scope: str, actor: Actor | None = None) -> SagaRunner:
        return SagaRunner(
            self.journal, actor if actor is not None else self.actor, scope, workers=self.workers
        )

    def register(self, definition: SagaDefinition) -> None:
        self.definitions[definition.kind] = definition

    def defer(self, build: Callable[[], object]) -> None:
        """Kinds that `build()` registers, when a service is built on first use: it runs the first
        time this runner meets a kind it does not know (a run a crash left, a resume), once."""
        self._deferred.append(build)

    def definition(self, kind: str) -> SagaDefinition | None:
        """The definition of `kind`, building the deferred services first when it is not known yet."""
        while kind not in self.definitions and self._deferred:
            self._deferred.pop(0)()
        return self.definitions.get(kind)

    async def _actor_name(self) -> str:
        if isinstance(self.actor, str):
            return self.actor
        try:
            return await self.actor()
        except HyperOtaError as exc:  # signed out mid-way: still journal the run
            log.info("actor unknown for the journal: %s", exc.message)
            return UNKNOWN_ACTOR

    async def run(
        self, kind: str, params: dict[str, Any], title: str, runtime: SagaRuntime | None = None
    ) -> SagaRecord:
        """Run a saga to completion; on failure compensate and raise `SagaFailed` (`SagaStuck` when
        something could not be undone). Cancelled: undone and re-raised, except an interruption of a
        FORWARD kind (not asked for through `runtime.control`), which is left to be finished later."""
        definition = self.definition(kind)
        if definition is None:
            raise KeyError(kind)
        runtime = runtime or SagaRuntime()
        steps = definition.build(params)
        actor = await self._actor_name()
        saga_id, stop = await _despite_cancel(
            self.workers.short(
                self.journal.begin, kind, title, actor, params, [s.name for s in steps], self.scope
            )
        )
        ctx = SagaContext(saga_id, params, {}, self.journal, runtime, self.workers)
        try:
            if stop is not None:  # cancelled as the record was written: handled like any stopped run
                raise stop
            await self._forward(ctx, steps, start=0, kind=kind)
        except BaseException as exc:
            stopped = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)
            if stopped and definition.recovery is Recovery.FORWARD and not runtime.control.cancelled:
                log.info("%s interrupted: it is finished at the next start", title)
                # what the step recorded as it stopped (e.g. the files it sent): an undo needs it
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(self.workers.short(self.journal.save_data, saga_id, dict(ctx.data)))
                raise
            if isinstance(exc, AuthError) and not runtime.control.cancelled:
                log.info("%s stopped, the sign-in ended: reconciled after the next sign-in", title)
                await self.workers.short(self.journal.save_data, saga_id, dict(ctx.data))
                record = await self.workers.short(self.journal.get, saga_id)
                finished = definition.recovery is Recovery.FORWARD or (
                    record is not None and _past_pivot(record, steps)
                )
                raise SagaNeedsSignIn(title, exc, record=record, finished=finished) from exc
            try:
                await asyncio.shield(self._rollback(ctx, steps, exc))
            except AuthError as auth:  # the sign-in ended while undoing: the rest after the next one
                record = await self.workers.short(self.journal.get, saga_id)
                raise SagaNeedsSignIn(title, auth, record=record, finished=False) from exc
            record = await self.workers.short(self.journal.get, saga_id)
            if stopped:
                raise
            raise failure(title, exc, record) from exc
        finally:
            self.journal.release(saga_id)
        record = await self.workers.short(self.journal.get, saga_id)
        assert record is not None
        return record

    async def _forward(self, ctx: SagaContext, steps: list[Step], *, start: int, kind: str = "") -> None:
        if start >= len(steps):
            await self.workers.short(self.journal.finish, ctx.saga_id, "done")
            return
        await self.workers.short(self.journal.step, ctx.saga_id, start, "running")
        for idx in range(start, len(steps)):
            probes.reached("saga.step.start", kind=kind, step=steps[idx].name, idx=idx)
            await steps[idx].run(ctx)
            probes.reached("saga.step.end", kind=kind, step=steps[idx].name, idx=idx)
            # its data, "done", and the next step's "running" (or the saga's "done"): one commit
            then = idx + 1 if idx + 1 < len(steps) else None
            await self.workers.short(self.journal.advance, ctx.saga_id, dict(ctx.data), idx, then=then)

    async def _rollback(self, ctx: SagaContext, steps: list[Step], cause: BaseException | None) -> None:
        reason = (
            _describe(cause) if cause else "interrupted (the app stopped mid-way); undone at the next start"
        )
        await self.workers.short(self.journal.finish, ctx.saga_id, "compensating", reason)
        record = await self.workers.short(self.journal.get, ctx.saga_id)
        assert record is not None
        # "failed": marked so by an undoing that a crash stopped before that step's compensation ended
        touched = [s.idx for s in record.steps if s.status in ("running", "done", "failed")]
        stuck = False
        for idx in reversed(touched):
            step = steps[idx]
            if record.steps[idx].status == "running":
                await self.workers.short(self.journal.step, ctx.saga_id, idx, "failed", reason)
            if step.compensate is None:
                continue
            try:
                probes.reached("saga.undo.start", kind=record.kind, step=step.name, idx=idx)
                await step.compensate(ctx)
                probes.reached("saga.undo.end", kind=record.kind, step=step.name, idx=idx)
            except AuthError:
                raise  # undoing needs the sign-in too: it goes on after the next one (still compensating)
            except Exception as exc:  # keep undoing the rest; the journal says what is left
                stuck = True
                log.error("compensation of %s/%s failed: %s", record.kind, step.name, exc)
                await self.workers.short(
                    self.journal.step, ctx.saga_id, idx, "compensation_failed", _describe(exc)
                )
            else:
                await self.workers.short(self.journal.step, ctx.saga_id, idx, "compensated")
            await self.workers.short(self.journal.save_data, ctx.saga_id, dict(ctx.data))  # what it undid
        await self.workers.short(
            self.journal.finish, ctx.saga_id, "stuck" if stuck else "rolled_back", reason
        )

    async def reconcile(
        self,
        runtime: SagaRuntime | None = None,
        *,
        kinds: Collection[str] | None = None,
        actors: Collection[str] | None = None,
        paused: bool = True,
        ids: Collection[str] | None = None,
    ) -> list[SagaRecord]:
        """Finish or undo this scope's sagas whose process died (or that were interrupted).

        `kinds` limits it to some kinds (each presenter reconciles its own, reporting where it shows
        progress); `actors` to the runs these people started (a publish paused by one person's
        sign-out waits for that person); `paused=False` leaves the runs the person paused; `ids` only
        these runs. `runtime` is handed to the runs. Sagas held by a live process (the CLI beside the
        GUI) and kinds this runner does not know are left alone. A run taken up is no longer paused.
        """
        results: list[SagaRecord] = []
        unfinished = await self.workers.short(self.journal.list, unfinished_only=True, scope=self.scope)
        for record in unfinished:
            if kinds is not None and record.kind not in kinds:
                continue
            if actors is not None and record.actor not in actors:
                continue
            if (not paused and record.paused) or (ids is not None and record.id not in ids):
                continue
            definition = self.definition(record.kind)
            if definition is None:
                log.debug("leaving %s (%s) to the runner that knows its kind", record.id, record.kind)
                continue
            if not self.journal.claim(record.id):
                continue  # another live process owns it
            try:
                fresh = await self.workers.short(self.journal.get, record.id)
                if fresh is None or fresh.status not in UNFINISHED:
                    continue  # its owner finished it between our listing and our claim
                if fresh.paused and not paused:
                    continue  # paused between our listing and our claim
                record = fresh
                if record.paused:  # taken up: interrupted again, it is recovered like any other run
                    await self.workers.short(self.journal.set_paused, record.id, "")
                steps = definition.build(record.params)
                ctx = SagaContext(
                    record.id,
                    record.params,
                    dict(record.data),
                    self.journal,
                    runtime or SagaRuntime(),
                    self.workers,
                )
                forward = definition.recovery is Recovery.FORWARD or _past_pivot(record, steps)
                try:
                    if forward and record.status == "running":
                        first = next((s.idx for s in record.steps if s.status != "done"), len(steps))
                        ctx.data["reconciled"] = True  # finished by a reconciliation, not by its own run
                        await ctx.save()
                        try:
                            await self._forward(ctx, steps, start=first, kind=record.kind)
                        except AuthError:
                            raise
                        except asyncio.CancelledError as exc:
                            await self._stopped(ctx, steps, exc)
                            raise
                        except Exception as exc:
                            await self._rollback(ctx, steps, exc)
                    else:
                        await self._rollback(ctx, steps, None)
                except AuthError as exc:
                    log.info("%s is left for after the next sign-in: %s", record.title, exc.message)
                    continue
                final = await self.workers.short(self.journal.get, record.id)
                if final is not None:
                    results.append(final)
            finally:
                self.journal.release(record.id)
        return results

    async def _stopped(self, ctx: SagaContext, steps: list[Step], stop: asyncio.CancelledError) -> None:
        """A run taken up by a reconciliation (a resume) stopped: the person's cancel undoes it to the
        end; an interruption (quit) leaves it unfinished, with what its step recorded."""
        if ctx.runtime.control.cancelled:
            await asyncio.shield(self._rollback(ctx, steps, stop))
            return
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(self.workers.short(self.journal.save_data, ctx.saga_id, dict(ctx.data)))

    async def pause(self, saga_id: str, why: str) -> None:
        """Mark an unfinished run as paused by the person (`why`: "quit", "sign-out", ...): left alone
        by reconciliations asked to (`paused=False`) until `resume` or `undo`. A finished run stays so."""
        await self.workers.short(self.journal.set_paused, saga_id, why)

    async def paused_runs(
        self, *, kinds: Collection[str] | None = None, actors: Collection[str] | None = None
    ) -> list[SagaRecord]:
        """This scope's paused runs that no live process holds (newest first)."""
        listed = await self.workers.short(self.journal.list, unfinished_only=True, scope=self.scope)
        wanted = [
            r for r in listed
            if r.paused and (kinds is None or r.kind in kinds) and (actors is None or r.actor in actors)
        ]  # fmt: skip
        return [r for r in wanted if await self.workers.short(self.journal.orphaned, r)]

    async def resume(self, saga_id: str, runtime: SagaRuntime | None = None) -> SagaRecord:
        """Take up a paused (or interrupted) run of this scope now, as a reconciliation would."""
        done = await self.reconcile(runtime, ids={saga_id})
        if not done:
            raise NotFound(
                "That operation is no longer waiting to be resumed.",
                hint="It was finished or cancelled meanwhile, or another HyperOTA process is running it.",
            )
        return done[0]

    async def undo(self, saga_id: str, runtime: SagaRuntime | None = None) -> SagaRecord:
        """Undo an unfinished run of this scope now, whatever its kind's recovery: the person cancels
        a run they paused. Refused for a run past its point of no return (it can only be finished)."""
        record = await self.workers.short(self.journal.get, saga_id)
        definition = self.definition(record.kind) if record is not None else None
        if record is None or definition is None or record.scope != self.scope:
            raise NotFound("That operation is not in this profile's journal.")
        if not self.journal.claim(saga_id):
            raise HyperOtaError(
                f"{record.title} is running in another HyperOTA process.",
                hint="Cancel it there, or wait until it ends.",
            )
        try:
            fresh = await self.workers.short(self.journal.get, saga_id)
            if fresh is None or fresh.status not in UNFINISHED:
                raise NotFound(f"{record.title} is no longer waiting: it ended meanwhile.")
            steps = definition.build(fresh.params)
            if _past_pivot(fresh, steps):
                raise HyperOtaError(f"{fresh.title} is past its point of no return: it can only be finished.")
            ctx = SagaContext(
                saga_id, fresh.params, dict(fresh.data), self.journal, runtime or SagaRuntime(), self.workers
            )
            await self._rollback(ctx, steps, Cancelled(f"{fresh.title} was cancelled while paused."))
            final = await self.workers.short(self.journal.get, saga_id)
            assert final is not None
            return final
        finally:
            self.journal.release(saga_id)


async def _despite_cancel(work: Awaitable[str]) -> tuple[str, asyncio.CancelledError | None]:
    """Await the journalling of a run to its end, even when cancelled meanwhile: the record and its
    lock exist once the thread has written them, so a cancel landing then (a quit on a loaded machine)
    must still undo the run or leave it to the next start, and release the lock. Gives the cancel."""
    task = asyncio.ensure_future(work)
    stop: asyncio.CancelledError | None = None
    while True:
        try:
            return await asyncio.shield(task), stop
        except asyncio.CancelledError as exc:
            if task.cancelled():
                raise
            stop = exc


def _past_pivot(record: SagaRecord, steps: list[Step]) -> bool:
    """A step at or after the point of no return has started: the run can only be finished."""
    pivot = next((i for i, step in enumerate(steps) if step.pivot), None)
    return pivot is not None and any(s.idx >= pivot and s.status in ("running", "done") for s in record.steps)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, HyperOtaError):
        return exc.user_text()
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    return f"{type(exc).__name__}: {exc}"
