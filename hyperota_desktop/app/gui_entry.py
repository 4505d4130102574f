"""Entry point of the `hyperota-desktop` GUI (also `python -m hyperota_desktop`)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Sequence

from hyperota_desktop import __version__
from hyperota_desktop.app.directories import resolve_dirs
from hyperota_desktop.app.logging_setup import LEVELS, setup_logging

log = logging.getLogger("hyperota.app")


def build_arg_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hyperota-desktop", description="HyperOTA Desktop (GUI).")
    parser.add_argument("--version", action="version", version=f"hyperota-desktop {__version__}")
    parser.add_argument(
        "--profile-dir", metavar="DIR", help="folder for everything the app writes (env HYPEROTA_HOME)"
    )
    parser.add_argument("--log-level", choices=LEVELS, help="log file level")
    parser.add_argument(
        "--no-err-windows", action="store_true", help="log unexpected errors instead of dialogs"
    )
    parser.add_argument("--sandbox", action="store_true", help="start the embedded sandbox and connect to it")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_arg_parser().parse_args(argv if argv is not None else sys.argv[1:])
    # Qt is imported only now, so `--help`/`--version` work without a display.
    import qasync
    from PySide6.QtWidgets import QApplication

    from hyperota_desktop.app.container import build_services
    from hyperota_desktop.app.crash import install_excepthook
    from hyperota_desktop.app.gui_composition import build_gui
    from hyperota_desktop.app.signals import quit_on_signals
    from hyperota_desktop.app.theme import apply_theme

    dirs = resolve_dirs(args.profile_dir).ensure()
    services = build_services(dirs, profile_override="sandbox" if args.sandbox else None)
    log_file = setup_logging(dirs.logs, args.log_level or services.settings.get("log/level"))
    log.info("starting hyperota-desktop %s, log file %s", __version__, log_file)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("hyperota-desktop")
    app.setApplicationDisplayName("HyperOTA Desktop")
    app.setOrganizationName("HyperOTA")
    apply_theme(app, services.settings.get("ui/theme"))
    install_excepthook(show_dialogs=not args.no_err_windows)
    quit_on_signals(app)  # Ctrl+C / SIGTERM close the window cleanly (the sandbox stops, too)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    sandbox = None
    if args.sandbox:
        from hyperota_desktop.app.sandbox_boot import SandboxBoot

        sandbox = SandboxBoot.start(services)  # temporary `sandbox` profile, active for this run
    try:
        gui = build_gui(services)
        gui.window.show()
        # Start-up objects (Qt wrappers, boto3/botocore models) live for the whole run: moving them out of
        # the collector's reach keeps full collections short, which would otherwise stall the UI.
        gc.freeze()
        loop.call_soon(gui.auth.restore)  # who is signed in (from the keyring), once the loop runs
        if sandbox is not None:
            loop.call_soon(sandbox.start_demo)  # demo/shop with packages and releases, in the background
        app_close = asyncio.Event()
        app.aboutToQuit.connect(app_close.set)
        with loop:
            loop.run_until_complete(app_close.wait())
            if sandbox is not None:
                loop.run_until_complete(sandbox.cancel_demo())
    finally:
        if sandbox is not None:
            sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
