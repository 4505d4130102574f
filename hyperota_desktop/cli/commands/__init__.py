"""Command groups of `hyperota`; each module has `register(subparsers)`."""

from hyperota_desktop.cli.commands import (
    activity,
    auth,
    dimensions,
    members,
    orgs,
    packages,
    profile,
    releases,
    sandbox,
)

COMMAND_MODULES = [profile, auth, sandbox, orgs, members, activity, packages, dimensions, releases]
