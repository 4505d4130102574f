"""Named asyncio tasks of one presenter: strong references, failures to the message channel, and
`replace=True` so a new run of the same work cancels the stale one.

`start("members-load", coro, replace=True)` is how a presenter loads something for the current selection:
if the person selects another application before the previous load finished, that load is cancelled
(its results can no longer land on the page), instead of racing the new one. `stop()` cancels and
awaits everything (a profile switch, sign-out, quit).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from hyperota_desktop.ui.messages import MessageChannel

log = logging.getLogger("hyperota.ui.tasks")


class PresenterTasks:
    def __init__(self, messages: MessageChannel) -> None:
        self._messages = messages
        self._tasks: set[asyncio.Task[Any]] = set()
        self._named: dict[str, asyncio.Task[Any]] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def start(
        self, name: str, coro: Coroutine[Any, Any, Any], *, replace: bool = False
    ) -> asyncio.Task[Any] | None:
        """Run `coro` as a task named `name`; with `replace`, cancel the running task of that name first.
        Without a running loop (widget tests) the work is dropped."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            coro.close()
            log.debug("no running event loop for %s", name)
            return None
        if replace:
            self.cancel(name)
        task = loop.create_task(coro, name=name)
        self._tasks.add(task)
        self._named[name] = task
        task.add_done_callback(self._finished)
        return task

    def running(self, name: str) -> bool:
        task = self._named.get(name)
        return task is not None and not task.done()

    def get(self, name: str) -> asyncio.Task[Any] | None:
        """The running task of that name, if any."""
        task = self._named.get(name)
        return task if task is not None and not task.done() else None

    def cancel(self, *names: str) -> None:
        for name in names:
            task = self._named.get(name)
            if task is not None and not task.done():
                task.cancel()

    async def cancel_and_wait(self, name: str) -> None:
        """Cancel the task of that name and wait until it has ended (its cleanup included)."""
        task = self._named.get(name)
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def stop(self) -> None:
        """Cancel every task and wait until they (and what they start meanwhile) are gone."""
        while self._tasks:
            self.cancel_all()
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if self._named.get(task.get_name()) is task:
            del self._named[task.get_name()]
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self._messages.error(exc)

    async def wait_idle(self) -> None:
        """Await every running task, including those they start (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
