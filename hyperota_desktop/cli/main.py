"""The headless `hyperota` command: parses arguments, runs one handler, maps errors to exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from hyperota_desktop import __version__
from hyperota_desktop.cli.commands import COMMAND_MODULES
from hyperota_desktop.cli.framework import EXIT_CODES_HELP, CliContext, add_global_options, run_handler
from hyperota_desktop.domain.errors import ExitCode, HyperOtaError
from hyperota_desktop.services.context import AppServices

ServicesBuilder = Callable[[argparse.Namespace], AppServices]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hyperota",
        description="HyperOTA administration from the command line: profiles, sign-in, the sandbox, "
        "organisations, applications, members, packages, dimensions, releases, offline archives and "
        "server secrets.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hyperota {__version__}")
    add_global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def run(
    argv: Sequence[str] | None,
    build_services: ServicesBuilder,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code or 0)
    ctx = CliContext(services_factory=lambda: build_services(args), json=args.json, stdout=out, stderr=err)
    try:
        return run_handler(args.handler, ctx, args)
    except HyperOtaError as exc:
        if args.json:
            error = {"type": type(exc).__name__, "message": exc.message, "hint": exc.hint}
            print(json.dumps({"error": error}), file=out)
        print(f"error: {exc.user_text()}", file=err)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return int(ExitCode.USAGE)
