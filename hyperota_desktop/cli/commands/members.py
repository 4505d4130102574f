"""`hyperota member list|add|set|remove --org ORG [--app APP]`."""

from __future__ import annotations

import argparse
from typing import Any

from hyperota_desktop.cli.commands.orgs import with_orgs
from hyperota_desktop.cli.framework import CliContext, add_group, add_verb
from hyperota_desktop.domain.membership import MemberScope, parse_level


def _scope(args: argparse.Namespace) -> MemberScope:
    return MemberScope(args.org, args.app or "")


async def _list(ctx: CliContext, args: argparse.Namespace) -> int:
    scope = _scope(args)
    members = await with_orgs(ctx, lambda s: s.members.list_members(scope), mutating=False)
    text = "\n".join(f"{m.user.username:24} {m.level.label:6} {m.user.email}" for m in members)
    ctx.emit([m.to_json() for m in members], text or f"{scope.describe()} has no members.")
    return 0


async def _add(ctx: CliContext, args: argparse.Namespace) -> int:
    scope, level = _scope(args), parse_level(args.level)
    record = await with_orgs(ctx, lambda s: s.members.add(scope, args.user, level), mutating=True)
    ctx.emit(record.to_dict(), f"{args.user} is now {level.label} on {scope.describe()}.")
    return 0


async def _set(ctx: CliContext, args: argparse.Namespace) -> int:
    scope, level = _scope(args), parse_level(args.level)
    record = await with_orgs(ctx, lambda s: s.members.set_level(scope, args.user, level), mutating=True)
    ctx.emit(record.to_dict(), f"{args.user} is now {level.label} on {scope.describe()}.")
    return 0


async def _remove(ctx: CliContext, args: argparse.Namespace) -> int:
    scope = _scope(args)
    record = await with_orgs(ctx, lambda s: s.members.remove(scope, args.user), mutating=True)
    ctx.emit(record.to_dict(), f"{args.user} no longer has access to {scope.describe()}.")
    return 0


def register(sub: Any) -> None:
    group = add_group(sub, "member", "members of an organisation or application and their levels")
    for name, help_text, handler, with_level in (
        ("list", "members with their access level", _list, None),
        ("add", "add a user (exact username or email) with a level", _add, True),
        ("set", "change a member's level", _set, True),
        ("remove", "remove a member", _remove, False),
    ):
        verb = add_verb(group, name, help_text, handler)
        verb.add_argument("--org", required=True)
        verb.add_argument("--app", default="", help="an application of the organisation")
        if with_level is not None:
            verb.add_argument("user", help="exact username or email")
        if with_level:
            verb.add_argument("level", choices=("owner", "admin", "write", "read"))
