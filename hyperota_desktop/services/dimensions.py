"""Dimensions of an application: list, create, reorder (position = priority), delete when unused.

Superposition keeps its own `variantIds` at position 0; ours start at 1. A dimension at a higher position
weighs more: when a device matches two targets, the one using higher-positioned dimensions wins.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.access import Action
from hyperota_desktop.domain.dimensions import (
    MAX_DESCRIPTION,
    Dimension,
    DimensionKind,
    check_name,
    schema_for,
)
from hyperota_desktop.domain.errors import Conflict, NotFound, ValidationError
from hyperota_desktop.domain.releases import release_from_experiment
from hyperota_desktop.domain.targeting import VARIANT_DIMENSION, Target, flat_condition
from hyperota_desktop.services.authz import Authorizer
from hyperota_desktop.services.orgs import OrgService
from hyperota_desktop.services.release_access import WorkspaceLocator
from hyperota_desktop.services.sp_workspace import WorkspaceApi
from hyperota_desktop.services.superposition import SuperpositionClient

log = logging.getLogger("hyperota.services.dimensions")


def dimension_from(data: dict[str, Any]) -> Dimension:
    schema = data.get("schema")
    return Dimension(
        name=str(data.get("dimension", "")),
        position=int(data.get("position") or 0),
        schema=dict(schema) if isinstance(schema, dict) else {},
        description=str(data.get("description") or ""),
        created_by=str(data.get("created_by") or ""),
    )


@dataclass(frozen=True)
class DimensionUsage:
    """What uses a dimension: releases (any state) and the targets concluded releases left behind."""

    dimension: str
    releases: tuple[tuple[str, str, Target], ...]  # (release id, status text, target)
    targets: tuple[Target, ...]  # contexts outside any release (what concluded releases left)

    @property
    def used(self) -> bool:
        return bool(self.releases or self.targets)

    def describe(self) -> str:
        parts = [f"release {rid} ({status}, {target.short()})" for rid, status, target in self.releases[:5]]
        if len(self.releases) > 5:
            parts.append(f"{len(self.releases) - 5} more release(s)")
        if self.targets:
            shown = "; ".join(t.short() for t in self.targets[:5])
            parts.append(f"{len(self.targets)} released target(s): {shown}")
        return ", ".join(parts)


class DimensionService:
    """Reading needs read access to the application, changing its dimensions admin (the authorizer's)."""

    def __init__(
        self,
        superposition: SuperpositionClient,
        orgs: OrgService,
        locator: WorkspaceLocator,
        authz: Authorizer,
    ) -> None:
        self.superposition = superposition
        self.orgs = orgs
        self.locator = locator
        self.authz = authz

    async def _api(self, org: str, app: str) -> WorkspaceApi:
        await self.orgs.ensure_superposition_org()
        return WorkspaceApi(self.superposition, await self.locator.workspace(org, app))

    async def all(self, org: str, app: str) -> list[Dimension]:
        """The application's dimensions by position (lowest priority first), without `variantIds`."""
        await self.authz.require(Action.VIEW_APP, org, app)
        return await self._list(await self._api(org, app))

    async def _list(self, api: WorkspaceApi) -> list[Dimension]:
        found = [dimension_from(d) for d in await api.dimensions()]
        return sorted((d for d in found if not d.system), key=lambda d: d.position)

    async def create(
        self,
        org: str,
        app: str,
        name: str,
        kind: DimensionKind,
        *,
        values: Sequence[str] = (),
        description: str = "",
        position: int | None = None,
    ) -> Dimension:
        """A new dimension; at the end (highest priority) unless `position` says where."""
        check_name(name)
        schema = schema_for(kind, tuple(values))
        if len(description) > MAX_DESCRIPTION:
            raise ValidationError(f"A description is at most {MAX_DESCRIPTION} characters.")
        await self.authz.require(Action.EDIT_DIMENSIONS, org, app)
        api = await self._api(org, app)
        current = await self._list(api)
        if any(d.name == name for d in current):
            raise Conflict(f"{org}/{app} already has a dimension '{name}'.")
        last = len(current) + 1
        at = last if position is None else position
        if not 1 <= at <= last:
            raise ValidationError(f"Position {at} is not between 1 and {last}.")
        reason = f"HyperOTA: add dimension {name} to {org}/{app}"
        created = await api.create_dimension(
            name, at, schema, description or f"{name} ({kind.value})", reason
        )
        return (
            dimension_from(created) if created.get("dimension") else Dimension(name, at, schema, description)
        )

    async def move(self, org: str, app: str, name: str, position: int) -> list[Dimension]:
        """Give `name` another position (others shift); the list in the new order."""
        await self.authz.require(Action.EDIT_DIMENSIONS, org, app)
        api = await self._api(org, app)
        current = await self._list(api)
        if not any(d.name == name for d in current):
            raise NotFound(f"{org}/{app} has no dimension '{name}'.")
        if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= len(current):
            raise ValidationError(
                f"Position must be a whole number from 1 to {len(current)}, not {position!r}."
            )
        await api.move_dimension(name, position, f"HyperOTA: move dimension {name} to position {position}")
        return await self._list(api)

    async def usage(self, org: str, app: str, name: str) -> DimensionUsage:
        await self.authz.require(Action.VIEW_APP, org, app)
        return await self._usage(await self._api(org, app), name)

    async def _usage(self, api: WorkspaceApi, name: str) -> DimensionUsage:
        releases: list[tuple[str, str, Target]] = []
        async for data in api.experiments(params={"status": "CREATED,INPROGRESS,PAUSED"}):
            release = release_from_experiment(data)
            if name in release.target.as_dict():
                releases.append((release.id, release.status_text, release.target))
        targets: list[Target] = []
        for ctx in await api.contexts():
            condition = flat_condition(ctx.get("value") or ctx.get("condition") or {})
            if name in condition and VARIANT_DIMENSION not in condition:
                targets.append(Target.of(condition))
        return DimensionUsage(name, tuple(releases), tuple(targets))

    async def delete(self, org: str, app: str, name: str) -> None:
        """Delete an unused dimension; Conflict naming what uses it otherwise."""
        await self.authz.require(Action.EDIT_DIMENSIONS, org, app)
        api = await self._api(org, app)
        if not any(d.name == name for d in await self._list(api)):
            raise NotFound(f"{org}/{app} has no dimension '{name}'.")
        usage = await self._usage(api, name)
        if usage.used:
            raise Conflict(
                f"Dimension '{name}' is in use: {usage.describe()}.",
                hint="Discard or conclude those releases; a released target keeps using it.",
            )
        try:
            await api.delete_dimension(name)
        except ValidationError as exc:  # used since we looked: the server refuses too
            raise Conflict(f"Dimension '{name}' is in use ({exc.message}).") from exc
