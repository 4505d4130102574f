"""`hyperota dimension list|create|move|delete --org ORG --app APP` (what releases can target)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from hyperota_desktop.cli.commands.orgs import with_orgs
from hyperota_desktop.cli.framework import CliContext, add_group, add_verb
from hyperota_desktop.domain.dimensions import Dimension, DimensionKind
from hyperota_desktop.domain.errors import UsageError
from hyperota_desktop.services.profile_services import ProfileServices

T = TypeVar("T")


async def with_releases(
    ctx: CliContext, fn: Callable[[ProfileServices], Awaitable[T]], *, mutating: bool
) -> T:
    """The profile's services (`dimensions`, `releases`, `previews` among them) as every command gets
    them; before a change, operations a crash left (a release creation among them) are finished first."""
    return await with_orgs(ctx, fn, mutating=mutating)


def _table(dims: list[Dimension]) -> str:
    if not dims:
        return "No dimensions yet: every release targets every device."
    lines = [f"{'POS':>3}  {'NAME':20} {'KIND':8} VALUES / DESCRIPTION"]
    for d in dims:
        kind = d.kind.value if d.kind else "custom"
        extra = ", ".join(map(str, d.values)) or d.description
        lines.append(f"{d.position:>3}  {d.name:20} {kind:8} {extra}")
    lines.append("(a higher position wins when two targets match a device)")
    return "\n".join(lines)


async def _list(ctx: CliContext, args: argparse.Namespace) -> int:
    dims = await with_releases(ctx, lambda s: s.dimensions.all(args.org, args.app), mutating=False)
    ctx.emit([d.to_dict() for d in dims], lambda: _table(dims))
    return 0


async def _create(ctx: CliContext, args: argparse.Namespace) -> int:
    kind = DimensionKind.parse(args.kind)
    values = tuple(v for v in (args.values or "").split(",") if v.strip())
    created = await with_releases(
        ctx,
        lambda s: s.dimensions.create(
            args.org, args.app, args.name, kind, values=values, description=args.description or "",
            position=args.position,
        ),
        mutating=True,
    )  # fmt: skip
    ctx.emit(created.to_dict(), f"Dimension '{created.name}' created at position {created.position}.")
    return 0


async def _move(ctx: CliContext, args: argparse.Namespace) -> int:
    dims = await with_releases(
        ctx, lambda s: s.dimensions.move(args.org, args.app, args.name, args.position), mutating=True
    )
    ctx.emit([d.to_dict() for d in dims], lambda: _table(dims))
    return 0


async def _delete(ctx: CliContext, args: argparse.Namespace) -> int:
    async def run(s: ProfileServices) -> None:
        usage = await s.dimensions.usage(args.org, args.app, args.name)
        if not usage.used and not args.yes:
            raise UsageError(f"Deleting dimension '{args.name}' cannot be undone: add --yes to confirm.")
        await s.dimensions.delete(args.org, args.app, args.name)

    await with_releases(ctx, run, mutating=True)
    ctx.emit({"deleted": args.name}, f"Dimension '{args.name}' deleted.")
    return 0


def _target(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--org", required=True, help="organisation")
    parser.add_argument("--app", required=True, help="application")
    return parser


def register(sub: Any) -> None:
    group = add_group(sub, "dimension", "what releases can target (city, app version, ...), by priority")
    _target(add_verb(group, "list", "the application's dimensions, lowest priority first", _list))
    p = _target(add_verb(group, "create", "add a dimension (admins)", _create))
    p.add_argument("name")
    p.add_argument("--kind", required=True, help="string, number, boolean or enum")
    p.add_argument("--values", help="enum values, comma-separated (e.g. free,gold)")
    p.add_argument("--description", help="what the dimension means")
    p.add_argument("--position", type=int, help="priority (1 = lowest); default: the highest")
    p = _target(add_verb(group, "move", "give a dimension another position (priority)", _move))
    p.add_argument("name")
    p.add_argument("position", type=int)
    p = _target(add_verb(group, "delete", "delete an unused dimension (refused while used)", _delete))
    p.add_argument("name")
    p.add_argument("--yes", action="store_true", help="confirm the deletion")
