"""Entry point of the `hyperota-desktop` GUI (also `python -m hyperota_desktop`).

Lifetimes, in order: logging (with faulthandler and Qt's own messages), services, QApplication, an
`asyncio.Runner` whose loop is qasync's (the loop factory), the window. The app runs one coroutine,
`_run`, until a quit is asked (window closed, Quit, Ctrl+C/SIGTERM): then running work is cancelled and
awaited, the services are closed, and only then the runner closes the loop (remaining tasks, async
generators, executors). Qt never quits on its own when the window closes: the shutdown decides.
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import gc
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from hyperota_desktop import __version__
from hyperota_desktop.app.directories import resolve_dirs
from hyperota_desktop.app.logging_setup import LEVELS, setup_logging

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from hyperota_desktop.app.gui_composition import Gui
    from hyperota_desktop.app.sandbox_session import SandboxSession
    from hyperota_desktop.app.signals import QuitRequests

log = logging.getLogger("hyperota.app")


def build_arg_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hyperota-desktop", description="HyperOTA Desktop (GUI).")
    parser.add_argument("--version", action="version", version=f"hyperota-desktop {__version__}")
    parser.add_argument(
        "--profile-dir", metavar="DIR", help="folder for everything the app writes (env HYPEROTA_HOME)"
    )
    parser.add_argument("--log-level", choices=LEVELS, help="log file level")
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_arg_parser().parse_args(argv if argv is not None else sys.argv[1:])
    # Qt is imported only now, so `--help`/`--version` work without a display.
    import qasync
    from PySide6.QtWidgets import QApplication

    from hyperota_desktop.app.container import build_services
    from hyperota_desktop.app.crash import install_excepthook
    from hyperota_desktop.app.gui_composition import build_gui
    from hyperota_desktop.app.qt_logging import restore_qt_messages, route_qt_messages
    from hyperota_desktop.app.signals import quit_on_signals
    from hyperota_desktop.app.theme import apply_theme

    dirs = resolve_dirs(args.profile_dir).ensure()
    services = build_services(dirs, profile_override="sandbox" if args.sandbox else None)
    log_file = setup_logging(dirs.logs, args.log_level or services.settings.get("log/level"))
    faults = _enable_faulthandler(log_file.with_name("faults.log"))
    previous_qt_handler = route_qt_messages()
    log.info("starting hyperota-desktop %s, log file %s", __version__, log_file)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("hyperota-desktop")
    app.setApplicationDisplayName("HyperOTA Desktop")
    app.setOrganizationName("HyperOTA")
    app.setQuitOnLastWindowClosed(False)  # closing the window asks for the shutdown below instead
    apply_theme(app, services.settings.get("ui/theme"))
    install_excepthook(show_dialogs=not args.no_err_windows)
    quit_requested = quit_on_signals(app)  # Ctrl+C / SIGTERM close the window cleanly (the sandbox too)
    sandbox = None
    try:
        from hyperota_desktop.app import sandbox_session

        if args.sandbox:  # temporary `sandbox` profile, active for this run
            sandbox = sandbox_session.SandboxSession.start_now(services)
        elif sandbox_session.available():  # the welcome page can start one
            sandbox = sandbox_session.SandboxSession(services)
        gui = build_gui(services, error_dialogs=not args.no_err_windows, sandbox=sandbox)
        gui.window.show()
        # Start-up objects (Qt wrappers, boto3/botocore models) live for the whole run: moving them out of
        # the collector's reach keeps full collections short, which would otherwise stall the UI.
        gc.freeze()
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            main_task = runner.get_loop().create_task(
                _run(app, gui, quit_requested, sandbox, args.screenshot)
            )
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
        _stop_sandbox(sandbox)
        faulthandler.disable()
        faults.close()
        restore_qt_messages(previous_qt_handler)
    log.info("hyperota-desktop stopped")
    return 0


async def _run(
    app: QApplication,
    gui: Gui,
    requests: QuitRequests,
    sandbox: SandboxSession | None,
    screenshot: Path | None = None,
) -> None:
    """The app's one coroutine: runs until a quit is asked, then shuts down (work, then services).

    With `--sandbox` it also makes the demo content in the background; a demo still being made at quit
    is cancelled, and what it was doing undone, before the services and then the sandbox go."""
    quit_event = asyncio.Event()
    requests.requested.connect(quit_event.set)
    if requests.asked:  # a signal arrived while the app was starting
        quit_event.set()
    app.aboutToQuit.connect(quit_event.set)  # Qt's loop ended regardless (see main)
    gui.window.closeRequested.connect(quit_event.set)
    gui.auth.restore()  # who is signed in (from the keyring), now that the loop runs
    if sandbox is not None and sandbox.boot is not None:
        sandbox.boot.start_demo()  # demo/shop with packages and releases, made as alice in the background
    if screenshot is not None:
        asyncio.get_running_loop().create_task(_screenshot(gui, screenshot, quit_event))
    await quit_event.wait()
    log.info("quitting: stopping running work, then closing the services")
    gui.window.hide()
    if sandbox is not None:
        await sandbox.cancel_demo()  # before the sandbox stops: what the demo was doing is undone
    await gui.shutdown()


async def _screenshot(gui: Gui, path: Path, done: asyncio.Event) -> None:
    """`--screenshot`: let the window lay out and paint, save it, then quit as a person would."""
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
