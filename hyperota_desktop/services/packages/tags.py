"""Tags: mutable pointers `tags/{tag}.json` → a version, with who moved them last and when.

One object per tag, so a tag points at exactly one version whatever happens: moving it is one PUT that
replaces the pointer (S3 PUTs of one key are atomic: a reader sees the old object or the new one).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hyperota_desktop.domain.errors import NotFound
from hyperota_desktop.domain.packages import AppKeys, check_tag
from hyperota_desktop.services.storage import S3Objects


@dataclass(frozen=True)
class TagPointer:
    """One tag object as stored: its version, and the run that wrote it (`saga`; "" = not a tag move
    run, e.g. a publish or an older build). `body` is the object as read, to put it back unchanged."""

    version: int
    saga: str
    body: dict[str, Any]


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
            raw = await self.objects.get_bytes(self._keys(org, app).tag_key(tag), f"Read tag '{tag}'")
            body = json.loads(raw)
            return TagPointer(int(body["version"]), str(body.get("saga", "")), dict(body))
        except (NotFound, ValueError, KeyError, TypeError, RecursionError):
            return None

    async def write(self, org: str, app: str, tag: str, version: int, *, by: str, saga: str = "") -> None:
        """Point `tag` at `version`; `saga`: the run writing it, so its undo knows the pointer is its own."""
        check_tag(tag)
        body: dict[str, Any] = {
            "tag": tag, "version": version, "updated_by": by,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }  # fmt: skip
        if saga:
            body["saga"] = saga
        await self.put_body(org, app, tag, body)

    async def put_body(self, org: str, app: str, tag: str, body: dict[str, Any]) -> None:
        """Store a tag object as given (a write, or an undo putting the previous pointer back as it was)."""
        check_tag(tag)
        await self.objects.put_bytes(
            self._keys(org, app).tag_key(tag), json.dumps(body, sort_keys=True).encode(),
            content_type="application/json", what=f"Tag '{tag}'",
        )  # fmt: skip

    async def delete(self, org: str, app: str, tag: str) -> None:
        await self.objects.delete(self._keys(org, app).tag_key(tag))
