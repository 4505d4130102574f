"""Command groups of `hyperota`; each module has `register(subparsers)`."""

from hyperota_desktop.cli.commands import (
    activity,
    archives,
    auth,
    members,
    orgs,
    packages,
    profile,
    sandbox,
    secrets,
)

COMMAND_MODULES = [profile, auth, sandbox, orgs, members, activity, packages, archives, secrets]
