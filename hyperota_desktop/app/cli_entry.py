"""Entry point of the headless `hyperota` command: wires services and hands them to the CLI.

The composition root (and with it boto3, httpx, the keyring) is imported only when a command asks for
its services: `hyperota --version`, `--help` and usage errors start in a few tens of milliseconds.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hyperota_desktop.cli.main import run

if TYPE_CHECKING:
    from hyperota_desktop.services.context import AppServices
    from hyperota_desktop.stores.dirs import AppDirs
    from hyperota_desktop.stores.secrets import SecretStore


def _build(args: argparse.Namespace, *, short_lived: bool = False) -> AppServices:
    from hyperota_desktop.app.directories import resolve_dirs
    from hyperota_desktop.services.tls import warm_in_background

    warm_in_background()  # the CA bundle loads on another core while the services' modules import
    dirs = resolve_dirs(args.profile_dir).ensure()
    secrets = _prefetching_secrets(dirs, args.profile)  # the keyring is read meanwhile too
    from hyperota_desktop.app.container import build_services
    from hyperota_desktop.app.logging_setup import setup_logging

    services = build_services(dirs, profile_override=args.profile, secrets=secrets)
    level = args.log_level or services.settings.get("log/level")
    setup_logging(dirs.logs, level, stderr=True)
    if short_lived:
        _keep_out_of_collections()  # the modules and services just imported live as long as the command
    return services


def _prefetching_secrets(dirs: AppDirs, override: str | None) -> SecretStore:
    """The keyring store, already reading the entries a command of the profile reads first: its tokens
    and, in the static-keys mode, its AWS keys (nothing when there is no such profile)."""
    from hyperota_desktop.domain.errors import HyperOtaError
    from hyperota_desktop.domain.profiles import AwsCredentialMode
    from hyperota_desktop.services.auth.store import ACCESS_KEY, ENV_REFRESH_TOKEN, REFRESH_KEY
    from hyperota_desktop.services.profiles import AWS_KEY_ID, AWS_SECRET
    from hyperota_desktop.stores.profiles import ProfileStore
    from hyperota_desktop.stores.secrets import SecretStore

    secrets = SecretStore()
    try:
        store = ProfileStore(dirs.config / "profiles.json")
        name = override or store.active_name()
        profile = store.get(name) if name else None
    except HyperOtaError:
        return secrets  # the command says what is wrong with the profiles
    if profile is not None:
        keys = [] if os.environ.get(ENV_REFRESH_TOKEN) else [ACCESS_KEY, REFRESH_KEY]  # else never read
        if profile.aws_credential_mode is AwsCredentialMode.STATIC_KEYS:
            keys += [AWS_KEY_ID, AWS_SECRET]
        secrets.prefetch(profile.name, keys)
    return secrets


def main(argv: Sequence[str] | None = None, *, short_lived: bool = False) -> int:
    """`short_lived`: this process runs one command and ends (`console`); tests call `main` in theirs."""
    from hyperota_desktop.app.lean_imports import skip_unused_modules

    skip_unused_modules()
    return run(
        argv if argv is not None else sys.argv[1:],
        lambda args: _build(args, short_lived=short_lived),
        parsed=_keep_out_of_collections if short_lived else None,
    )


def console() -> int:
    """The `hyperota` command: one command, then the process ends. Its memory policy (measured on a
    re-publish, benchmark P2, where the cyclic collector took a third of the process's CPU time):

    - start-up makes long-lived objects only (modules, parsers, botocore's models, the services): the
      collector is off until the command is known (its module imported), what start-up made so far is
      then frozen (`gc.freeze`) and the collector back on, and what the services' build made is frozen
      too: later collections walk only what the command itself allocates;
    - at the end everything is left to the OS: the interpreter's collections at exit would walk every
      object again (0.1-0.15 s, after the output was written) to free memory the OS frees anyway.
      Files are still flushed and closed by the exit handlers."""
    import gc

    gc.disable()
    code = main(short_lived=True)
    gc.freeze()
    return code


def _keep_out_of_collections() -> None:
    import gc

    gc.freeze()
    gc.enable()


if __name__ == "__main__":
    raise SystemExit(console())
