"""Command groups of `hyperota`; each module has `register(subparsers)`."""

from hyperota_desktop.cli.commands import profile, sandbox

COMMAND_MODULES = [profile, sandbox]
