"""Named asyncio tasks of one presenter: kept alive by strong references, failures to the message channel."""

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

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any] | None:
        """Run `coro` as a task named `name`; without a running loop (widget tests) it is dropped."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            coro.close()
            log.debug("no running event loop for %s", name)
            return None
        task = loop.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self._messages.error(exc)

    async def wait_idle(self) -> None:
        """Await every running task, including those they start (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
