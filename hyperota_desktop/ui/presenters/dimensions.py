"""Presenter of the Dimensions page: lists an application's dimensions, creates (awaited dialog), moves
and deletes them through `DimensionService`, each as a named task; a deletion first asks what uses the
dimension and, if anything does, says so instead of asking to confirm.

Profile and identity changes arrive by one path each: `set_services()` and `identity_changed()`;
the selection by `select()`. Actions are enabled by the authorizer (admin: `Action.EDIT_DIMENSIONS`).
Signals: `changed(str, str)` after the dimensions of an application changed (organisation, application).
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from hyperota_desktop.domain.access import Action
from hyperota_desktop.domain.dimensions import DimensionKind
from hyperota_desktop.services.dimensions import DimensionService
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.confirm import confirm_action
from hyperota_desktop.ui.presenters.dialogs import dialog_result
from hyperota_desktop.ui.presenters.scoped import AppScopedPresenter, PermissionOf
from hyperota_desktop.ui.views.dimensions_page import DimensionsPage, NewDimensionDialog
from hyperota_desktop.ui.widgets.status_badge import Tone

NewDimension = tuple[str, DimensionKind, tuple[str, ...], str]


class DimensionServices(Protocol):
    @property
    def dimensions(self) -> DimensionService: ...


class DimensionsPresenter(AppScopedPresenter[DimensionServices]):
    changed = Signal(str, str)

    def __init__(
        self,
        page: DimensionsPage,
        messages: MessageChannel,
        permission: PermissionOf | None = None,
        dialog_parent: QWidget | None = None,
    ) -> None:
        super().__init__(page, messages, permission, dialog_parent)
        self._page = page
        page.newRequested.connect(lambda: self._start("dimension-create", self.create()))
        page.moveRequested.connect(lambda n, p: self._start("dimension-move", self.move(n, p), replace=True))
        page.deleteRequested.connect(lambda n: self._start("dimension-delete", self.delete(n)))
        page.refreshRequested.connect(self.refresh)
        self._show_target()

    # -- identity, selection (the profile's services: the base's set_services) -------------------------
    def identity_changed(self, identity: object) -> None:
        self._signed_in = identity is not None
        self._tasks.cancel_all()
        self._page.set_dimensions([])
        self._show_target()
        self.refresh()

    def select(self, org: str, app: str) -> None:
        self.org, self.app = org, app
        self._tasks.cancel("dimensions-load", "dimension-move")
        self._page.set_dimensions([])
        self._page.show_status("")
        self._show_target()
        self.refresh()

    def permissions_changed(self) -> None:
        permission = self._permission(Action.EDIT_DIMENSIONS, self.org, self.app)
        self._page.set_permission(permission.allowed, permission.reason)

    def refresh(self) -> None:
        if self._live:
            self._start("dimensions-load", self.load(), replace=True)

    # -- dialogs (tests replace these) -----------------------------------------------------------------
    async def ask_new(self, taken: set[str]) -> NewDimension | None:
        dialog = NewDimensionDialog(taken, self._parent)
        try:
            if not await dialog_result(dialog):
                return None
            return dialog.name_edit.text(), dialog.kind, dialog.values, dialog.description
        finally:
            dialog.deleteLater()

    async def confirm(self, title: str, lines: list[str], action: str) -> bool:
        accepted, _why = await confirm_action(self._parent, title, lines, action, ask_why=False)
        return accepted

    # -- work --------------------------------------------------------------------------------------------
    async def load(self, keep: str = "") -> None:
        dims = await self._service().all(self.org, self.app)
        self._page.set_dimensions(dims, keep)
        if not dims:
            self._page.show_status("No dimensions yet: releases can only target every device.")

    async def create(self) -> None:
        answer = await self.ask_new({d.name for d in self._page.model.rows})
        if answer is None:
            return
        name, kind, values, description = answer
        org, app = self.org, self.app
        made = await self._service().create(
            org, app, name, kind, values=values if kind is DimensionKind.ENUM else (), description=description
        )
        self._page.show_status(f"Dimension {made.name} added at position {made.position} (highest priority).")
        self._messages.info(f"Dimension '{made.name}' added to {org}/{app}.")
        await self._after_change(org, app, made.name)

    async def move(self, name: str, position: int) -> None:
        org, app = self.org, self.app
        dims = await self._service().move(org, app, name, position)
        self._page.set_dimensions(dims, name)
        self._page.show_status(f"Dimension {name} is now at position {position}.")
        self.changed.emit(org, app)

    async def delete(self, name: str) -> None:
        org, app = self.org, self.app
        service = self._service()
        usage = await service.usage(org, app, name)
        if usage.used:
            text = f"Dimension {name} cannot be deleted: it is used by {usage.describe()}."
            self._page.show_status(text, Tone.DANGER)
            self._messages.warning(text)
            return
        lines = [f"Delete dimension {name} of {org}/{app}. No release or released target uses it."]
        if not await self.confirm(f"Delete dimension {name}", lines, "Delete"):
            return
        await service.delete(org, app, name)
        self._page.show_status(f"Dimension {name} deleted.")
        self._messages.info(f"Dimension '{name}' deleted from {org}/{app}.")
        await self._after_change(org, app, "")

    # -- internals ---------------------------------------------------------------------------------------
    def _service(self) -> DimensionService:
        return self._session().dimensions

    def _show_target(self) -> None:
        if not self.app:
            text = "Select an application on the left."
        elif not self._signed_in:
            text = f"Dimensions of {self.org}/{self.app}: sign in to see them."
        else:
            text = f"Dimensions of {self.org}/{self.app}"
        self._page.set_target(text, self._live)
        self.permissions_changed()

    async def _after_change(self, org: str, app: str, keep: str) -> None:
        self.changed.emit(org, app)
        if (org, app) == (self.org, self.app):
            await self.load(keep)
