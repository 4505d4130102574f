"""Moving a tag as a journalled operation (`package.tag`), so the Activity page and `hyperota activity`
show who pointed which tag at which version, and from which version it moved.

What is checked first changes nothing and journals nothing (as a workspace repair that finds nothing
to repair): a bad tag name (ValidationError), no write access (PermissionDenied), a version that does
not exist (NotFound), a tag that already points at the version (nothing to move: `TagMove.changed`
False). Then a run of two steps:

1. `move the tag`: remember the pointer as it is (its version: "moved from"; its whole object, to put it
   back; its ETag), then PUT `tags/{tag}.json` → the version, marked with this run's id, conditional on
   that ETag (or on there being no tag). One object per tag, one PUT: no moment exists where two
   versions hold the tag. Someone else's move in between fails the PUT: the run fails with a
   `Conflict` naming who moved it where, and their move stays (if they moved it to this very version,
   the run is done). Undo: put the remembered pointer back (or delete the tag if it was new), only if
   the pointer is still this run's, conditional on it: a move someone made since is theirs, kept.
2. `check the tag`: read the pointer back from S3 (it is this run's, at the version) and check that
   the version's manifest still exists. Nothing to undo.

A failure in a step undoes the move and is recorded as a failed run with its error (Activity shows it);
the caller gets `SagaFailed` ("failed and was undone", exit code of the cause). A run a crash
interrupted is undone at the next start (ROLLBACK: the person saw no answer, so nothing moved).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hyperota_desktop.domain.errors import Conflict, IntegrityError, NotFound
from hyperota_desktop.services.packages.tags import TagPointer
from hyperota_desktop.services.saga import SagaContext, SagaDefinition, SagaRunner, Step
from hyperota_desktop.services.workers import landed_before_cancel

if TYPE_CHECKING:
    from hyperota_desktop.services.packages.catalogue import Catalogue

log = logging.getLogger("hyperota.services.packages")
TAG_KIND = "package.tag"  # services/activity.py words its outcome (tag, version, moved from)


@dataclass(frozen=True)
class TagMove:
    """What a tag change did: `moved_from` the version the tag pointed at before (None: a new tag);
    `changed` False when it already pointed at `version` (nothing written, nothing journalled)."""

    org: str
    app: str
    tag: str
    version: int
    moved_from: int | None
    changed: bool = True

    def describe(self) -> str:
        where = f"Tag '{self.tag}' of {self.org}/{self.app}"
        if not self.changed:
            return f"{where} already points at version {self.version}; nothing changed."
        if self.moved_from is None:
            return f"{where} now points at version {self.version} (a new tag)."
        return f"{where} now points at version {self.version} (moved from version {self.moved_from})."

    def to_dict(self) -> dict[str, Any]:
        return {
            "org": self.org, "app": self.app, "tag": self.tag, "version": self.version,
            "moved_from": self.moved_from, "changed": self.changed,
        }  # fmt: skip


def tag_move_title(org: str, app: str, tag: str, version: int) -> str:
    return f"Move tag '{tag}' of {org}/{app} to version {version}"


def tag_move_steps(catalogue: Catalogue, params: dict[str, Any]) -> list[Step]:
    org, app, tag = str(params["org"]), str(params["app"]), str(params["tag"])
    version = int(params["version"])
    tags = catalogue.tags

    async def move(ctx: SagaContext) -> None:
        if "moved_from" not in ctx.data:  # re-run after an interruption: keep what it was at the start
            before = await tags.pointer(org, app, tag)
            ctx.data["moved_from"] = before.version if before is not None else None
            ctx.data["previous"] = before.body if before is not None else None
            ctx.data["previous_etag"] = before.etag if before is not None else ""
            await ctx.save()  # before the PUT: an undo after a crash knows what to put back
        previous = ctx.data.get("previous")
        over = TagPointer.of(previous, str(ctx.data.get("previous_etag") or "")) if previous else None
        # Conditional on the pointer read: someone else's move since then makes this a Conflict (the run
        # fails, their move stays). A cancel (quit, profile switch) waits for the PUT to end: its thread
        # would otherwise land it after the undo had looked at the pointer, leaving the tag moved by a
        # run recorded as undone.
        wrote = await landed_before_cancel(
            tags.write(org, app, tag, version, by=str(params["by"]), saga=ctx.saga_id, over=over)
        )
        ctx.data["found_there"] = not wrote  # someone else had pointed it here meanwhile: done too

    async def put_back(ctx: SagaContext) -> None:
        if "moved_from" not in ctx.data:
            return  # stopped before anything was read or written
        now = await tags.pointer(org, app, tag)
        if now is None or now.saga != ctx.saga_id:
            log.info("tag %s of %s/%s is not this run's (%s): left as it is", tag, org, app, ctx.saga_id)
            return  # never written by this run, or moved by someone since: theirs, kept
        previous = ctx.data.get("previous")
        try:  # conditional on `now`: a move someone makes while this undo runs is theirs, kept too
            if isinstance(previous, dict):
                await tags.put_body(org, app, tag, previous, over=now)
            else:
                await tags.delete(org, app, tag, over=now)
        except Conflict as exc:
            log.info("undo of %s left tag %s of %s/%s as it is: %s", ctx.saga_id, tag, org, app, exc)

    async def check(ctx: SagaContext) -> None:
        now = await tags.pointer(org, app, tag)
        ours = now is not None and (now.saga == ctx.saga_id or bool(ctx.data.get("found_there")))
        if now is None or not ours or now.version != version:
            found = f"points at version {now.version}" if now is not None else "is gone"
            raise IntegrityError(
                f"Tag '{tag}' of {org}/{app} {found} right after this move wrote it: someone else "
                "changed it at the same time.",
                hint="Look at the package list and move the tag again if it is still wrong.",
            )
        if await catalogue.objects.size_of(catalogue.keys(org, app).manifest_key(version)) is None:
            raise NotFound(
                f"Package {version} of {org}/{app} was deleted while its tag was moved.",
                hint="Choose a version that exists (`hyperota package list`).",
                gui_hint="Choose a version the package list shows.",
            )

    return [Step("move the tag", move, put_back), Step("check the tag", check)]


def register_tag_saga(sagas: SagaRunner, catalogue: Callable[[dict[str, Any]], Catalogue]) -> None:
    """Register `package.tag`; `catalogue(params)` gives the catalogue of the run's profile."""
    sagas.register(SagaDefinition(TAG_KIND, lambda params: tag_move_steps(catalogue(params), params)))
