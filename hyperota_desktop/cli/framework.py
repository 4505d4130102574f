"""CLI conventions shared by every command: `hyperota <group> <verb>`, global options anywhere, --json.

Global options (`--profile`, `--profile-dir`, `--json`, `--log-level`) are accepted before the group and
after the verb: leaf parsers repeat them with SUPPRESS defaults so a value given early is not reset.
Machine output goes to stdout; human messages to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # imported by the commands that build services, not by `--help`
    from hyperota_desktop.services.context import AppServices
    from hyperota_desktop.services.profile_services import ProfileServices

Handler = Callable[["CliContext", argparse.Namespace], Awaitable[int | None] | int | None]

EXIT_CODES_HELP = """exit codes:
  0  ok
  2  usage error (bad arguments)
  3  authentication (not signed in, sign-in denied or expired)
  4  permission denied or not found
  5  integrity or validation (bad input, checksum or signature mismatch, refused bundle)
  6  backend unavailable"""


def add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("global options")
    group.add_argument("--profile", metavar="NAME", default=default(None), help="profile to use for this run")
    group.add_argument(
        "--profile-dir", metavar="DIR", default=default(None), help="folder for everything the app writes"
    )
    group.add_argument("--json", action="store_true", default=default(False), help="machine output on stdout")
    group.add_argument(
        "--log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default=default(None),
        help="log file level",
    )


def add_group(subparsers: Any, name: str, help_text: str) -> Any:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    sub = parser.add_subparsers(dest=f"{name}_verb", metavar="VERB", required=True)
    return sub


def add_verb(subparsers: Any, name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_global_options(parser, suppress=True)
    parser.set_defaults(handler=handler)
    return parser


@dataclass
class CliContext:
    services_factory: Callable[[], AppServices]
    json: bool
    stdout: TextIO = sys.stdout
    stderr: TextIO = sys.stderr
    _services: AppServices | None = None

    @property
    def services(self) -> AppServices:
        if self._services is None:
            self._services = self.services_factory()
        return self._services

    def profile(self) -> ProfileServices:
        """The services of the profile this command runs against (`--profile` or the active one)."""
        return self.services.profile()

    async def aclose(self) -> None:
        """Close whatever this command built (HTTP clients, SQLite files, AWS clients, threads)."""
        if self._services is not None:
            services, self._services = self._services, None
            await services.aclose()

    def info(self, text: str) -> None:
        """A human message: always stderr, so stdout stays clean for --json."""
        print(text, file=self.stderr, flush=True)

    def emit(self, data: Any, text: str | Callable[[], str]) -> None:
        """The command's result: JSON on stdout with --json, else the human text on stdout."""
        if self.json:
            import json

            json.dump(data, self.stdout, indent=2, sort_keys=True, default=str)
            self.stdout.write("\n")
        else:
            print(text() if callable(text) else text, file=self.stdout)
        self.stdout.flush()


def run_handler(handler: Handler, ctx: CliContext, args: argparse.Namespace) -> int:
    """Run one command; whatever it built is closed before the process ends, success or not (an async
    command's clients on its own event loop)."""
    import asyncio
    import inspect

    from hyperota_desktop.domain.errors import ExitCode

    try:
        result = handler(ctx, args)
        if inspect.isawaitable(result):
            result = asyncio.run(_await_then_close(result, ctx))
        return int(result or ExitCode.OK)
    finally:
        if ctx._services is not None:  # a plain command that built services (or a failed async one)
            asyncio.run(ctx.aclose())


async def _await_then_close(awaitable: Awaitable[int | None], ctx: CliContext) -> int | None:
    try:
        return await awaitable
    finally:
        await ctx.aclose()
