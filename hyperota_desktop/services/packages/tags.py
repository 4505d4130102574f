"""Tags: mutable pointers `tags/{tag}.json` → a version, with who moved them last and when.

One object per tag, so a tag points at exactly one version whatever happens: moving it is one PUT that
replaces the pointer (S3 PUTs of one key are atomic: a reader sees the old object or the new one).

Every change is conditional on the pointer read before it (`If-Match` its ETag, `If-None-Match: *` when
there was none; `storage/conditional.py`): when two people move a tag at once, one wins and the other
gets a `Conflict` naming who moved it where, instead of silently overwriting them. A store without
conditional writes falls back to last write wins.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hyperota_desktop.domain.errors import Conflict, NotFound
from hyperota_desktop.domain.packages import AppKeys, check_tag
from hyperota_desktop.services.storage import S3Objects
from hyperota_desktop.services.storage.conditional import ConditionFailed


@dataclass(frozen=True)
class TagPointer:
    """One tag object as stored: its version, and the run that wrote it (`saga`; "" = not a run that
    marks its pointer, e.g. an older build). `body` is the object as read, to put it back unchanged;
    `etag` its version in S3, so a write replaces only what was read ("": unconditional)."""

    version: int
    saga: str
    body: dict[str, Any]
    etag: str = ""

    @classmethod
    def of(cls, body: dict[str, Any], etag: str = "") -> TagPointer:
        return cls(int(body["version"]), str(body.get("saga", "")), dict(body), etag)

    @property
    def by(self) -> str:
        return str(self.body.get("updated_by") or "someone")


class Tags:
    def __init__(self, objects: S3Objects, key_prefix: str) -> None:
        self.objects = objects
        self.key_prefix = key_prefix

    def _keys(self, org: str, app: str) -> AppKeys:
        return AppKeys(self.key_prefix, org, app)

    async def read(self, org: str, app: str) -> dict[str, int]:
        """Tag → version of every readable tag of the application."""
        objects = await self.objects.list_objects(self._keys(org, app).tags_prefix)

        async def one(key: str) -> tuple[str, int] | None:
            try:
                data = json.loads(await self.objects.get_bytes(key, "Read tag"))
                return str(data["tag"]), int(data["version"])
            except (NotFound, ValueError, KeyError, TypeError, RecursionError):
                return None

        pairs = await asyncio.gather(*(one(o.key) for o in objects if o.key.endswith(".json")))
        return dict(p for p in pairs if p is not None)

    async def pointer(self, org: str, app: str, tag: str) -> TagPointer | None:
        """The tag as S3 holds it now (one GET), None when there is none or it is unreadable (as `read`)."""
        try:
            raw, etag = await self.objects.get_with_etag(
                self._keys(org, app).tag_key(tag), f"Read tag '{tag}'"
            )
            return TagPointer.of(json.loads(raw), etag)
        except (NotFound, ValueError, KeyError, TypeError, RecursionError, AttributeError):
            return None

    async def write(
        self, org: str, app: str, tag: str, version: int, *, by: str, over: TagPointer | None, saga: str = ""
    ) -> bool:
        """Point `tag` at `version` if it is still `over` (the pointer read; None: there was no tag).
        `saga`: the run writing it, so its undo knows the pointer is its own. False: someone else had
        pointed it at `version` meanwhile (nothing written); `Conflict`: at another version."""
        check_tag(tag)
        body: dict[str, Any] = {
            "tag": tag, "version": version, "updated_by": by,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }  # fmt: skip
        if saga:
            body["saga"] = saga
        return await self.put_body(org, app, tag, body, over=over)

    async def put_body(
        self, org: str, app: str, tag: str, body: dict[str, Any], *, over: TagPointer | None
    ) -> bool:
        """Store a tag object as given (a write, or an undo putting the previous pointer back as it was),
        if the tag is still `over`; the outcomes of `write`."""
        check_tag(tag)
        try:
            await self.objects.put_bytes(
                self._keys(org, app).tag_key(tag), json.dumps(body, sort_keys=True).encode(),
                content_type="application/json", what=f"Tag '{tag}'",
                if_match=over.etag if over is not None else "", if_none_match=over is None,
            )  # fmt: skip
            return True
        except ConditionFailed:
            now = await self.pointer(org, app, tag)
        if now is not None and now.version == int(body["version"]):
            return False  # where this write wanted it (someone else's same move, or our own earlier PUT)
        if now is None and over is None:  # If-None-Match refused, yet nothing readable: a damaged object
            raise Conflict(
                f"Tag '{tag}' of {org}/{app} exists in S3 but cannot be read; nothing changed.",
                hint=f"Delete the object {self._keys(org, app).tag_key(tag)} in S3, then move the tag again.",
            )
        raise self._moved(org, app, tag, now)

    async def delete(self, org: str, app: str, tag: str, *, over: TagPointer) -> bool:
        """Delete the tag if it is still `over`; False: it was gone already; `Conflict`: moved since."""
        try:
            await self.objects.delete(self._keys(org, app).tag_key(tag), if_match=over.etag)
            return True
        except ConditionFailed:
            now = await self.pointer(org, app, tag)
        if now is None:
            return False
        raise self._moved(org, app, tag, now)

    @staticmethod
    def _moved(org: str, app: str, tag: str, now: TagPointer | None) -> Conflict:
        where = f"Tag '{tag}' of {org}/{app}"
        happened = "was deleted" if now is None else f"was moved to version {now.version} by {now.by}"
        return Conflict(
            f"{where} {happened} meanwhile; nothing changed.",
            hint="Look at the tags again, then move it if you still want to.",
        )
