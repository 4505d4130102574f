"""Named points in long operations that a test can watch: inert unless a listener is registered.

The reliability suite (`tests/reliability/`) kills the real `hyperota` process with SIGKILL at chosen
points, so every point must be reached the same way on every run:

- `saga.step.start` (kind, step, idx): the journal says the step is running; it has done nothing yet.
- `saga.step.end` (kind, step, idx): the step did its work; the journal does not know it yet.
- `saga.undo.start` / `saga.undo.end` (kind, step, idx): likewise while a step is compensated.
- `upload.part` (key, part, stored): a multipart part is stored in S3 and checkpointed; `stored`
  counts the parts this process stored so far.

Nothing in the application registers a listener: `reached()` loops over an empty tuple. Only a test
entry point does (`tests/support/crash_cli.py`, which runs the CLI and SIGKILLs it at the point named
in `HYPEROTA_CRASH_AT`), so no environment variable or setting can make a user's process stop here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

Listener = Callable[[str, dict[str, Any]], None]

_listeners: tuple[Listener, ...] = ()
_lock = threading.Lock()


def reached(point: str, **facts: Any) -> None:
    """Tell the listeners (none, in the application) that `point` is reached."""
    for listener in _listeners:
        listener(point, facts)


def listen(listener: Listener) -> Callable[[], None]:
    """Register a listener (tests only); returns the function that removes it."""
    global _listeners
    with _lock:
        _listeners = (*_listeners, listener)

    def remove() -> None:
        global _listeners
        with _lock:
            _listeners = tuple(item for item in _listeners if item is not listener)

    return remove
