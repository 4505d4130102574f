"""Entry point of the headless `hyperota` command: wires services and hands them to the CLI.

The composition root (and with it boto3, httpx, the keyring) is imported only when a command asks for
its services: `hyperota --version`, `--help` and usage errors start in a few tens of milliseconds.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hyperota_desktop.cli.main import run

if TYPE_CHECKING:
    from hyperota_desktop.services.context import AppServices


def _build(args: argparse.Namespace) -> AppServices:
    from hyperota_desktop.services.tls import warm_in_background

    warm_in_background()  # the CA bundle loads on another core while the services' modules import
    from hyperota_desktop.app.container import build_services
    from hyperota_desktop.app.directories import resolve_dirs
    from hyperota_desktop.app.logging_setup import setup_logging

    dirs = resolve_dirs(args.profile_dir).ensure()
    services = build_services(dirs, profile_override=args.profile)
    level = args.log_level or services.settings.get("log/level")
    setup_logging(dirs.logs, level, stderr=True)
    return services


def main(argv: Sequence[str] | None = None) -> int:
    from hyperota_desktop.app.lean_imports import skip_unused_modules

    skip_unused_modules()
    return run(argv if argv is not None else sys.argv[1:], _build)


if __name__ == "__main__":
    raise SystemExit(main())
