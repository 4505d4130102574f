"""Tags: mutable pointers `tags/{tag}.json` → a version, with who moved them last and when."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from hyperota_desktop.domain.errors import NotFound
from hyperota_desktop.domain.packages import AppKeys, check_tag
from hyperota_desktop.services.storage import S3Objects


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

    async def write(self, org: str, app: str, tag: str, version: int, *, by: str) -> None:
        check_tag(tag)
        body = {
            "tag": tag, "version": version, "updated_by": by,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }  # fmt: skip
        await self.objects.put_bytes(
            self._keys(org, app).tag_key(tag), json.dumps(body, sort_keys=True).encode(),
            content_type="application/json", what=f"Tag '{tag}'",
        )  # fmt: skip

    async def delete(self, org: str, app: str, tag: str) -> None:
        await self.objects.delete(self._keys(org, app).tag_key(tag))
