"""Progress, pause/resume and cancel of long transfers (hashing, uploads), shared by CLI and GUI.

`TransferControl` is handed to a running publish: `pause()` lets parts in flight finish and holds new
ones; `resume()` releases them; `cancel()` stops the work and makes the uploader abort its unfinished
multipart uploads (a crash or a plain task cancellation keeps them, checkpointed, for a later resume).
`ProgressMeter` turns byte counts into snapshots with speed and time left for a callback.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hyperota_desktop.domain.errors import Cancelled

T = TypeVar("T")


class TransferControl:
    def __init__(self) -> None:
        self._running = asyncio.Event()
        self._running.set()
        self.cancelled = False
        self._tasks: set[asyncio.Task[object]] = set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        self.cancelled = True
        self._running.set()
        for task in list(self._tasks):
            task.cancel()

    def attach(self, task: asyncio.Task[object]) -> None:
        """Cancel this task on `cancel()` (the publish task, so blocked awaits stop at once)."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if self.cancelled:
            task.cancel()

    async def checkpoint(self) -> None:
        """Wait while paused; raise Cancelled once cancelled. Called before each file or part."""
        await self._running.wait()
        if self.cancelled:
            raise Cancelled("The publish was cancelled.")


@dataclass(frozen=True)
class FileProgress:
    path: str
    done: int
    total: int
    state: str  # queued | hashing | uploading | skipped | done | resumed


@dataclass(frozen=True)
class ProgressSnapshot:
    phase: str  # hashing | uploading | verifying | writing manifest
    done: int
    total: int
    bytes_per_second: float
    seconds_left: float | None
    files_done: int
    files_total: int
    current: tuple[FileProgress, ...] = ()
    paused: bool = False
    finished: tuple[str, ...] = ()  # files finished since the previous snapshot (each reported once)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


ProgressCallback = Callable[[ProgressSnapshot], None]


@dataclass
class ProgressMeter:
    """Counts bytes of one phase and reports at most every `interval` seconds (and on completion)."""

    phase: str
    total: int
    files_total: int
    callback: ProgressCallback | None = None
    control: TransferControl | None = None
    interval: float = 0.1
    done: int = 0
    files_done: int = 0
    _files: dict[str, FileProgress] = field(default_factory=dict)
    _finished: list[str] = field(default_factory=list)  # since the last snapshot sent to `callback`
    _samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=64))
    _last_emit: float = 0.0

    def file(self, path: str, done: int, total: int, state: str) -> None:
        if state in ("done", "skipped"):
            self._files.pop(path, None)
            self._finished.append(path)
        else:
            self._files[path] = FileProgress(path, done, total, state)
        self._emit()

    def advance(self, nbytes: int, *, file_finished: bool = False) -> None:
        self.done += nbytes
        if file_finished:
            self.files_done += 1
        self._emit()

    def speed(self) -> float:
        now = time.monotonic()
        while len(self._samples) > 2 and now - self._samples[0][0] > 5.0:
            self._samples.popleft()
        if len(self._samples) < 2:
            return 0.0
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0

    def snapshot(self) -> ProgressSnapshot:
        speed = self.speed()
        left = (self.total - self.done) / speed if speed > 0 else None
        return ProgressSnapshot(
            phase=self.phase,
            done=self.done,
            total=self.total,
            bytes_per_second=speed,
            seconds_left=left,
            files_done=self.files_done,
            files_total=self.files_total,
            current=tuple(self._files.values())[:8],
            paused=bool(self.control and self.control.paused),
            finished=tuple(self._finished),
        )

    def _emit(self, *, force: bool = False) -> None:
        now = time.monotonic()
        self._samples.append((now, self.done))
        complete = self.done >= self.total and self.files_done >= self.files_total
        if self.callback and (force or complete or now - self._last_emit >= self.interval):
            self._last_emit = now
            snapshot = self.snapshot()
            self._finished.clear()
            self.callback(snapshot)

    def flush(self) -> None:
        self._emit(force=True)


async def run_all(coros: list[Coroutine[Any, Any, None]]) -> None:
    """Run coroutines concurrently; on the first failure cancel the rest, wait for them, re-raise it."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def run_bounded(items: Iterable[T], work: Callable[[T], Awaitable[None]], limit: int) -> None:
    """`work(item)` for every item, in order, by at most `limit` worker tasks (failure: as `run_all`).

    A few workers instead of one task per item: a bundle of thousands of files no longer parks thousands
    of tasks (and their futures) on a semaphore. Those long-lived objects made the loop step through
    them in bursts and, worse, triggered full garbage collections that stop every thread (loop stalls).
    """
    pending = iter(items)

    async def worker() -> None:
        for item in pending:
            await work(item)

    await run_all([worker() for _ in range(max(1, limit))])
