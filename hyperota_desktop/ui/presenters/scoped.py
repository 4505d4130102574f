"""The base of the presenters of the selection's pages (Releases, Dimensions, device preview: one
application; Organisations: the navigation, Members and Activity, which show something for an
organisation or nothing selected too): what each of them holds the same way, so each page's presenter
is only what the page does.

It holds the profile's services (`set_services()`: a new profile cancels the running work and clears the
selection), whether someone is signed in, the selected organisation and application, the permission
check, the parent of its dialogs and its named tasks (`PresenterTasks`). A presenter is *live* when an
application is selected (unless `needs_app` is false), someone is signed in and a profile is active;
`_start()` runs work only then.

Subclasses answer `select()`, `identity_changed()` and `permissions_changed()` (the window's signals, wired
by `app/release_gui.py`): what each clears and reloads is the page's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from hyperota_desktop.domain.access import Action, Permission
from hyperota_desktop.domain.errors import NotFound
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.tasks import PresenterTasks

PermissionOf = Callable[[Action, str, str], Permission]
Services = TypeVar("Services")


def allow_everything(_action: Action, _org: str, _app: str) -> Permission:
    """The permission check when none is given (widget tests): every action allowed."""
    return Permission(True)


class AppScopedPresenter(QObject, Generic[Services]):
    """`view`: the page (or panel) presented, also the presenter's Qt parent and, unless `dialog_parent`
    is given, its dialogs' parent."""

    needs_app = True  # live only with an application selected

    def __init__(
        self,
        view: QWidget,
        messages: MessageChannel,
        permission: PermissionOf | None = None,
        dialog_parent: QWidget | None = None,
    ) -> None:
        super().__init__(view)
        self._messages = messages
        self._permission = permission or allow_everything
        self._parent = dialog_parent or view
        self._services: Services | None = None
        self._signed_in = False
        self._tasks = PresenterTasks(messages)
        self.org = self.app = ""

    # -- profile, identity, selection ------------------------------------------------------------------
    def set_services(self, services: Services | None) -> None:
        """Another profile (or none): its work is cancelled and nothing stays selected."""
        if services is self._services:
            return
        self._tasks.cancel_all()
        self._services = services
        self._forget_profile()

    def _forget_profile(self) -> None:
        """What a new profile clears (`set_services`): by default the selection."""
        self.select("", "")

    def select(self, org: str, app: str) -> None:
        raise NotImplementedError

    def identity_changed(self, identity: object) -> None:
        raise NotImplementedError

    def permissions_changed(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        await self._tasks.stop()

    async def wait_idle(self) -> None:
        await self._tasks.wait_idle()

    # -- internals ---------------------------------------------------------------------------------------
    @property
    def _live(self) -> bool:
        return (bool(self.app) or not self.needs_app) and self._signed_in and self._services is not None

    def _session(self) -> Services:
        if self._services is None:
            raise NotFound("No profile is active.", hint="Create or choose a profile first.")
        return self._services

    def _start(
        self, name: str, coro: Coroutine[Any, Any, Any], *, replace: bool = False
    ) -> asyncio.Task[Any] | None:
        """Run `coro` as the task `name` if the presenter is live; otherwise the work is dropped."""
        if not self._live:
            coro.close()
            return None
        return self._tasks.start(name, coro, replace=replace)
