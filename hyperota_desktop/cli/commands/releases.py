"""`hyperota release create|edit|list|show|ramp|pause|resume|conclude|revert|discard|preview|...`.

Actions that change what devices get print who is affected (stderr) and need `--yes`, as deletions do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from hyperota_desktop.cli.commands.dimensions import with_releases
from hyperota_desktop.cli.framework import CliContext, add_group, add_verb
from hyperota_desktop.domain.errors import UsageError, ValidationError
from hyperota_desktop.domain.packages import PackageFile
from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.domain.releases import Impact, ReleaseAction, parse_status
from hyperota_desktop.domain.units import human_size
from hyperota_desktop.services.device_preview import DevicePreview, DevicePreviewService, parse_pairs
from hyperota_desktop.services.offline_resolve import Snapshot
from hyperota_desktop.services.profile_services import ProfileServices
from hyperota_desktop.services.release_create import ReleaseReview, read_draft_text
from hyperota_desktop.services.release_detail import ReleaseDetail


def _text_or_file(value: str | None) -> str | None:
    """`--notes @notes.md` reads a file; anything else is the text itself."""
    if value is None or not value.startswith("@"):
        return value
    return read_draft_text(Path(value[1:]))


def _resources(path: str | None) -> tuple[PackageFile, ...] | None:
    if path is None:
        return None
    text = _text_or_file("@" + path) or "[]"
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"{path} is not JSON: {exc}.") from None
    if not isinstance(items, list):
        raise ValidationError(f"{path} must hold a JSON list of files {{file_path, url, checksum, size}}.")
    return tuple(PackageFile.from_dict(i) for i in items)


async def _draft(s: ProfileServices, args: argparse.Namespace, base: ReleaseDraft) -> ReleaseDraft:
    changes: dict[str, Any] = {}
    if args.dim is not None:
        known = {d.name: d for d in await s.dimensions.all(args.org, args.app)}
        changes["target"] = parse_pairs(known, args.dim)
    for name, value in (
        ("package", args.package),
        ("lazy", tuple(args.lazy) if args.lazy is not None else None),
        ("resources", _resources(args.resources)),
        ("boot_timeout", args.boot_timeout),
        ("release_config_timeout", args.config_timeout),
        ("properties", _text_or_file(args.properties)),
        ("notes", _text_or_file(args.notes)),
    ):
        if value is not None:
            changes[name] = value
    return base.with_changes(**changes)


def _review_text(r: ReleaseReview) -> str:
    lines = [f"Release of {r.org}/{r.app} to {r.target.describe() if r.target else '?'}"]
    if r.package is not None:
        lines.append(f"  package        {r.package.version} ({len(r.package.files)} files)")
    if r.download is not None:
        d = r.download
        lines.append(
            f"  download       {human_size(d.download_bytes)} new of {human_size(d.total_bytes)} "
            f"({human_size(d.before_boot_bytes)} before boot)"
        )
    if r.first_release:
        lines.append("  first release  it goes to every device in the target at once (nothing to compare)")
    for c in r.changes:
        if c.key.startswith("package.") and c.key not in ("package.version", "package.name"):
            continue
        lines.append(f"  {c.key:<14} {json.dumps(c.before)[:60]} → {json.dumps(c.after)[:60]}")
    lines.extend(f"  {'warning' if p.warning else 'problem'}: {p.field}: {p.message}" for p in r.problems)
    return "\n".join(lines)


async def _create(ctx: CliContext, args: argparse.Namespace) -> int:
    async def run(s: ProfileServices) -> Any:
        base = await s.releases.clone(args.org, args.app, args.clone) if args.clone else ReleaseDraft()
        draft = await _draft(s, args, base)
        review = await s.releases.review(args.org, args.app, draft)
        ctx.info(_review_text(review))
        if args.dry_run:
            return review
        if review.first_release and review.ok and not args.yes:
            raise UsageError("This first release goes to every device in its target at once: add --yes.")
        return await s.releases.create(args.org, args.app, draft, force=args.force)

    result = await with_releases(ctx, run, mutating=not args.dry_run)
    if isinstance(result, ReleaseReview):
        ctx.emit(result.to_dict(), "Nothing created (--dry-run)." if result.ok else "The draft has problems.")
        return 0 if result.ok else 5
    release = result.release
    what = f"Release {release.id} created ({release.status_text})"
    if result.finished_interrupted:
        what = f"Release {release.id} ({release.status_text}) is this release: its creation was interrupted "
        what += "and has been finished, so it was not created again"
        ctx.info(what + ".")
    if result.waiting_for_second_person:
        what += "; four-eyes is on, so someone other than you must start it"
    ctx.emit(
        {
            "release": release.id,
            "status": release.status.value,
            "first_release": result.first_release,
            "waiting_for_second_person": result.waiting_for_second_person,
            "finished_interrupted": result.finished_interrupted,
        },
        what + ".",
    )
    return 0


async def _edit(ctx: CliContext, args: argparse.Namespace) -> int:
    async def run(s: ProfileServices) -> Any:
        draft = await _draft(s, args, await s.releases.clone(args.org, args.app, args.id))
        return await s.releases.edit(args.org, args.app, args.id, draft)

    release = await with_releases(ctx, run, mutating=True)
    ctx.emit(
        {"release": release.id, "package_version": release.package_version},
        f"Release {release.id} updated (package {release.package_version}).",
    )
    return 0


async def _list(ctx: CliContext, args: argparse.Namespace) -> int:
    statuses = [parse_status(s) for v in args.status or [] for s in v.split(",") if s]
    page = await with_releases(
        ctx,
        lambda s: s.releases.page(
            args.org,
            args.app,
            statuses=statuses,
            search=args.search or "",
            offset=args.offset,
            limit=args.limit,
        ),
        mutating=False,
    )

    def text() -> str:
        if not page.items:
            return f"{args.org}/{args.app} has no releases" + (
                " matching." if statuses or args.search else "."
            )
        lines = [f"{'ID':20} {'STATUS':16} {'PKG':>5}  {'TARGET':24} {'CREATED':20} {'BY':22} NOTES"]
        for r in page.items:
            created = r.created_at.strftime("%Y-%m-%d %H:%M") if r.created_at else ""
            note = r.notes.splitlines()[0][:40] if r.notes else ""
            lines.append(
                f"{r.id:20} {r.status_text:16} {r.package_version or '':>5}  {r.target.short()[:24]:24} "
                f"{created:20} {r.created_by[:22]:22} {note}"
            )
        lines.append(f"{len(page.items)} of {page.total} release(s)")
        return "\n".join(lines)

    ctx.emit(page.to_dict(), text)
    return 0


def _detail_text(d: ReleaseDetail) -> str:
    r = d.release
    lines = [
        f"Release {r.id}: package {r.package_version} to {r.target.describe()} — {r.status_text}",
        f"  created     {r.created_at:%Y-%m-%d %H:%M:%S} by {r.created_by}" if r.created_at else "",
        f"  devices     {r.devices_percent}% of the target on package {r.package_version} "
        f"(the others: package {r.previous_version or 'none'})",
    ]
    if d.who_may_start:
        lines.append(f"  start       {d.who_may_start}")
    if r.notes:
        lines.append("  notes       " + r.notes.replace("\n", "\n              "))
    lines.append("  history")
    for e in d.events:
        why = f" — {e.why}" if e.why else ""
        lines.append(f"    {e.at:%Y-%m-%d %H:%M:%S}  {e.who:24} {e.what}{why}")
    if d.audit_problem:
        lines.append(f"    (the audit log could not be read: {d.audit_problem})")
    can = ", ".join(sorted(a.value for a in d.allowed)) or "nothing"
    lines.append(f"  you can     {can}")
    return "\n".join(line for line in lines if line)


async def _show(ctx: CliContext, args: argparse.Namespace) -> int:
    detail = await with_releases(
        ctx, lambda s: s.releases.detail(args.org, args.app, args.id), mutating=False
    )
    ctx.emit(detail.to_dict(), lambda: _detail_text(detail))
    return 0


ACTIONS = {
    "ramp": ReleaseAction.RAMP,
    "pause": ReleaseAction.PAUSE,
    "resume": ReleaseAction.RESUME,
    "conclude": ReleaseAction.CONCLUDE,
    "revert": ReleaseAction.REVERT,
    "discard": ReleaseAction.DISCARD,
}


def _confirm(ctx: CliContext, impact: Impact, yes: bool) -> None:
    ctx.info(f"{impact.action.value.capitalize()} release {impact.release_id}:")
    for line in impact.lines:
        ctx.info(f"  - {line}")
    if impact.affects_devices and not yes:
        raise UsageError(f"This changes what devices get: add --yes to {impact.action.value} it.")


async def _act(ctx: CliContext, args: argparse.Namespace) -> int:
    action = ACTIONS[args.release_verb]
    percent = getattr(args, "percent", None)

    async def run(s: ProfileServices) -> Any:
        r = s.releases
        _confirm(ctx, await r.impact(args.org, args.app, args.id, action, percent), args.yes)
        if action is ReleaseAction.RAMP:
            return await r.ramp(args.org, args.app, args.id, int(args.percent), args.why or "")
        method = getattr(r, action.value)
        return await method(args.org, args.app, args.id, args.why or "")

    result = await with_releases(ctx, run, mutating=True)
    release = result.release
    ctx.emit(
        {
            "release": release.id,
            "status": release.status.value,
            "traffic": release.traffic,
            "impact": result.impact.to_dict(),
        },
        f"Release {release.id}: {release.status_text}.",
    )
    return 0


async def _preview(ctx: CliContext, args: argparse.Namespace) -> int:
    if args.snapshot:  # no network, no sign-in: everything is in the file
        snapshot = Snapshot.load(Path(args.snapshot))
        if (snapshot.org, snapshot.app) != (args.org, args.app):
            raise ValidationError(f"{args.snapshot} is a snapshot of {snapshot.org}/{snapshot.app}.")
        dims = parse_pairs(snapshot.dimension_list(), args.dim or [])
        preview = DevicePreviewService.preview_offline(
            snapshot, dims, identifier=args.identifier or "", toss=args.toss
        )
    else:

        async def online(s: ProfileServices) -> DevicePreview:
            dims = await s.previews.parse_dimensions(args.org, args.app, args.dim or [])
            return await s.previews.preview(
                args.org, args.app, dims, identifier=args.identifier or "", toss=args.toss
            )

        preview = await with_releases(ctx, online, mutating=False)
    ctx.emit(preview.to_dict(), preview.text)
    return 0


async def _snapshot(ctx: CliContext, args: argparse.Namespace) -> int:
    snap = await with_releases(ctx, lambda s: s.previews.snapshot(args.org, args.app), mutating=False)
    await asyncio.to_thread(Path(args.output).write_text, snap.to_json(), encoding="utf-8")
    ctx.emit(
        {"file": args.output, "experiments": len(snap.experiments)},
        f"Snapshot of {args.org}/{args.app} written to {args.output}.",
    )
    return 0


async def _four_eyes(ctx: CliContext, args: argparse.Namespace) -> int:
    async def run(s: ProfileServices) -> Any:
        if args.on or args.off:
            return await s.releases.set_four_eyes(args.org, args.app, bool(args.on))
        return await s.releases.four_eyes(args.org, args.app)

    state = await with_releases(ctx, run, mutating=bool(args.on or args.off))
    if not state.supported:
        text = f"Superposition {state.server} has no four-eyes setting."
    else:
        text = "Four-eyes is " + (
            "on: someone other than a release's author must start it."
            if state.required
            else "off: a release's author may start it."
        )
    ctx.emit(state.to_dict(), text)
    return 0


def _app_options(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--org", required=True, help="organisation")
    p.add_argument("--app", required=True, help="application")
    return p


def _draft_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--package", help="package version or tag")
    p.add_argument(
        "--dim", action="append", metavar="NAME=VALUE", help="target row (repeat); none = everyone"
    )
    p.add_argument("--lazy", action="append", metavar="PATH", help="a file fetched after boot (repeat)")
    p.add_argument(
        "--resources", metavar="FILE", help="JSON list of extra files {file_path,url,checksum,size}"
    )
    p.add_argument("--boot-timeout", type=int, metavar="MS", help="how long the app waits for its files")
    p.add_argument("--config-timeout", type=int, metavar="MS", help="how long the app waits for this config")
    p.add_argument("--properties", metavar="JSON|@FILE", help="remote properties (a JSON object)")
    p.add_argument("--notes", metavar="TEXT|@FILE", help="release notes (Markdown, at most 1024 characters)")


def register(sub: Any) -> None:
    group = add_group(sub, "release", "releases of an application (each a Superposition experiment)")
    p = _app_options(
        add_verb(
            group,
            "create",
            "review and create a release (a target's first one goes to every device at once)",
            _create,
        )
    )
    _draft_options(p)
    p.add_argument("--clone", metavar="ID", help="start from this release's settings")
    p.add_argument("--force", action="store_true", help="create even if the target has an unfinished release")
    p.add_argument(
        "--dry-run", action="store_true", help="only review: print the device config, create nothing"
    )
    p.add_argument("--yes", action="store_true", help="confirm a first release (it reaches devices at once)")
    p = _app_options(add_verb(group, "edit", "change a release that has not started", _edit))
    p.add_argument("id")
    _draft_options(p)
    p = _app_options(add_verb(group, "list", "releases, newest first, with filters", _list))
    p.add_argument("--status", action="append", help="created, ramping, paused, concluded, discarded")
    p.add_argument("--search", help="text in the id, target, package, author or notes")
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--limit", type=int, default=50)
    p = _app_options(add_verb(group, "show", "one release with its history (who, when, what, why)", _show))
    p.add_argument("id")
    for verb, help_text in (
        ("ramp", "give the new package to PERCENT percent of the devices in the target"),
        ("pause", "stop giving the new package (devices go back) until resumed"),
        ("resume", "give the new package again at the last percentage"),
        ("conclude", "release to every device in the target, permanently"),
        ("revert", "end the release on the old package (every device keeps or gets it back)"),
        ("discard", "drop the release"),
    ):
        p = _app_options(add_verb(group, verb, help_text, _act))
        p.add_argument("id")
        if verb == "ramp":
            p.add_argument("percent", type=int, help="%% of the target's devices (whole number)")
        p.add_argument("--why", help="the reason, recorded with the action")
        p.add_argument("--yes", action="store_true", help="confirm (the action changes what devices get)")
    p = _app_options(
        add_verb(group, "preview", "what one device gets, from which release, and why", _preview)
    )
    p.add_argument("--identifier", help="the device's identifier (servers v0.82+)")
    p.add_argument("--toss", type=int, help="the device's toss, -1..100 (servers before v0.82)")
    p.add_argument("--dim", action="append", metavar="NAME=VALUE", help="the device's dimension values")
    p.add_argument("--snapshot", metavar="FILE", help="resolve offline from a saved snapshot")
    p = _app_options(add_verb(group, "snapshot", "save what offline previews need", _snapshot))
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p = _app_options(
        add_verb(
            group,
            "four-eyes",
            "show or set: a release must be started by someone other than its author",
            _four_eyes,
        )
    )
    on_off = p.add_mutually_exclusive_group()
    on_off.add_argument("--on", action="store_true")
    on_off.add_argument("--off", action="store_true")
