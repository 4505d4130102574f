"""`hyperota activity [--limit N] [--org ORG [--app APP]]`: the journal of multi-step operations."""

from __future__ import annotations

import argparse
import time
from typing import Any

from hyperota_desktop.cli.framework import EXIT_CODES_HELP, CliContext, add_global_options
from hyperota_desktop.services.activity import outcome


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _text(records: list[Any]) -> str:
    lines = []
    for r in records:
        lines.append(f"{_when(r.created_at)}  {r.status:12} {r.title}  (by {r.actor}, {r.kind})")
        if r.error:
            lines.append(f"    why: {r.error}")
        elif what := outcome(r):
            lines.append(f"    result: {what}")
        for s in r.steps:
            extra = f" — {s.error}" if s.error else ""
            lines.append(f"    {s.idx + 1}. {s.name}: {s.status}{extra}")
    return "\n".join(lines) or "No operations recorded yet."


async def _activity(ctx: CliContext, args: argparse.Namespace) -> int:
    records = await ctx.services.activity(args.limit, org=args.org, app=args.app)
    ctx.emit([{**r.to_dict(), "outcome": outcome(r)} for r in records], lambda: _text(records))
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "activity",
        help="multi-step operations (create/delete org or app, member changes) and what happened",
        description="Operations from the local journal, newest first: who ran them, their status, each "
        "step, what came of them (version, tag and where it moved from) and for failures what happened "
        "and why.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_global_options(parser, suppress=True)
    parser.add_argument("--limit", type=int, default=50, help="how many operations to show")
    parser.add_argument("--org", default="", help="only operations on this organisation and its applications")
    parser.add_argument("--app", default="", help="only operations on this application (with --org)")
    parser.set_defaults(handler=_activity)
