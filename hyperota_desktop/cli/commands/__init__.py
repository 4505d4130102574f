"""Command groups of `hyperota`; each module has `register(subparsers)`."""

from hyperota_desktop.cli.commands import activity, auth, members, orgs, packages, profile, sandbox

COMMAND_MODULES = [profile, auth, sandbox, orgs, members, activity, packages]
