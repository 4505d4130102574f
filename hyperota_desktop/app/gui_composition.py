"""Composition root of the GUI: builds the window and its presenters around the services, once, and
drives the one path by which a profile's services reach them (start, switch, edit) and leave (quit).

`Gui.use_active_profile()`: when the active profile's services are stale (another profile, or the
profile edited), every presenter's work is cancelled and awaited, the old services are closed, and the
new ones handed to every presenter (`set_services`); the auth presenter then says who is signed in
there, and `identityChanged` reaches every page. Permissions come from the services' authorizer only.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Protocol

from hyperota_desktop.domain.access import Action
from hyperota_desktop.domain.errors import HyperOtaError, NotFound
from hyperota_desktop.services.archives import ArchiveService, offline_archives
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.services.profile_services import ProfileServices
from hyperota_desktop.services.server_secrets import ServerSecrets
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.archives import ArchivesPresenter
from hyperota_desktop.ui.presenters.auth_presenter import AuthPresenter
from hyperota_desktop.ui.presenters.orgs_presenter import OrgsPresenter
from hyperota_desktop.ui.presenters.packages import PackagesPresenter
from hyperota_desktop.ui.presenters.secrets import SecretsPresenter
from hyperota_desktop.ui.presenters.shell import ShellPresenter
from hyperota_desktop.ui.presenters.tasks import PresenterTasks
from hyperota_desktop.ui.views.archives_page import ArchivesPage
from hyperota_desktop.ui.views.main_window import MainWindow
from hyperota_desktop.ui.views.org_pages import ActivityPage, MembersPage, OrgToolbar
from hyperota_desktop.ui.views.packages_page import PackagesPage

log = logging.getLogger("hyperota.app.gui")


class Presenter(Protocol):
    async def stop(self) -> None: ...

    async def wait_idle(self) -> None: ...


@dataclass
class Gui:
    window: MainWindow
    messages: MessageChannel
    services: AppServices
    shell: ShellPresenter
    auth: AuthPresenter  # sign-in; pages gate their actions with `auth.gate(action, Action.X)`
    packages: PackagesPresenter
    orgs: OrgsPresenter
    archives: ArchivesPresenter
    secrets: SecretsPresenter
    _tasks: PresenterTasks = field(init=False)
    _switching: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self._tasks = PresenterTasks(self.messages)

    @property
    def presenters(self) -> list[Presenter]:
        return [self.shell, self.auth, self.orgs, self.packages, self.archives, self.secrets]

    def hand_out(self, services: ProfileServices | None) -> None:
        """Give every presenter these services (None: no profile); the auth presenter goes last, since
        what it learns (who is signed in) is what the others react to."""
        self.orgs.set_services(services)
        self.packages.set_services(services.packages if services is not None else None)
        self.archives.profile_changed()  # it asks for the services handed out last
        self.auth.set_services(services)

    def profile_changed(self, _name: str = "") -> None:
        self._tasks.start("profile-switch", self.use_active_profile())

    async def use_active_profile(self) -> None:
        """Replace the profile's services if they are stale; nothing happens when they are not."""
        async with self._switching:
            active = self.services.active
            if active.peek() is not None and not active.stale():
                return
            await self.stop_work()
            for old in active.detach():
                await old.aclose()
            self.hand_out(self._current())

    def _current(self) -> ProfileServices | None:
        try:
            return self.services.active.current()
        except NotFound:
            return None  # no profile yet: the window says how to make one
        except HyperOtaError as exc:
            self.messages.error(exc)
            return None

    async def stop_work(self) -> None:
        """Cancel every presenter's running work and wait for it (switch, quit)."""
        for presenter in self.presenters:
            await presenter.stop()

    async def shutdown(self) -> None:
        """Quit: stop the work, then close the services (HTTP clients, SQLite files, AWS clients,
        worker threads). The event loop is closed by the caller afterwards."""
        await self._tasks.stop()
        await self.stop_work()
        await self.services.aclose()

    async def wait_idle(self) -> None:
        """Await the work every presenter started (shutdown, tests), including work it starts meanwhile."""
        for _ in range(3):  # one presenter's task can start another's (sign-in → load organisations)
            await self._tasks.wait_idle()
            for presenter in self.presenters:
                await presenter.wait_idle()


def build_gui(services: AppServices, *, error_dialogs: bool = True) -> Gui:
    messages = MessageChannel()
    window = MainWindow()
    window.set_error_dialogs(error_dialogs)
    shell = ShellPresenter(window, services.profiles, messages)
    messages.connectionChanged.connect(window.set_connection)
    shell.refresh()
    auth = AuthPresenter(window, messages)

    packages_page = PackagesPage()
    packages = PackagesPresenter(
        packages_page, messages, lambda org, app: auth.permission(Action.PUBLISH_PACKAGE, org, app)
    )
    window.set_page("packages", packages_page)
    window.selectionChanged.connect(packages.select)
    org_toolbar = OrgToolbar(window)
    window.addToolBarBreak()  # its own row: no action hides in an overflow menu in a small window
    window.addToolBar(org_toolbar)
    window.add_menu_actions(
        "&Organisation",
        [org_toolbar.new_action, None, org_toolbar.new_org_action, org_toolbar.new_app_action,
         org_toolbar.delete_action, org_toolbar.migrate_action],
    )  # fmt: skip
    window.add_menu_actions("&Packages", [packages_page.publish.open_bundle_action])
    members_page, activity_page = MembersPage(), ActivityPage()
    orgs = OrgsPresenter(
        window, org_toolbar, members_page, activity_page, services.activity, messages, auth.permission
    )
    window.set_page("members", members_page)
    window.set_page("activity", activity_page)
    packages.published.connect(lambda _version: orgs.refresh_activity())
    # One path for a change of person: the auth presenter's signal; one for permissions re-read.
    auth.identityChanged.connect(orgs.identity_changed)
    auth.identityChanged.connect(packages.identity_changed)
    auth.permissionsChanged.connect(orgs.permissions_changed)
    auth.permissionsChanged.connect(packages.update_permission)
    archives, secrets = _build_archives(services, window, packages_page, packages, messages)
    gui = Gui(window, messages, services, shell, auth, packages, orgs, archives, secrets)
    shell.activeProfileChanged.connect(gui.profile_changed)
    gui.hand_out(gui._current())  # nothing to close yet: the first services are simply handed out
    return gui


def _build_archives(
    services: AppServices,
    window: MainWindow,
    packages_page: PackagesPage,
    packages: PackagesPresenter,
    messages: MessageChannel,
) -> tuple[ArchivesPresenter, SecretsPresenter]:
    """The Archives page (archives and server secrets): works without a profile, offline. It asks for
    the services handed out last (`Gui.hand_out`), never builds any."""

    def active_archives() -> ArchiveService:
        current = services.active.peek()
        return current.archives if current is not None else offline_archives(services.dirs.cache)

    def active_secrets() -> ServerSecrets | None:
        current = services.active.peek()
        return current.server_secrets if current is not None else None

    page = ArchivesPage()
    archives = ArchivesPresenter(
        page.archives, active_archives, messages, lambda: (packages.org, packages.app)
    )
    secrets = SecretsPresenter(page.secrets, active_secrets, messages)
    window.set_page("archives", page)
    packages_page.exportRequested.connect(lambda v: archives.export_package(packages.org, packages.app, v))
    archives.showRequested.connect(lambda: window.pages.setCurrentWidget(page))
    archives.imported.connect(
        lambda org, app, _v: packages.refresh() if (org, app) == (packages.org, packages.app) else None
    )
    return archives, secrets
