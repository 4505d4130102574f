from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.services.saga import (
    Recovery,
    SagaContext,
    SagaDefinition,
    SagaFailed,
    SagaRunner,
    SagaRuntime,
    SagaStuck,
    Step,
)
from hyperota_desktop.stores.journal import Journal
from tests.support.saga_demo import definition

ROOT = Path(__file__).resolve().parents[2]


def runner_for(tmp_path: Path, **kwargs) -> SagaRunner:
    runner = SagaRunner(Journal(tmp_path / "journal.sqlite3"), actor="alice")
    runner.register(definition(**kwargs))
    return runner


async def test_a_saga_runs_every_step_and_is_journalled(tmp_path: Path) -> None:
    runner = runner_for(tmp_path)
    record = await runner.run("demo", {"root": str(tmp_path)}, "demo")
    assert record.status == "done" and record.actor == "alice"
    assert [s.status for s in record.steps] == ["done"] * 3
    assert record.data == {"step0": True, "step1": True, "step2": True}


async def test_each_step_boundary_is_one_commit_that_says_where_the_run_is(tmp_path: Path) -> None:
    """A step's data, its "done" and the next step's "running" are written in one transaction (each
    commit is a wait): a 3-step run writes 5 times, and a step that starts finds the journal saying
    the one before is done, with its data, and itself running."""
    runner = runner_for(tmp_path)
    journal = runner.journal
    commits = 0
    connect = journal._connect

    def counted():  # type: ignore[no-untyped-def]
        nonlocal commits
        commits += 1
        return connect()

    seen: list[tuple[list[str], dict[str, Any]]] = []
    original = runner.definitions["demo"]

    def steps(params: dict[str, Any]) -> list[Step]:
        def watching(step: Step) -> Step:
            async def run(ctx: SagaContext) -> None:
                nonlocal commits
                commits -= 1  # this test's own read
                record = journal.get(ctx.saga_id)
                assert record is not None
                seen.append(([s.status for s in record.steps], dict(record.data)))
                await step.run(ctx)

            return Step(step.name, run, step.compensate)

        return [watching(s) for s in original.build(params)]

    runner.register(SagaDefinition("demo", steps, original.recovery))
    journal._connect = counted  # type: ignore[method-assign]
    record = await runner.run("demo", {"root": str(tmp_path)}, "demo")
    journal._connect = connect  # type: ignore[method-assign]
    assert record.status == "done"
    assert commits == 6  # begin, step 0 running, 3 boundaries (the last one ends the run), the result read
    assert seen == [
        (["running", "pending", "pending"], {}),
        (["done", "running", "pending"], {"step0": True}),
        (["done", "done", "running"], {"step0": True, "step1": True}),
    ]


@pytest.mark.parametrize("fail_at", [0, 1, 2])
async def test_a_failure_at_any_step_undoes_everything(tmp_path: Path, fail_at: int) -> None:
    runner = runner_for(tmp_path, fail_at=fail_at)
    with pytest.raises(SagaFailed, match=f"boom at {fail_at}") as info:
        await runner.run("demo", {"root": str(tmp_path)}, "demo")
    assert not list(tmp_path.glob("step*"))
    record = info.value.record
    assert record is not None and record.status == "rolled_back"
    assert record.steps[fail_at].status == "compensated"
    assert all(s.status == "pending" for s in record.steps[fail_at + 1 :])


async def test_a_failing_compensation_leaves_the_saga_stuck_and_says_why(tmp_path: Path) -> None:
    runner = runner_for(tmp_path, fail_at=2)
    (tmp_path / "step0").mkdir()  # unlink of a directory fails → compensation of step0 fails
    with pytest.raises(SagaFailed) as info:
        await runner.run("demo", {"root": str(tmp_path)}, "demo")
    record = info.value.record
    assert record is not None and record.status == "stuck"
    assert record.steps[0].status == "compensation_failed" and record.steps[0].error
    # what it says is what happened: not "undone", and what is left is named
    assert isinstance(info.value, SagaStuck) and "was undone" not in info.value.message
    assert "could NOT be fully undone" in info.value.message and "Not undone: step0" in info.value.message
    assert info.value.left[0].startswith("step0") and "Activity" in info.value.hint


async def test_cancelling_a_saga_rolls_it_back(tmp_path: Path) -> None:
    runner = runner_for(tmp_path, hang_at=1)
    task = asyncio.create_task(runner.run("demo", {"root": str(tmp_path)}, "demo"))
    while not (tmp_path / "hanging").exists():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not list(tmp_path.glob("step*"))
    assert runner.journal.list()[0].status == "rolled_back"


def _start_and_kill(tmp_path: Path, hang: int) -> Path:
    journal = tmp_path / "journal.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.saga_demo", str(journal), str(tmp_path), str(hang)], cwd=ROOT
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / "hanging").exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return journal


async def test_a_killed_process_is_rolled_back_at_the_next_start(tmp_path: Path) -> None:
    journal = _start_and_kill(tmp_path, hang=1)
    runner = SagaRunner(Journal(journal))
    runner.register(definition())
    assert [r.status for r in Journal(journal).list()] == ["running"]
    results = await runner.reconcile()
    assert [r.status for r in results] == ["rolled_back"]
    assert "interrupted" in results[0].error
    assert not list(tmp_path.glob("step*"))
    assert await runner.reconcile() == []


async def test_a_killed_process_can_be_rolled_forward(tmp_path: Path) -> None:
    journal = _start_and_kill(tmp_path, hang=1)
    runner = SagaRunner(Journal(journal))
    runner.register(definition(Recovery.FORWARD))
    results = await runner.reconcile()
    assert [r.status for r in results] == ["done"]
    assert sorted(p.name for p in tmp_path.glob("step*")) == ["step0", "step1", "step2"]


async def test_a_saga_owned_by_a_live_process_is_not_touched(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    runner = runner_for(tmp_path, hang_at=1)
    task = asyncio.create_task(runner.run("demo", {"root": str(tmp_path)}, "demo"))
    while not (tmp_path / "hanging").exists():
        await asyncio.sleep(0.01)
    other = SagaRunner(Journal(journal))
    other.register(definition())
    other.journal.claim = lambda saga_id: not _locked_elsewhere(journal.parent, saga_id)  # type: ignore[method-assign]
    assert await other.reconcile() == []
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def _locked_elsewhere(folder: Path, saga_id: str) -> bool:
    code = (
        "import fcntl,sys; f=open(sys.argv[1],'a+b')\n"
        "try:\n fcntl.flock(f, fcntl.LOCK_EX|fcntl.LOCK_NB); print('free')\nexcept OSError: print('held')"
    )
    lock = folder / "sagas" / f"{saga_id}.lock"
    out = subprocess.run([sys.executable, "-c", code, str(lock)], capture_output=True, text=True, check=True)
    return out.stdout.strip() == "held"


async def test_unknown_kinds_are_left_for_the_runner_that_knows_them(tmp_path: Path) -> None:
    journal = _start_and_kill(tmp_path, hang=0)
    runner = SagaRunner(Journal(journal))
    assert await runner.reconcile() == []
    assert Journal(journal).list()[0].status == "running"
    runner.register(definition())
    assert [r.status for r in await runner.reconcile()] == ["rolled_back"]


async def test_a_deferred_kind_is_registered_when_a_run_of_it_is_met(tmp_path: Path) -> None:
    """Services built on first use register their kinds then (`defer`): a run a crash left of such a
    kind builds them once, and a reconciliation that meets only known kinds builds nothing."""
    journal = _start_and_kill(tmp_path, hang=0)
    runner, built = SagaRunner(Journal(journal)), []
    runner.defer(lambda: built.append(runner.register(definition())))
    assert await runner.reconcile(kinds={"other"}) == [] and built == []
    assert [r.status for r in await runner.reconcile()] == ["rolled_back"]
    assert await runner.reconcile() == [] and len(built) == 1


async def test_scoped_runners_only_reconcile_their_own_profile(tmp_path: Path) -> None:
    journal = _start_and_kill(tmp_path, hang=1)  # the subprocess runs unscoped ("")
    other = SagaRunner(Journal(journal)).scoped("staging")
    other.register(definition())
    assert await other.reconcile() == []
    mine = SagaRunner(Journal(journal)).scoped("")
    mine.register(definition())
    assert [r.status for r in await mine.reconcile()] == ["rolled_back"]


async def test_the_actor_is_asked_when_a_saga_starts_and_the_scope_is_journalled(tmp_path: Path) -> None:
    async def who() -> str:
        return "alice@example.com"

    runner = SagaRunner(Journal(tmp_path / "journal.sqlite3")).scoped("prod", actor=who)
    runner.register(definition())
    record = await runner.run("demo", {"root": str(tmp_path)}, "demo")
    assert (record.actor, record.scope) == ("alice@example.com", "prod")
    assert record.to_dict()["scope"] == "prod"


async def test_a_saga_finished_between_listing_and_claim_is_not_undone(tmp_path: Path) -> None:
    journal = _start_and_kill(tmp_path, hang=1)
    stale = Journal(journal).list(unfinished_only=True)
    Journal(journal).finish(stale[0].id, "done")  # its owner completed it meanwhile
    runner = SagaRunner(Journal(journal))
    runner.register(definition())
    runner.journal.list = lambda **_kwargs: stale  # type: ignore[method-assign]
    assert await runner.reconcile() == []
    assert Journal(journal).get(stale[0].id).status == "done"
    assert (tmp_path / "step0").exists()


async def test_orphaned_sagas_are_recognised_without_being_claimed(tmp_path: Path) -> None:
    journal_path = _start_and_kill(tmp_path, hang=1)
    journal = Journal(journal_path)
    record = journal.list()[0]
    assert journal.orphaned(record)
    runner = SagaRunner(Journal(journal_path))
    runner.register(definition())
    assert [r.status for r in await runner.reconcile()] == ["rolled_back"]
    assert not journal.orphaned(journal.get(record.id))


async def test_an_interrupted_forward_saga_is_left_to_be_finished_not_undone(tmp_path: Path) -> None:
    runner = runner_for(tmp_path, recovery=Recovery.FORWARD, hang_at=1)
    task = asyncio.create_task(runner.run("demo", {"root": str(tmp_path)}, "demo"))
    while not (tmp_path / "hanging").exists():
        await asyncio.sleep(0.01)
    task.cancel()  # the app quits: nobody asked to undo it
    with pytest.raises(asyncio.CancelledError):
        await task
    (record,) = runner.journal.list()
    assert record.status == "running" and (tmp_path / "step0").exists()
    assert runner.journal.orphaned(record)  # shown as interrupted until the next start finishes it
    finisher = SagaRunner(Journal(tmp_path / "journal.sqlite3"))
    finisher.register(definition(Recovery.FORWARD))
    assert [r.status for r in await finisher.reconcile()] == ["done"]


async def test_a_forward_saga_cancelled_by_the_person_is_undone(tmp_path: Path) -> None:
    runner = runner_for(tmp_path, recovery=Recovery.FORWARD, hang_at=1)
    runtime = SagaRuntime()
    task = asyncio.create_task(runner.run("demo", {"root": str(tmp_path)}, "demo", runtime))
    runtime.control.attach(task)  # type: ignore[arg-type]
    while not (tmp_path / "hanging").exists():
        await asyncio.sleep(0.01)
    runtime.control.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert runner.journal.list()[0].status == "rolled_back" and not list(tmp_path.glob("step*"))


async def test_the_runtime_reaches_every_step(tmp_path: Path) -> None:
    seen: list[object] = []

    def build(params: dict) -> list[Step]:
        async def report(ctx: SagaContext) -> None:
            ctx.runtime.report(("step", ctx.params["n"]))

        return [Step("report", report)]

    runner = SagaRunner(Journal(tmp_path / "journal.sqlite3"))
    runner.register(SagaDefinition("reporting", build))
    await runner.run("reporting", {"n": 1}, "report", SagaRuntime(seen.append))
    assert seen == [("step", 1)]


class _CancelledAsWritten(Journal):
    """A journal whose `begin` is answered by a cancel: the quit lands just as the run's record (and
    its lock) is written, before the run resumes, as it can on a loaded machine."""

    loop: asyncio.AbstractEventLoop
    cancel: Callable[[], None]

    def begin(self, *args: Any, **kwargs: Any) -> str:
        saga_id = super().begin(*args, **kwargs)
        self.loop.call_soon_threadsafe(self.cancel)  # before the result reaches the run
        return saga_id


@pytest.mark.parametrize("recovery", [Recovery.ROLLBACK, Recovery.FORWARD])
async def test_a_cancel_landing_as_the_run_is_journalled_undoes_it(
    tmp_path: Path, recovery: Recovery
) -> None:
    """A person's cancel (the sandbox demo at quit) right as the record is written: the run is undone,
    not left `running` with its lock held for a next start; an interruption of a FORWARD kind is left
    to be finished, its lock released so the next start sees it."""
    journal = _CancelledAsWritten(tmp_path / "journal.sqlite3")
    journal.loop = asyncio.get_running_loop()
    runner = SagaRunner(journal, actor="alice")
    runner.register(definition(recovery))
    runtime = SagaRuntime()
    task = asyncio.create_task(runner.run("demo", {"root": str(tmp_path)}, "demo", runtime))

    def quit_now() -> None:
        if recovery is Recovery.ROLLBACK:
            runtime.control.cancel()  # asked for: undone
        task.cancel()

    journal.cancel = quit_now
    with pytest.raises(asyncio.CancelledError):
        await task
    (record,) = journal.list()
    assert not list(tmp_path.glob("step*")) and not list((tmp_path / "sagas").glob("*.lock"))
    if recovery is Recovery.ROLLBACK:
        assert record.status == "rolled_back"
    else:
        assert record.status == "running" and journal.orphaned(record)
