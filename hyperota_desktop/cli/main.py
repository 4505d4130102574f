"""The headless `hyperota` command: parses arguments, runs one handler, maps errors to exit codes.

Parsing happens in two passes so that a run imports only what its command needs: the first parser
knows every command by name only (`--help`, `--version` and a missing or unknown command end there,
with no command module imported); the second registers the chosen command's module in full.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from hyperota_desktop import __version__
from hyperota_desktop.cli.commands import COMMANDS, load, module_names
from hyperota_desktop.cli.framework import EXIT_CODES_HELP, CliContext, add_global_options, run_handler

if TYPE_CHECKING:
    from hyperota_desktop.services.context import AppServices

ServicesBuilder = Callable[[argparse.Namespace], "AppServices"]
ALL = "*"


def build_parser(command: str | None = ALL) -> argparse.ArgumentParser:
    """The `hyperota` parser with the module of `command` registered in full (`ALL`, the default: every
    module); every other command is a stub that only has its name and help."""
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
    full = set(module_names()) if command == ALL else {COMMANDS[command][0]} if command in COMMANDS else set()
    registered: set[str] = set()
    for name, (module, help_text) in COMMANDS.items():
        if module not in full:
            sub.add_parser(name, help=help_text, add_help=False)  # its arguments are not parsed here
        elif module not in registered:
            registered.add(module)
            load(module).register(sub)  # may add several commands (login, logout, whoami)
    return parser


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Find the command with the stubs, then parse everything with its module (SystemExit: --help,
    --version and usage errors, as argparse does)."""
    first, _rest = build_parser(None).parse_known_args(argv)
    return build_parser(first.command).parse_args(argv)


def run(
    argv: Sequence[str] | None,
    build_services: ServicesBuilder,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    parsed: Callable[[], None] | None = None,
) -> int:
    """`parsed`: called once the command is known (and its module imported), before it runs."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = parse(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code or 0)
    if parsed is not None:
        parsed()
    from hyperota_desktop.domain.errors import ExitCode, HyperOtaError

    ctx = CliContext(services_factory=lambda: build_services(args), json=args.json, stdout=out, stderr=err)
    try:
        return run_handler(args.handler, ctx, args)
    except HyperOtaError as exc:
        if args.json:
            import json

            error = {"type": type(exc).__name__, "message": exc.message, "hint": exc.hint}
            print(json.dumps({"error": error}), file=out)
        print(f"error: {exc.user_text()}", file=err)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return int(ExitCode.USAGE)
