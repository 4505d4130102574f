"""Entry point of the `hyperota-desktop` GUI (also `python -m hyperota_desktop`).

Start-up paints the window first: `QApplication` and the bare main window (Qt and a few light modules
only: the settings for the theme, not yet the log file's handlers nor the redaction, which come right
after), shown and painted; then an `asyncio.Runner` whose loop is qasync's runs one coroutine,
`_run`, which loads the rest (the services, presenters and pages import boto3, httpx, the keyring, ...:
in a worker thread, so the window keeps repainting), builds the services and the GUI around the window
already on screen, and with `--sandbox` starts the sandbox (in a worker thread, "Starting the
sandbox…" in the status bar) before it connects to it. Nothing touches the network or the keyring
before the first paint.

The coroutine runs until a quit is asked (window closed, Quit, Ctrl+C/SIGTERM): then running work is
cancelled and awaited, the services are closed, and only then the runner closes the loop (remaining
tasks, async generators, executors). Qt never quits on its own when the window closes: the shutdown
decides. A quit asked while the app is still starting takes effect once it has started.
"""

from __future__ import annotations

import argparse
import faulthandler
import gc
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from hyperota_desktop import __version__
from hyperota_desktop.domain.settings import GUI_DEFAULTS, LOG_LEVELS

if TYPE_CHECKING:
    import asyncio

    from PySide6.QtWidgets import QApplication

    from hyperota_desktop.app.gui_composition import Gui
    from hyperota_desktop.app.sandbox_session import SandboxSession
    from hyperota_desktop.app.signals import QuitRequests
    from hyperota_desktop.stores.dirs import AppDirs
    from hyperota_desktop.ui.views.main_window import MainWindow

log = logging.getLogger("hyperota.app")
FIRST_PAINT_TIMEOUT_MS = 2000  # a platform that never paints (none known) must not hold the start
WORKER_NICE = 10  # worker threads below the UI thread: it gets a CPU first on a busy machine (P3)
# How long a thread waiting for the GIL waits before the running one must hand it over (Python's default:
# 5 ms). Qt calls into Python once per cell and role when it paints a table, each call taking the GIL
# again: while upload threads run Python (botocore) those waits add up (a table's repaint: 11-13 ms at
# 5 ms, 2-3 ms at 1 ms, docs/packages.md; P3). The workers switch a little more often.
GIL_SWITCH_S = 0.001


def build_arg_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hyperota-desktop", description="HyperOTA Desktop (GUI).")
    parser.add_argument("--version", action="version", version=f"hyperota-desktop {__version__}")
    parser.add_argument(
        "--profile-dir", metavar="DIR", help="folder for everything the app writes (env HYPEROTA_HOME)"
    )
    parser.add_argument("--log-level", choices=LOG_LEVELS, help="log file level")
    parser.add_argument(
        "--no-err-windows",
        action="store_true",
        help="log errors instead of showing dialogs (unexpected errors and error messages alike)",
    )
    parser.add_argument("--sandbox", action="store_true", help="start the embedded sandbox and connect to it")
    parser.add_argument(
        "--screenshot",
        metavar="PNG",
        type=Path,
        help="save a picture of the main window once it has settled, then quit (smoke tests)",
    )
    return parser


class _Started:
    """What `_run` built, for `main` to stop after the loop (the sandbox) even if start-up failed."""

    def __init__(self) -> None:  # not a dataclass: `dataclasses` is not needed before the first paint
        self.gui: Gui | None = None
        self.sandbox: SandboxSession | None = None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_arg_parser().parse_args(argv if argv is not None else sys.argv[1:])
    # Qt is imported only now, so `--help`/`--version` work without a display; only what the first
    # paint needs is imported before it (not asyncio, nor the crash dialog, nor the log file's handlers
    # and redaction: tens of milliseconds). Until the log file is set up, just after the first paint,
    # warnings go to stderr (Python's last-resort handler); native crashes go to faults.log already.
    from PySide6.QtWidgets import QApplication

    from hyperota_desktop.app.directories import resolve_dirs
    from hyperota_desktop.app.qt_logging import restore_qt_messages, route_qt_messages
    from hyperota_desktop.app.signals import QuitAwareApplication, quit_on_signals
    from hyperota_desktop.app.theme import apply_theme
    from hyperota_desktop.stores.settings import SettingsStore
    from hyperota_desktop.ui.views.main_window import MainWindow

    dirs = resolve_dirs(args.profile_dir).ensure()
    settings = SettingsStore(dirs.config / "settings.json", GUI_DEFAULTS)  # the services read it again
    faults = _enable_faulthandler(dirs.logs / "faults.log")  # ensure() made it, 0700
    previous_qt_handler = route_qt_messages()
    app = QApplication.instance() or QuitAwareApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("hyperota-desktop")
    app.setApplicationDisplayName("HyperOTA Desktop")
    app.setOrganizationName("HyperOTA")
    app.setQuitOnLastWindowClosed(False)  # closing the window asks for the shutdown below instead
    apply_theme(app, settings.get("ui/theme"))
    quit_requested = quit_on_signals(app)  # Ctrl+C / SIGTERM close the window cleanly (the sandbox too)
    window = MainWindow()
    window.set_error_dialogs(not args.no_err_windows)
    window.statusBar().showMessage("Starting the sandbox…" if args.sandbox else "Starting…")
    _show_and_paint(app, window)
    from hyperota_desktop.app.logging_setup import setup_logging

    log_file = setup_logging(dirs.logs, args.log_level or settings.get("log/level"))
    log.info("starting hyperota-desktop %s, log file %s", __version__, log_file)
    import asyncio

    import qasync

    from hyperota_desktop.app.crash import install_excepthook

    install_excepthook(show_dialogs=not args.no_err_windows)
    started = _Started()
    try:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            main_task = runner.get_loop().create_task(_run(app, window, quit_requested, args, dirs, started))
            for _attempt in range(3):
                try:
                    runner.run(_finish(main_task))
                    break
                except RuntimeError as exc:  # Qt's loop ended first (display gone, exit()): shut down
                    if main_task.done():
                        main_task.result()  # it finished all the same (or raise what it raised)
                        break
                    log.info("the Qt event loop ended (%s): finishing the shutdown", exc)
                    quit_requested.ask()  # also when it ended before the app listened (start-up)
            else:
                log.warning("the Qt event loop keeps ending: quitting without a clean shutdown")
    finally:
        _stop_sandbox(started.sandbox)
        faulthandler.disable()
        faults.close()
        restore_qt_messages(previous_qt_handler)
    log.info("hyperota-desktop stopped")
    return 0


def _show_and_paint(app: QApplication, window: MainWindow) -> None:
    """Show the window and run Qt's events until it has painted once (or a short timeout)."""
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
    from PySide6.QtWidgets import QWidget

    waiting = QEventLoop()

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            ours = isinstance(watched, QWidget) and watched.window() is window
            if ours and event.type() == QEvent.Type.Paint:
                QTimer.singleShot(0, waiting.quit)  # after this paint and its flush to the screen
            return False

    watcher = FirstPaint()
    app.installEventFilter(watcher)  # any widget of the window: the first one painted ends the wait
    QTimer.singleShot(FIRST_PAINT_TIMEOUT_MS, waiting.quit)
    window.show()
    waiting.exec()
    app.removeEventFilter(watcher)


def favour_ui_thread() -> None:
    """The UI thread waits at most `GIL_SWITCH_S` for the GIL when a worker thread holds it."""
    sys.setswitchinterval(GIL_SWITCH_S)


def _load_modules(sandbox: bool) -> None:
    """The services, presenters and pages (boto3, httpx, keyring, ...; with `--sandbox` moto too):
    imported in a worker thread while the window stays responsive. Blocking."""
    import hyperota_desktop.app.container
    import hyperota_desktop.app.gui_composition

    if sandbox:
        import hyperota_desktop.app.sandbox_boot
        import hyperota_desktop.sandbox.runtime  # noqa: F401


async def _run(
    app: QApplication,
    window: MainWindow,
    requests: QuitRequests,
    args: argparse.Namespace,
    dirs: AppDirs,
    started: _Started,
) -> None:
    """The app's one coroutine: starts everything behind the painted window (`_start`), runs until a
    quit is asked, then shuts down (work, then services).

    With `--sandbox` it starts the sandbox and then makes the demo content in the background; a demo
    still being made at quit is cancelled, and what it was doing undone, before the services and then
    the sandbox go."""
    import asyncio

    quit_event = asyncio.Event()
    requests.requested.connect(quit_event.set)
    if requests.asked:  # a signal arrived while the app was starting
        quit_event.set()

    def session_ending(*_args: object) -> None:  # logout/shutdown: nobody to ask; a publish pauses
        if started.gui is not None and started.gui.quit_guard is not None:
            started.gui.quit_guard.session_ending()

    app.commitDataRequest.connect(session_ending)
    app.aboutToQuit.connect(session_ending)
    app.aboutToQuit.connect(quit_event.set)  # Qt's loop ended regardless (see main)
    window.closeRequested.connect(quit_event.set)
    try:
        await _start(window, args, dirs, started)
        if args.screenshot is not None and started.gui is not None:
            asyncio.get_running_loop().create_task(_screenshot(started.gui, args.screenshot, quit_event))
        await quit_event.wait()
        log.info("quitting: stopping running work, then closing the services")
    finally:  # also when start-up failed: whatever was built is closed
        window.hide()
        if started.sandbox is not None:
            await started.sandbox.cancel_demo()  # before the sandbox stops: what the demo did is undone
        if started.gui is not None:
            await started.gui.shutdown()


async def _start(window: MainWindow, args: argparse.Namespace, dirs: AppDirs, started: _Started) -> None:
    """Everything behind the painted window: modules, services, GUI, the sandbox (`--sandbox`)."""
    import asyncio

    await asyncio.to_thread(_load_modules, args.sandbox)
    from hyperota_desktop.app import sandbox_session
    from hyperota_desktop.app.container import build_services
    from hyperota_desktop.app.gui_composition import build_gui

    favour_ui_thread()  # before the worker threads start
    services = build_services(
        dirs,
        profile_override="sandbox" if args.sandbox else None,
        background_nice=WORKER_NICE,
        setting_defaults=GUI_DEFAULTS,
    )
    if args.sandbox or sandbox_session.available():  # else a frozen build: no sandbox to offer
        started.sandbox = sandbox_session.SandboxSession(services)
    gui = started.gui = build_gui(
        services, window=window, error_dialogs=not args.no_err_windows, sandbox=started.sandbox
    )
    if args.sandbox and started.sandbox is not None:
        await started.sandbox.start_in_background()  # servers and their seeding: seconds, in a thread
        gui.offer_demo_people()
        gui.shell.refresh()
        await gui.use_active_profile()
    # Start-up objects (Qt wrappers, modules, boto3/botocore models) live for the whole run: moving them
    # out of the collector's reach keeps full collections short, which would otherwise stall the UI.
    gc.freeze()
    window.statusBar().clearMessage()
    gui.auth.restore()  # who is signed in (from the keyring), now that the loop runs
    if args.sandbox and started.sandbox is not None and started.sandbox.boot is not None:
        started.sandbox.boot.start_demo()  # demo/shop with packages and releases, made as alice


async def _screenshot(gui: Gui, path: Path, done: asyncio.Event) -> None:
    """`--screenshot`: let the window lay out and paint, save it, then quit as a person would."""
    import asyncio

    await asyncio.sleep(1.5)
    saved = gui.window.grab().save(str(path))
    log.info("screenshot %s: %s", "saved" if saved else "NOT saved", path)
    done.set()


async def _finish(task: asyncio.Task[None]) -> None:
    """Run the app's main task to its end (again, after Qt's loop ended early: it then shuts down)."""
    await task


def _enable_faulthandler(path: Path) -> IO[str]:
    """A crash in native code (Qt, SQLite) leaves the Python stacks of every thread in faults.log."""
    handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the whole run
    faulthandler.enable(file=handle, all_threads=True)
    return handle


def _stop_sandbox(sandbox: SandboxSession | None) -> None:
    if sandbox is not None:
        sandbox.stop()


if __name__ == "__main__":
    raise SystemExit(main())
