"""Presenter of the device preview: asks the server what one device gets (`previews.preview`), or answers
offline from a saved snapshot (`DevicePreviewService.preview_offline`, run in a worker thread); saves
and opens snapshots through Qt's file dialog, awaited (no nested event loop). The words are the service's
(`DevicePreview.headline()`/`explanation`): the same answer as `hyperota release preview`.

Profile, identity and selection arrive like everywhere: `set_services()`, `identity_changed()`,
`select()`; `dimensions_changed()` when the Dimensions page changed them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtWidgets import QWidget

from hyperota_desktop.domain.access import Action
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.services.device_preview import DevicePreview, DevicePreviewService
from hyperota_desktop.services.dimensions import DimensionService
from hyperota_desktop.services.offline_resolve import Snapshot
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.confirm import choose_file
from hyperota_desktop.ui.presenters.scoped import AppScopedPresenter, PermissionOf
from hyperota_desktop.ui.views.device_preview import DevicePreviewPanel
from hyperota_desktop.ui.widgets.local_time import local_time

SNAPSHOT_FILTER = "Snapshots (*.json);;All files (*)"


class PreviewServices(Protocol):
    @property
    def previews(self) -> DevicePreviewService: ...

    @property
    def dimensions(self) -> DimensionService: ...


class DevicePreviewPresenter(AppScopedPresenter[PreviewServices]):
    def __init__(
        self,
        panel: DevicePreviewPanel,
        messages: MessageChannel,
        permission: PermissionOf | None = None,
        dialog_parent: QWidget | None = None,
    ) -> None:
        super().__init__(panel, messages, permission, dialog_parent)
        self._panel = panel
        self.snapshot: Snapshot | None = None
        self.last: DevicePreview | None = None
        panel.previewRequested.connect(
            lambda dims, ident, toss, offline: self._tasks.start(
                "device-preview", self.preview(dims, ident, toss, offline), replace=True
            )
        )
        panel.openSnapshotRequested.connect(lambda: self._tasks.start("snapshot-open", self.open_snapshot()))
        panel.saveSnapshotRequested.connect(lambda: self._tasks.start("snapshot-save", self.save_snapshot()))
        self._update()

    # -- identity, selection (the profile's services: the base's set_services) -------------------------
    def identity_changed(self, identity: object) -> None:
        self._signed_in = identity is not None
        self._tasks.cancel("device-preview", "preview-dimensions")
        self._panel.clear()
        self._update()
        self.dimensions_changed(self.org, self.app)

    def forget_inputs(self) -> None:
        """Another person (`AuthPresenter.personChanged`): the previous one's device, values and
        snapshot go; a sign-in that merely ended keeps them."""
        self.snapshot = None
        self.last = None
        self._panel.forget_inputs()
        self._update()

    def select(self, org: str, app: str) -> None:
        self.org, self.app = org, app
        self._tasks.cancel("device-preview", "preview-dimensions")
        self._panel.clear()
        self._update()
        self.dimensions_changed(org, app)

    def permissions_changed(self) -> None:
        self._update()

    def dimensions_changed(self, org: str, app: str) -> None:
        if (org, app) == (self.org, self.app) and self._live:
            self._tasks.start("preview-dimensions", self._load_dimensions(), replace=True)

    # -- file choosers (tests replace this) ------------------------------------------------------------
    async def choose(self, title: str, save: str = "") -> str:
        return await choose_file(self._parent, title, SNAPSHOT_FILTER, save=save)

    # -- work --------------------------------------------------------------------------------------------
    async def _load_dimensions(self) -> None:
        dims = await self._session().dimensions.all(self.org, self.app)
        if self.snapshot is None or not self._panel.offline:
            self._panel.set_dimensions(dims)

    async def preview(self, dims: dict[str, Any], identifier: str, toss: int | None, offline: bool) -> None:
        if offline:
            snapshot = self.snapshot
            if snapshot is None:
                raise ValidationError("Open a snapshot first.")
            result = await asyncio.to_thread(
                DevicePreviewService.preview_offline, snapshot, dims, identifier=identifier, toss=toss
            )
        else:
            result = await self._session().previews.preview(
                self.org, self.app, dims, identifier=identifier, toss=toss
            )
        self.last = result
        self._panel.show_result(
            "\n".join(line.strip() for line in result.headline()),
            [*result.explanation, *(f"Problem: {p}" for p in result.problems)],
            result.files,
            result.config,
        )

    async def open_snapshot(self) -> None:
        path = await self.choose("Open a saved snapshot")
        if not path:
            return
        snapshot = await asyncio.to_thread(Snapshot.load, Path(path))
        self.snapshot = snapshot
        where = f"{snapshot.org}/{snapshot.app}, saved {local_time(snapshot.saved_at)}"
        self._panel.set_snapshot(f"{where} (Superposition {snapshot.server_version})", True)
        self._panel.set_dimensions(list(snapshot.dimension_list().values()))
        self._messages.info(f"Previews now answer from the snapshot of {snapshot.org}/{snapshot.app}.")

    async def save_snapshot(self) -> None:
        org, app = self.org, self.app
        path = await self.choose("Save a snapshot for offline previews", save=f"{org}-{app}-snapshot.json")
        if not path:
            return
        snapshot = await self._session().previews.snapshot(org, app)
        await asyncio.to_thread(Path(path).write_text, snapshot.to_json(), encoding="utf-8")
        self._messages.info(f"Snapshot of {org}/{app} saved to {path} ({len(snapshot.experiments)} running).")

    # -- internals ---------------------------------------------------------------------------------------
    def _update(self) -> None:
        if not self.app:
            self._panel.set_live(False, "Select an application on the left.")
            return
        may = self._permission(Action.VIEW_APP, self.org, self.app)
        self._panel.set_live(self._live and may.allowed, may.reason or "Sign in to preview devices.")
