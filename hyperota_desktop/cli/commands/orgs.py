"""`hyperota org list|create|delete` and `hyperota app list|create|delete|migrate-workspace`.

Mutating commands first reconcile operations a crashed run left unfinished (see `hyperota activity`).
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from hyperota_desktop.cli.framework import CliContext, add_group, add_verb
from hyperota_desktop.domain.errors import ExitCode, UsageError
from hyperota_desktop.services.orgs import OrgInfo
from hyperota_desktop.services.profile_services import ProfileServices
from hyperota_desktop.services.saga import SagaRuntime
from hyperota_desktop.services.storage_cleanup import FilesDeleted
from hyperota_desktop.services.workspace_health import BrokenWorkspace

T = TypeVar("T")


async def with_orgs(ctx: CliContext, fn: Callable[[ProfileServices], Awaitable[T]], *, mutating: bool) -> T:
    """The profile's services; operations a crash left are finished first when the command changes
    anything (closing them is the CLI framework's job)."""
    services = ctx.profile()
    if mutating:
        for record in await services.reconcile(SagaRuntime(_progress(ctx, 0))):
            ctx.info(f"Finished an interrupted operation: {record.title} → {record.status}.")
    return await fn(services)


def _saga_text(record: Any) -> str:
    return f"{record.title}: {record.status}."


def _warnings(ctx: CliContext, record: Any) -> None:
    """What the operation could not do although it succeeded (e.g. Keycloak delegation)."""
    for text in record.data.get("warnings", []):
        ctx.info(f"Warning: {text}")


def _progress(ctx: CliContext, total: int) -> Callable[[object], None]:
    def report(event: object) -> None:
        if isinstance(event, FilesDeleted):
            of = f" of {max(total, event.count)}" if total else ""
            ctx.info(f"  deleted {event.count}{of} file(s) under {event.prefix}")

    return report


async def _delete(ctx: CliContext, args: argparse.Namespace, s: ProfileServices, org: str, app: str) -> Any:
    """Say exactly what will go (stderr); without --yes stop there, else delete with progress."""
    what = f"application '{org}/{app}'" if app else f"organisation '{org}'"
    if args.yes and (done := await s.orgs.repeated_deletion(org, app)) is not None:
        ctx.info(f"The deletion of {what} was interrupted and has been finished: nothing is left to delete.")
        return done
    preview = await s.orgs.deletion_preview(org, app)
    keep = args.keep_files or not preview.can_delete_files
    ctx.info(f"Deleting {what} will:")
    for line in preview.lines(keep_files=keep):
        ctx.info(f"  - {line}")
    if not args.yes:
        raise UsageError(f"Deleting {what} cannot be undone: add --yes to confirm.")
    files = preview.files
    total = files.files if files is not None and files.complete and not keep else 0
    runtime = SagaRuntime(_progress(ctx, total))
    if app:
        return await s.orgs.delete_app(org, app, keep_files=keep, runtime=runtime)
    return await s.orgs.delete_org(org, keep_files=keep, runtime=runtime)


async def _org_list(ctx: CliContext, args: argparse.Namespace) -> int:
    skipped: tuple[str, ...] = ()

    async def listing(s: ProfileServices) -> list[OrgInfo]:
        nonlocal skipped
        found = await s.orgs.list_orgs()
        skipped = s.orgs.skipped_groups
        return found

    orgs = await with_orgs(ctx, listing, mutating=False)
    for path in skipped:
        ctx.info(
            f"warning: skipped the Keycloak group {path!r}: not a valid organisation/application name "
            "(rename or remove it in the Keycloak admin console)."
        )
    lines = []
    for org in orgs:
        lines.append(f"{org.name:30} {org.level.label}")
        lines.extend(f"  {app.name:28} {app.level.label:6} {app.workspace}" for app in org.apps)
        if org.hidden:
            lines.append(f"  ({org.hidden} The fix: `hyperota org delegate {org.name}`.)")
    ctx.emit([o.to_json() for o in orgs], "\n".join(lines) or "You are not a member of any organisation.")
    return 0


async def _org_create(ctx: CliContext, args: argparse.Namespace) -> int:
    record = await with_orgs(ctx, lambda s: s.orgs.create_org(args.name), mutating=True)
    _warnings(ctx, record)
    ctx.emit(record.to_dict(), f"Organisation '{args.name}' created; you are its owner.")
    return 0


async def _org_delegate(ctx: CliContext, args: argparse.Namespace) -> int:
    record = await with_orgs(ctx, lambda s: s.orgs.delegate_org(args.name), mutating=True)
    ctx.emit(
        record.to_dict(),
        f"The owners and admins of '{args.name}' may now manage it and its members see it "
        "(Keycloak admin permissions).",
    )
    return 0


async def _org_delete(ctx: CliContext, args: argparse.Namespace) -> int:
    record = await with_orgs(ctx, lambda s: _delete(ctx, args, s, args.name, ""), mutating=args.yes)
    _warnings(ctx, record)
    kept = " Its files were kept." if record.params.get("keep_files") else ""
    ctx.emit(record.to_dict(), f"Organisation '{args.name}' deleted; its workspaces are disabled.{kept}")
    return 0


async def _app_list(ctx: CliContext, args: argparse.Namespace) -> int:
    apps = await with_orgs(ctx, lambda s: s.orgs.list_apps(args.org), mutating=False)
    data = [{"name": a.name, "workspace": a.workspace, "access": a.level.label} for a in apps]
    text = "\n".join(f"{a.name:30} {a.level.label:6} {a.workspace}" for a in apps)
    ctx.emit(data, text or f"Organisation '{args.org}' has no applications you can see.")
    return 0


async def _app_create(ctx: CliContext, args: argparse.Namespace) -> int:
    record = await with_orgs(ctx, lambda s: s.orgs.create_app(args.org, args.name), mutating=True)
    _warnings(ctx, record)
    workspace = record.data.get("workspace", "")
    ctx.emit(
        {**record.to_dict(), "workspace": workspace},
        f"Application '{args.org}/{args.name}' created with Superposition workspace {workspace}.",
    )
    return 0


async def _app_delete(ctx: CliContext, args: argparse.Namespace) -> int:
    record = await with_orgs(ctx, lambda s: _delete(ctx, args, s, args.org, args.name), mutating=args.yes)
    kept = " Its files were kept." if record.params.get("keep_files") else ""
    ctx.emit(
        record.to_dict(), f"Application '{args.org}/{args.name}' deleted; its workspace is disabled.{kept}"
    )
    return 0


async def _app_migrate(ctx: CliContext, args: argparse.Namespace) -> int:
    if args.check:
        health = await with_orgs(
            ctx, lambda s: s.orgs.diagnose_workspace(args.org, args.name), mutating=False
        )
        text = health.describe()
        if health.broken:
            text += " " + BrokenWorkspace.from_health(health).hint
        ctx.emit(health.to_json(), text)
        if health.healthy:
            return ExitCode.OK
        return ExitCode.INTEGRITY if health.broken else ExitCode.UNAVAILABLE
    outcome = await with_orgs(ctx, lambda s: s.orgs.migrate_workspace(args.org, args.name), mutating=True)
    ctx.emit(outcome.to_json(), outcome.message())
    return ExitCode.OK


def register(sub: Any) -> None:
    org = add_group(sub, "org", "organisations (Keycloak groups)")
    add_verb(org, "list", "organisations you belong to (realm admins: all)", _org_list)
    create = add_verb(org, "create", "create an organisation; you become its owner", _org_create)
    create.add_argument("name")
    delegate = add_verb(
        org,
        "delegate",
        "(realm administrators) create or repair the Keycloak admin permissions that let an "
        "organisation's owners and admins manage it and its members see it",
        _org_delegate,
    )
    delegate.add_argument("name")
    delete = add_verb(
        org,
        "delete",
        "delete an organisation: groups, workspaces (disabled) and stored files; without --yes, only "
        "say what would be deleted",
        _org_delete,
    )
    delete.add_argument("name")
    delete.add_argument("--yes", action="store_true", help="confirm the deletion")
    delete.add_argument("--keep-files", action="store_true", help="keep the stored files in S3")

    app = add_group(sub, "app", "applications of an organisation (each with its own workspace)")
    lst = add_verb(app, "list", "applications of an organisation", _app_list)
    lst.add_argument("--org", required=True)
    create = add_verb(app, "create", "create an application with its Superposition workspace", _app_create)
    create.add_argument("--org", required=True)
    create.add_argument("name")
    delete = add_verb(
        app,
        "delete",
        "delete an application (its workspace is disabled) and its stored files; without --yes, only say "
        "what would be deleted",
        _app_delete,
    )
    delete.add_argument("--org", required=True)
    delete.add_argument("name")
    delete.add_argument("--yes", action="store_true", help="confirm the deletion")
    delete.add_argument("--keep-files", action="store_true", help="keep the stored files in S3")
    migrate = add_verb(
        app,
        "migrate-workspace",
        "check the application's workspace and, only if its experiments fail while its config works, "
        "repair it (POST /workspaces/NAME/db/migrate) and check again",
        _app_migrate,
    )
    migrate.add_argument("--org", required=True)
    migrate.add_argument("name")
    migrate.add_argument(
        "--check",
        action="store_true",
        help="only check, change nothing; exit 0 healthy, 5 broken, 6 cannot tell",
    )
