"""Command groups of `hyperota`; each module has `register(subparsers)`."""

from hyperota_desktop.cli.commands import profile

COMMAND_MODULES = [profile]
