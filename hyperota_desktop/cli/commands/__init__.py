"""Command groups of `hyperota`; each module has `register(subparsers)`."""

from hyperota_desktop.cli.commands import auth, profile, sandbox

COMMAND_MODULES = [profile, auth, sandbox]
