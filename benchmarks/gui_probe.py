"""Launcher of a measured GUI process: `python gui_probe.py REPORT MODE [ARGS...]`.

It installs, before anything else, a probe that notes the first paint of any window (the end of the
first Paint event's cycle, when the pixels went to the X server), with the modules loaded at that
moment, as JSON lines in REPORT; then it runs:

- `bare`: a bare PySide6 main window (the peer of the cold start);
- `app ARGS...`: `hyperota-desktop ARGS...` exactly as its entry point does;
- `publish ORG APP FOLDER`: `hyperota-desktop` on the active (signed-in) profile, driven as a person
  would: select the application, drop FOLDER, confirm, publish. A coroutine on the app's own event loop
  (qasync) sleeps 10 ms in a loop and records how late it wakes: idle for `BENCH_IDLE_S` first (the
  loop's own jitter on this machine), then during the publish. The app then quits through its normal
  shutdown. A watchdog thread notes, for each tick over 30 ms late, the UI thread's innermost frames,
  what the other threads were in, and where the kernel sees the UI thread every 5 ms (`ui_kernel`:
  its state, `wchan` and system call from `/proc/self/task/TID`, e.g. `S futex_do_wait futex`, asleep
  on a lock such as the GIL, or `R 0 running`, on a CPU or waiting for one). With
  `BENCH_STALL_STACKS=FILE`, every tick over 60 ms late appends every thread's stack to FILE, taken
  by faulthandler without the GIL (so a thread holding it is seen holding it). A diagnosis only,
  never in `make bench`: reading the other threads' frames without the GIL is unsafe (one GUI process
  of about 15 with it ended with SIGSEGV). With `BENCH_UI_SLICES=FILE`, what the UI thread runs from
  the drop until `BENCH_UI_SLICES_S` (3) seconds after the publish started, slice by slice
  (`ui_slices.py`; a diagnosis too: the hook slows the UI thread down; `BENCH_UI_SLICES_MODE=handles`:
  the real length of each asyncio callback instead, named by its coroutine, without the slow-down).

Times are `time.monotonic()` (CLOCK_MONOTONIC: comparable between processes), so the parent measures
from just before it spawned the process.
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
import threading
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

REPORT = Path(sys.argv[1])
WATCHED = (
    "boto3", "botocore", "httpx", "authlib", "joserfc", "jsonschema", "keyring", "moto", "werkzeug",
    "superposition_bindings", "hyperota_desktop.sandbox", "hyperota_desktop.services",
)  # fmt: skip


def report(event: str, **fields: Any) -> None:
    with REPORT.open("a") as fh:
        fh.write(json.dumps({"event": event, "t": time.monotonic(), **fields}) + "\n")


# x86-64 numbers of the system calls a waiting UI thread is seen in (`/proc/.../syscall`)
SYSCALLS = {"0": "read", "1": "write", "7": "poll", "20": "writev", "23": "select", "202": "futex",
            "232": "epoll_wait", "271": "ppoll", "230": "clock_nanosleep", "running": "running"}  # fmt: skip


class _FirstPaint(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.seen = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.seen and event.type() == QEvent.Type.Paint:
            self.seen = True
            QTimer.singleShot(0, self._painted)  # after this paint cycle and its flush
        return False

    def _painted(self) -> None:
        loaded = sorted(m for m in WATCHED if m in sys.modules)
        report("first-paint", modules=loaded, module_count=len(sys.modules), cpu_s=time.process_time())
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


_probe = _FirstPaint()
_show = QWidget.show


def _show_and_watch(self: QWidget) -> None:
    app = QApplication.instance()
    if app is not None and not _probe.seen:
        app.installEventFilter(_probe)
    _show(self)


QWidget.show = _show_and_watch  # type: ignore[method-assign]


def bare() -> int:
    from PySide6.QtWidgets import QMainWindow

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("bare")
    window.resize(1200, 760)
    window.show()
    return app.exec()


def app_main(argv: list[str]) -> int:
    from hyperota_desktop.app.gui_entry import main

    return main(argv)


def publish(org: str, app_name: str, folder: str) -> int:
    import asyncio

    import hyperota_desktop.app.gui_composition as composition

    idle_s = float(os.environ.get("BENCH_IDLE_S", "3"))
    stacks = os.environ.get("BENCH_STALL_STACKS")  # a file for every thread's stack at late ticks
    dump = open(stacks, "a") if stacks else None  # noqa: SIM115 - for the process's life
    slices_to = os.environ.get("BENCH_UI_SLICES")  # a file for the UI thread's slices (ui_slices.py)
    slices_file = open(slices_to, "a") if slices_to else None  # noqa: SIM115 - for the process's life
    build = composition.build_gui

    def build_and_drive(*args: Any, **kwargs: Any) -> Any:
        gui = build(*args, **kwargs)
        QTimer.singleShot(0, lambda: asyncio.ensure_future(drive(gui)))
        return gui

    async def drive(gui: Any) -> None:
        import gc

        worst = {"now": 0.0, "at": 0.0}
        stop = asyncio.Event()
        collections = {"longest": 0.0, "full": 0, "started": 0.0, "busy": 0}
        full: list[dict[str, Any]] = []  # every full collection: when, how long, over how many objects

        def on_gc(
            phase: str, info: dict[str, Any]
        ) -> None:  # explains a stall: how long each collection took
            collections["busy"] = phase == "start"
            if phase == "start":
                if info.get("generation") == 2:
                    full.append({"objects": len(gc.get_objects(2)), "frozen": gc.get_freeze_count()})
                collections["started"] = time.monotonic()
                return
            took = time.monotonic() - collections["started"]
            collections["longest"] = max(collections["longest"], took)
            if info.get("generation") == 2:
                collections["full"] += 1
                full[-1].update(at_s=round(time.monotonic() - started, 2), ms=round(took * 1000, 1),
                                collected=info.get("collected", 0))  # fmt: skip

        beat = {"t": time.monotonic()}
        seen: list[dict[str, Any]] = []  # what the UI thread was running when it was late (> 40 ms)
        ui_thread = threading.get_ident()

        ui_task = Path(f"/proc/self/task/{threading.get_native_id()}")  # the UI thread, for the kernel

        def in_kernel() -> str:
            """Where the UI thread is, as the kernel sees it (Linux): its state (R running or runnable,
            S sleeping, D waiting for the disk), the kernel function it sleeps in and its system call,
            e.g. `S futex_wait_queue futex` (a lock: the GIL, a mutex) or `S do_sys_poll poll` (idle)."""
            try:
                state = (ui_task / "stat").read_text().rsplit(")", 1)[1].split()[0]
                wchan = (ui_task / "wchan").read_text().strip() or "-"
                call = (ui_task / "syscall").read_text().split()[0]
            except (OSError, IndexError):
                return "?"
            return f"{state} {wchan} {SYSCALLS.get(call, call)}"

        def watchdog() -> None:
            me = threading.get_ident()
            flagged, sampled = 0.0, 0.0
            kernel: Counter[str] = Counter()  # the current late tick's samples of `in_kernel()`
            while not stop.is_set():
                time.sleep(0.005)
                tick = beat["t"]  # read once: the UI thread starts the next tick at any moment
                late = time.monotonic() - tick
                if late > 0.025:  # a tick over 15 ms late: sample where the UI thread waits, every 5 ms
                    if tick != sampled:
                        sampled, kernel = tick, Counter()
                    kernel[in_kernel()] += 1
                if seen and tick == flagged:
                    seen[-1]["late_ms"] = round(late * 1000)  # the stall goes on
                if late > 0.04 and tick != flagged:
                    flagged = tick
                    frames = sys._current_frames()
                    frame = frames.get(ui_thread)
                    stack = traceback.extract_stack(frame)[-3:] if frame is not None else []
                    where = [f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in stack]  # innermost last
                    # what the other threads were in (innermost Python function): socket calls wait
                    # without the GIL, anything else (signing, parsing, hashing glue) runs Python
                    others = Counter(f"{Path(f.f_code.co_filename).name}:{f.f_code.co_name}"
                                     for tid, f in frames.items() if tid not in (ui_thread, me))  # fmt: skip
                    seen.append({"at_s": round(time.monotonic() - started, 2), "late_ms": round(late * 1000),
                                 "gc": bool(collections["busy"]), "stack": where,
                                 "others": dict(others.most_common(5)), "ui_kernel": kernel})  # fmt: skip

        schedstat = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")  # the UI thread's

        def scheduled() -> tuple[int, int]:
            """Nanoseconds the UI thread has run on a CPU, and waited runnable for one (Linux)."""
            try:
                on_cpu, waiting, _slices = schedstat.read_text().split()
                return int(on_cpu), int(waiting)
            except (OSError, ValueError):
                return 0, 0

        async def ticker() -> None:
            loop = asyncio.get_running_loop()
            while not stop.is_set():
                beat["t"] = time.monotonic()
                before, (cpu0, queued0) = loop.time(), scheduled()
                if dump is not None:  # every thread's stack if this tick is > 60 ms late, taken without
                    faulthandler.dump_traceback_later(0.07, file=dump)  # the GIL (who holds it?)
                await asyncio.sleep(0.01)
                if dump is not None:
                    faulthandler.cancel_dump_traceback_later()
                late = loop.time() - before - 0.01
                if late > worst["now"]:
                    cpu1, queued1 = scheduled()
                    worst["now"], worst["at"] = late, time.monotonic()
                    # the tick's 10 ms + `late`, split: the UI thread on a CPU, runnable but waiting for
                    # one (the machine's load), and the rest (sleeping: its timer, or the GIL)
                    worst["on_cpu_ms"] = round((cpu1 - cpu0) / 1e6, 1)
                    worst["run_queue_ms"] = round((queued1 - queued0) / 1e6, 1)

        async def until(condition: Any) -> None:
            while not condition():  # noqa: ASYNC110 - polls the GUI's state as a person watches it
                await asyncio.sleep(0.01)

        try:
            await until(lambda: gui.auth.identity is not None)  # signed in from the keyring at start
            tick = asyncio.ensure_future(ticker())
            await asyncio.sleep(idle_s)
            idle = worst["now"]
            presenter = gui.packages
            presenter.select(org, app_name)
            published: list[int] = []
            presenter.published.connect(published.append)
            worst["now"] = 0.0
            started = time.monotonic()
            gc.callbacks.append(on_gc)
            watching = threading.Thread(target=watchdog, daemon=True)
            watching.start()
            if slices_file is not None:  # a diagnosis: what the UI thread runs, from the drop on
                from ui_slices import HandleTimes, UiSlices  # beside this script (on sys.path)

                light = os.environ.get("BENCH_UI_SLICES_MODE") == "handles"  # real lengths, no names
                tracer = (HandleTimes if light else UiSlices)(slices_file, started)
                tracer.start()
                limit = float(os.environ.get("BENCH_UI_SLICES_S", "3"))
            presenter.dropped([folder])
            await until(lambda: presenter.preflight is not None)
            checked = time.monotonic()
            presenter.review("")
            presenter.publish()
            if slices_file is not None:
                asyncio.get_running_loop().call_later(limit, tracer.stop)
            await until(lambda: bool(published))
            done = time.monotonic()
            stop.set()
            await tick
            gc.callbacks.remove(on_gc)
            report("published", version=published[0], idle_stall_s=idle, stall_s=worst["now"],
                   stall_at_s=worst["at"] - started,
                   stall_on_cpu_ms=worst.get("on_cpu_ms"), stall_run_queue_ms=worst.get("run_queue_ms"),
                   preflight_s=checked - started,
                   publish_s=done - checked, gc_longest_s=collections["longest"],
                   gc_full_collections=collections["full"], gc_full=full,
                   late=[{**x, "ui_kernel": dict(x["ui_kernel"].most_common(4))}
                         for x in sorted(seen, key=lambda x: -x["late_ms"])[:3]])  # fmt: skip
        except BaseException as exc:
            report("failed", error=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            QApplication.quit()

    composition.build_gui = build_and_drive
    return app_main(["--no-err-windows"])


if __name__ == "__main__":
    mode, rest = sys.argv[2], sys.argv[3:]
    if mode == "bare":
        sys.exit(bare())
    if mode == "app":
        sys.exit(app_main(rest))
    if mode == "publish":
        sys.exit(publish(*rest))
    sys.exit(f"unknown mode {mode}")
