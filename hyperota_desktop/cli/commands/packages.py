"""`hyperota package publish|list|show|diff|tag` for one application (`--org ORG --app APP`)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from hyperota_desktop.cli.framework import CliContext, add_group, add_verb
from hyperota_desktop.domain.packages import Manifest, PackageDiff
from hyperota_desktop.domain.units import human_size
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.saga import SagaRuntime
from hyperota_desktop.services.transfer import ProgressSnapshot

T = TypeVar("T")


async def _with_packages(ctx: CliContext, fn: Callable[[PackageService], Awaitable[T]]) -> T:
    return await fn(ctx.profile().packages)


def _progress(ctx: CliContext) -> Callable[[object], None]:
    interactive = ctx.stderr.isatty() if hasattr(ctx.stderr, "isatty") else False
    last = {"phase": ""}

    def report(snap: object) -> None:
        if not isinstance(snap, ProgressSnapshot):
            return
        if snap.phase != last["phase"]:
            last["phase"] = snap.phase
            ctx.info(f"{snap.phase}: {snap.files_total} file(s), {human_size(snap.total)}")
        if interactive:
            left = f", {snap.seconds_left:.0f}s left" if snap.seconds_left is not None else ""
            line = (
                f"\r  {snap.fraction * 100:5.1f}%  {human_size(snap.done)}/{human_size(snap.total)}"
                f"  {human_size(snap.bytes_per_second)}/s{left}   "
            )
            print(line, end="", file=ctx.stderr, flush=True)
            if snap.done >= snap.total:
                print(file=ctx.stderr)

    return report


async def _publish(ctx: CliContext, args: argparse.Namespace) -> int:
    sources = [Path(p) for p in args.path]
    packages = ctx.profile().packages
    # A publish that a crash interrupted is rolled forward first, so its parts are not sent again.
    for record in await packages.recover(SagaRuntime(_progress(ctx))):
        ctx.info(f"Finished an interrupted operation: {record.title} ({record.status}).")
    result = await packages.publish(
        args.org, args.app, sources, index=args.index, tag=args.tag, runtime=SagaRuntime(_progress(ctx))
    )
    tagged = f" (tag {result.tag})" if result.tag else ""
    if result.finished_interrupted:
        text = (
            f"{args.org}/{args.app} version {result.version}{tagged} is this bundle: its publish was "
            "interrupted and has been finished, so it was not published again."
        )
        ctx.info(text)
    else:
        sent, stored = human_size(result.bytes_uploaded), human_size(result.bytes_skipped)
        text = (
            f"Published {args.org}/{args.app} version {result.version}{tagged}: {result.files} file(s), "
            f"{sent} uploaded, {stored} already stored."
        )
    ctx.emit(result.to_dict(), text)
    return 0


async def _list(ctx: CliContext, args: argparse.Namespace) -> int:
    page = await _with_packages(
        ctx, lambda p: p.page(args.org, args.app, offset=args.offset, limit=args.limit)
    )
    rows = [
        {"version": s.version, "tags": list(s.tags), "index": s.index, "files": s.file_count,
         "total_size": s.total_size, "created_at": s.created_at, "created_by": s.created_by}
        for s in page.items
    ]  # fmt: skip

    def text() -> str:
        if not rows:
            return f"{args.org}/{args.app} has no packages yet."
        lines = [f"{'VERSION':>8}  {'TAGS':12} {'FILES':>6} {'SIZE':>10}  {'CREATED':25} {'BY':20} INDEX"]
        for s in page.items:
            lines.append(
                f"{s.version:>8}  {','.join(s.tags):12} {s.file_count:>6} {human_size(s.total_size):>10}  "
                f"{s.created_at:25} {s.created_by:20} {s.index}"
            )
        lines.append(f"{len(rows)} of {page.total} package(s)")
        return "\n".join(lines)

    ctx.emit({"total": page.total, "offset": args.offset, "packages": rows}, text)
    return 0


def _manifest_text(m: Manifest) -> str:
    lines = [
        f"{m.org}/{m.app} version {m.version}{f' (tag {m.tag})' if m.tag else ''}",
        f"  index      {m.index}",
        f"  created    {m.created_at} by {m.created_by}",
        f"  source     {m.source}",
        f"  files      {len(m.files)}, {human_size(m.total_size)}",
    ]
    lines.extend(f"  {f.size:>12}  {f.checksum}  {f.file_path}" for f in m.files)
    return "\n".join(lines)


async def _show(ctx: CliContext, args: argparse.Namespace) -> int:
    manifest = await _with_packages(ctx, lambda p: p.show(args.org, args.app, args.version))
    ctx.emit(manifest.to_dict(), lambda: _manifest_text(manifest))
    return 0


def _diff_text(d: PackageDiff) -> str:
    lines = [f"{d.old_version} → {d.new_version}: a device downloads {human_size(d.download_bytes)}"]
    lines.extend(f"  + {f.file_path} ({human_size(f.size)})" for f in d.added)
    lines.extend(f"  - {f.file_path}" for f in d.removed)
    for c in d.changed:
        old, new = c.old.size if c.old else 0, c.new.size if c.new else 0
        lines.append(f"  ~ {c.file_path} ({human_size(old)} → {human_size(new)})")
    lines.append(f"  {d.unchanged} file(s) unchanged")
    return "\n".join(lines)


async def _diff(ctx: CliContext, args: argparse.Namespace) -> int:
    diff = await _with_packages(ctx, lambda p: p.diff(args.org, args.app, args.v1, args.v2))
    ctx.emit(diff.to_dict(), lambda: _diff_text(diff))
    return 0


async def _tag(ctx: CliContext, args: argparse.Namespace) -> int:
    packages = ctx.profile().packages
    # A tag move a crash interrupted is undone first (and a publish finished), so the journal and the
    # pointer agree before this one starts.
    for record in await packages.recover(SagaRuntime(_progress(ctx))):
        ctx.info(f"Finished an interrupted operation: {record.title} ({record.status}).")
    moved = await _with_packages(ctx, lambda p: p.tag(args.org, args.app, args.version, args.tag))
    ctx.emit(moved.to_dict(), moved.describe())
    return 0


def _count(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= `least` (argparse turns the ValueError into exit 2)."""

    def parse(text: str) -> int:
        value = int(text)
        if value < least:
            raise argparse.ArgumentTypeError(f"must be {least} or more, not {value}")
        return value

    parse.__name__ = "number"
    return parse


def _target(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--org", required=True, help="organisation")
    parser.add_argument("--app", required=True, help="application")
    return parser


def register(subparsers: object) -> None:
    sub = add_group(subparsers, "package", "publish bundles as packages and inspect them")
    p = _target(
        add_verb(sub, "publish", "Publish a folder, a .zip or files as the next package version.", _publish)
    )
    p.add_argument("path", nargs="+", help="bundle folder, .zip, or files")
    p.add_argument("--index", metavar="FILE", help="index (entry bundle) file, relative to the bundle")
    p.add_argument("--tag", help="point this tag (e.g. 'beta') at the new version")
    p = _target(add_verb(sub, "list", "List the packages of an application, newest first.", _list))
    p.add_argument("--offset", type=_count(0), default=0, help="skip this many (paging)")
    p.add_argument("--limit", type=_count(1), default=50, help="at most this many (1 or more)")
    p = _target(add_verb(sub, "show", "Show one package: index, files, sizes, checksums.", _show))
    p.add_argument("version", type=int)
    p = _target(
        add_verb(sub, "diff", "What changes between two versions and what a device downloads.", _diff)
    )
    p.add_argument("v1", type=int)
    p.add_argument("v2", type=int)
    p = _target(add_verb(sub, "tag", "Point a tag at a version.", _tag))
    p.add_argument("version", type=int)
    p.add_argument("tag")
