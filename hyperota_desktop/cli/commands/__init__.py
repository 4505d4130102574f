"""Command groups of `hyperota`; each module has `register(subparsers)`."""

from hyperota_desktop.cli.commands import (
    activity,
    archives,
    auth,
    dimensions,
    members,
    orgs,
    packages,
    profile,
    releases,
    sandbox,
    secrets,
)

COMMAND_MODULES = [
    profile,
    auth,
    sandbox,
    orgs,
    members,
    activity,
    packages,
    dimensions,
    releases,
    archives,
    secrets,
]
