"""Worker threads for blocking calls, in two pools so that short calls never wait behind long transfers.

- `transfer(...)`: boto3 requests (8 MiB part uploads, listings, manifest reads) and reading or hashing
  local files. Sized for the parallel part uploads (setting `upload/parallel_parts`) plus the listings
  and reads that run beside them.
- `short(...)`: SQLite (journal, upload checkpoints, hash cache) and other calls that take milliseconds.

With `asyncio.to_thread` both shared the loop's one default pool, where a journal write queued behind
eight part uploads. The composition root builds one `Workers` per run and shuts it down last; a
`Workers()` without pools (tests that build a service by hand) uses the loop's default pool for both.

`background_nice` (the GUI's): the pools' threads run at that lower priority (Linux; each thread is
a task there), so that on a busy machine the UI thread gets a CPU before the app's own background
work: the GUI's longest event-loop stalls under load were the UI thread waiting, runnable, for a CPU
(benchmarks/gui_probe.py measures it), not the GIL.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Workers:
    transfers: ThreadPoolExecutor | None = None
    shorts: ThreadPoolExecutor | None = None

    @classmethod
    def create(cls, *, transfer_threads: int, short_threads: int = 4, background_nice: int = 0) -> Workers:
        start = functools.partial(lower_priority, background_nice)
        return cls(
            ThreadPoolExecutor(
                max(1, transfer_threads), thread_name_prefix="hyperota-transfer", initializer=start
            ),
            ThreadPoolExecutor(max(1, short_threads), thread_name_prefix="hyperota-short", initializer=start),
        )

    async def transfer(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(*args, **kwargs)` on the transfer pool."""
        return await _run(self.transfers, fn, *args, **kwargs)

    async def short(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(*args, **kwargs)` on the pool for short blocking calls (SQLite, keyring)."""
        return await _run(self.shorts, fn, *args, **kwargs)

    def shutdown(self) -> None:
        """Drop queued calls, wait for running ones and stop the threads (blocking)."""
        for pool in (self.transfers, self.shorts):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    async def aclose(self) -> None:
        """`shutdown()` without blocking the loop: a part upload still in a thread when the app quits
        may take a while to end, and the loop keeps serving the window meanwhile."""
        await asyncio.to_thread(self.shutdown)


def lower_priority(nice: int) -> None:
    """Lower the calling thread's priority by `nice` (Linux only: elsewhere a priority is the whole
    process's, and the UI thread must keep its own)."""
    if nice > 0 and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):  # lowering never needs a privilege; a sandbox may refuse
            own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, own + nice))


async def _run(
    pool: ThreadPoolExecutor | None, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    context = contextvars.copy_context()  # as asyncio.to_thread does
    call = functools.partial(context.run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(pool, call)


async def landed_before_cancel(write: Awaitable[T], *, on_cancel: Callable[[], None] | None = None) -> T:
    """Await a step's write; a cancel meanwhile waits for the write to end before it is raised. A write
    runs on a worker thread that a cancel does not stop: raised at once, the undo would look at S3 before
    the write lands, and the write would then land under a run recorded as undone. `on_cancel` (called
    once, at the first cancel) may ask the thread to stop early, as a download does between chunks."""
    task = asyncio.ensure_future(write)
    stop: asyncio.CancelledError | None = None
    while not task.done():
        try:
            await asyncio.wait({task})  # a cancel stops this wait, never the write
        except asyncio.CancelledError as exc:  # a second cancel too: still waits for the write
            if stop is None and on_cancel is not None:
                on_cancel()
            stop = exc
    if stop is not None:
        # The write's own outcome is for the undo to find, not to report; read here so that asyncio
        # does not log it as never retrieved.
        _ = task.cancelled() or task.exception()
        raise stop
    return task.result()
