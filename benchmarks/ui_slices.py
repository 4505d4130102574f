"""What the UI thread runs, slice by slice: a diagnosis for the GUI probe (`BENCH_UI_SLICES=FILE`).

A slice is one call from the Qt event loop into Python (a timer, a slot, an asyncio callback that
qasync runs, an event filter): a `sys.setprofile` hook on the UI thread only (other threads are not
traced) notes when each call whose caller is the loop's `run_forever` frame starts and returns, and,
inside it, the cumulative time of each of our own functions (`hyperota_desktop`, Qt models and views
included). Slices of at least `min_ms` are written as JSON lines: start (seconds from `origin`),
duration, the slice's function and its five most expensive functions of ours. The hook slows Python
down a few times over: read the slices for *what* runs and in which order, not for their exact length.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

OURS = "hyperota_desktop"


def _name(frame: FrameType) -> str:
    code = frame.f_code
    return f"{Path(code.co_filename).name}:{code.co_qualname}"


class UiSlices:
    def __init__(self, out: TextIO, origin: float, min_ms: float = 2.0) -> None:
        self._out, self._origin, self._min = out, origin, min_ms / 1000
        self._base: FrameType | None = None
        self._top: FrameType | None = None  # the slice's own frame
        self._started = 0.0
        self._stack: list[tuple[FrameType, float]] = []
        self._spent: Counter[str] = Counter()

    def start(self) -> None:
        frame: FrameType | None = sys._getframe()
        while frame is not None and frame.f_code.co_name != "run_forever":
            frame = frame.f_back
        self._base = frame
        sys.setprofile(self._hook)

    def stop(self) -> None:
        sys.setprofile(None)
        self._out.flush()

    def _hook(self, frame: FrameType, event: str, _arg: Any) -> None:
        if event == "call":
            now = time.monotonic()
            if self._top is None and frame.f_back is self._base:
                self._top, self._started, self._spent = frame, now, Counter()
                self._stack = []
            elif self._top is not None and OURS in frame.f_code.co_filename:
                self._stack.append((frame, now))
        elif event == "return":
            now = time.monotonic()
            if frame is self._top:
                took = now - self._started
                if took >= self._min:
                    self._out.write(json.dumps({
                        "at_s": round(self._started - self._origin, 3), "ms": round(took * 1000, 1),
                        "slice": _name(frame),
                        "ours": {k: round(v * 1000, 1) for k, v in self._spent.most_common(6)},
                    }) + "\n")  # fmt: skip
                self._top = None
            elif self._stack and self._stack[-1][0] is frame:
                _frame, began = self._stack.pop()
                self._spent[_name(frame)] += now - began


class HandleTimes:
    """The real length of every asyncio callback the UI thread runs (no profile hook: `Handle._run`
    timed), named by the coroutine a task step resumes: what `UiSlices` names, without its slow-down.
    Qt's own slots and paints are not asyncio callbacks: they fall between the handles."""

    def __init__(self, out: TextIO, origin: float, min_ms: float = 2.0) -> None:
        self._out, self._origin, self._min = out, origin, min_ms / 1000
        self._run: Any = None

    def start(self) -> None:
        import asyncio.events

        self._run = run = asyncio.events.Handle._run
        out, origin, least = self._out, self._origin, self._min

        def timed(handle: asyncio.events.Handle) -> None:
            began = time.monotonic()
            run(handle)
            took = time.monotonic() - began
            if took >= least:
                task = getattr(handle._callback, "__self__", None)
                coro = getattr(task, "get_coro", lambda: None)()
                name = getattr(coro, "__qualname__", None) or repr(handle._callback)[:80]
                out.write(json.dumps({"at_s": round(began - origin, 3), "ms": round(took * 1000, 1),
                                      "handle": name}) + "\n")  # fmt: skip

        asyncio.events.Handle._run = timed  # type: ignore[method-assign]

    def stop(self) -> None:
        import asyncio.events

        if self._run is not None:
            asyncio.events.Handle._run = self._run  # type: ignore[method-assign]
        self._out.flush()
