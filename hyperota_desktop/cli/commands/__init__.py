"""Command groups of `hyperota`; each module has `register(subparsers)`.

`COMMANDS` names every top-level command with the module that registers it and its one-line help, so
that `hyperota --help` lists them and a run imports only the module of the command it runs (the others
pull in boto3, httpx, ...). `tests/cli/test_cli_startup.py` checks it says what the modules register.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# command → (module in this package, help); in the order `hyperota --help` lists them
COMMANDS: dict[str, tuple[str, str]] = {
    "profile": ("profile", "manage backend profiles (one per environment)"),
    "login": ("auth", "sign in with the device code flow (opens nothing: shows a code)"),
    "logout": ("auth", "revoke the sign-in and forget its tokens"),
    "whoami": ("auth", "who is signed in, with organisations and access levels"),
    "sandbox": ("sandbox", "local emulators of Keycloak, Superposition, S3, KMS and STS"),
    "org": ("orgs", "organisations (Keycloak groups)"),
    "app": ("orgs", "applications of an organisation (each with its own workspace)"),
    "member": ("members", "members of an organisation or application and their levels"),
    "activity": (
        "activity", "multi-step operations (create/delete org or app, member changes) and what happened"
    ),
    "package": ("packages", "publish bundles as packages and inspect them"),
    "dimension": ("dimensions", "what releases can target (city, app version, ...), by priority"),
    "release": ("releases", "releases of an application (each a Superposition experiment)"),
    "archive": ("archives", "offline .hota archives: build, export, sign, verify, import"),
    "secrets": ("secrets", "the Hyper OTA server's .env secrets, encrypted with KMS"),
}  # fmt: skip


def module_names() -> list[str]:
    """Every command module, in the order of `COMMANDS`."""
    return list(dict.fromkeys(module for module, _help in COMMANDS.values()))


def load(module: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{module}")
