"""Composition root of the GUI: builds the window and its presenters around the services, once, and
drives the one path by which a profile's services reach them (start, switch, edit) and leave (quit).

`Gui.use_active_profile()`: when the active profile's services are stale (another profile, or the
profile edited), every presenter's work is cancelled and awaited, the old services are closed, and the
new ones handed to every presenter (`set_services`); the auth presenter then says who is signed in
there, and `identityChanged` reaches every page. Permissions come from the services' authorizer only.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from dataclasses import dataclass, field
from typing import Protocol

from hyperota_desktop.app.release_gui import ReleaseGui, build_release_gui
from hyperota_desktop.app.sandbox_session import DEMO_PEOPLE, SandboxSession
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
from hyperota_desktop.ui.presenters.quit_guard import QuitGuard
from hyperota_desktop.ui.presenters.secrets import SecretsPresenter
from hyperota_desktop.ui.presenters.shell import ShellPresenter
from hyperota_desktop.ui.presenters.tasks import PresenterTasks
from hyperota_desktop.ui.presenters.welcome import WelcomePresenter
from hyperota_desktop.ui.views.archives_page import ArchivesPage
from hyperota_desktop.ui.views.decoration import decorate
from hyperota_desktop.ui.views.main_window import PAGES, MainWindow
from hyperota_desktop.ui.views.org_pages import ActivityPage, MembersPage, OrgToolbar
from hyperota_desktop.ui.views.packages_page import PackagesPage
from hyperota_desktop.ui.views.shortcuts_sheet import install as install_shortcuts_sheet
from hyperota_desktop.ui.views.welcome_page import WelcomePage
from hyperota_desktop.ui.views.welcome_page import install as install_welcome
from hyperota_desktop.ui.views.window_memory import WindowMemory
from hyperota_desktop.ui.widgets.icons import app_icon
from hyperota_desktop.ui.widgets.notifier import Notifier

log = logging.getLogger("hyperota.app.gui")


def freeze_long_lived(_service: str) -> None:
    """A profile's boto3 client (~35 k objects: its service model) lives as long as the sign-in. Built
    after start-up's `gc.freeze()`, it would be traversed by every full garbage collection, which stops
    every thread, the UI's too (~50-130 ms in the middle of a publish, benchmark P3). Freezing again once
    it is built keeps full collections short. Cyclic garbage alive at that moment stays frozen (a few
    objects; a client replaced after a change of person is freed only in part)."""
    gc.freeze()


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
    release_gui: ReleaseGui  # Releases (with the device preview) and Dimensions pages
    welcome: WelcomePresenter
    sandbox: SandboxSession | None = None  # the embedded sandbox, when this install has one
    memory: WindowMemory | None = None  # layout and place, saved when the window closes
    quit_guard: QuitGuard | None = None  # Quit asks first while a publish runs
    _tasks: PresenterTasks = field(init=False)
    _switching: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self._tasks = PresenterTasks(self.messages)

    @property
    def presenters(self) -> list[Presenter]:
        return [self.welcome, self.shell, self.auth, self.orgs, self.packages, self.archives, self.secrets,
                *self.release_gui.presenters]  # fmt: skip

    def hand_out(self, services: ProfileServices | None) -> None:
        """Give every presenter these services (None: no profile); the auth presenter goes last, since
        what it learns (who is signed in) is what the others react to."""
        if services is not None:
            services.aws.after_client_built = freeze_long_lived
        self.orgs.set_services(services)
        self.packages.set_services(services.packages if services is not None else None)
        self.release_gui.hand_out(services)
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

    def sandbox_ready(self) -> None:
        """The sandbox started from the welcome page runs: use its profile, make the demo content,
        and open the sign-in dialog with its one-click demo people."""
        self._tasks.start("sandbox-ready", self._use_sandbox())

    async def _use_sandbox(self) -> None:
        session = self.sandbox
        if session is None or session.boot is None:
            return
        self.offer_demo_people()
        self.shell.refresh()
        await self.use_active_profile()
        demo = session.boot.start_demo()
        demo.add_done_callback(lambda _task: self.window.refreshRequested.emit())  # show what it made
        self.auth.sign_in()

    def offer_demo_people(self) -> None:
        if self.sandbox is not None and self.sandbox.boot is not None:
            self.auth.set_demo_approver(self.sandbox.boot.profile_name, self.sandbox.approve, DEMO_PEOPLE)

    async def stop_work(self) -> None:
        """Cancel every presenter's running work and wait for it (switch, quit)."""
        for presenter in self.presenters:
            await presenter.stop()

    async def shutdown(self) -> None:
        """Quit: stop the work, then close the services (HTTP clients, SQLite files, AWS clients,
        worker threads). The event loop is closed by the caller afterwards."""
        await self._tasks.stop()
        if self.quit_guard is not None:
            await self.quit_guard.stop()
        await self.stop_work()
        await self.services.aclose()

    async def wait_idle(self) -> None:
        """Await the work every presenter started (shutdown, tests), including work it starts meanwhile."""
        for _ in range(3):  # one presenter's task can start another's (sign-in → load organisations)
            await self._tasks.wait_idle()
            for presenter in self.presenters:
                await presenter.wait_idle()


def build_gui(
    services: AppServices,
    *,
    error_dialogs: bool = True,
    window: MainWindow | None = None,
    sandbox: SandboxSession | None = None,
) -> Gui:
    """The GUI around `window` (the app shows and paints it before it loads the rest), or a new one.
    `sandbox`: the embedded sandbox of this run (started with `--sandbox` or from the welcome page);
    None where the install has none (frozen builds)."""
    messages = MessageChannel()
    window = window or MainWindow()
    window.set_error_dialogs(error_dialogs)
    shell = ShellPresenter(window, services.profiles, messages)
    messages.connectionChanged.connect(window.set_connection)
    shell.refresh()
    welcome_page = WelcomePage()
    welcome = WelcomePresenter(
        welcome_page,
        install_welcome(window, welcome_page),
        services.profiles,
        messages,
        sandbox.start_in_background if sandbox is not None else None,
        window.newProfileRequested.emit,
    )
    shell.activeProfileChanged.connect(welcome.refresh)
    welcome.refresh()
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
         org_toolbar.delete_action, org_toolbar.migrate_action, org_toolbar.delegate_action],
    )  # fmt: skip
    window.nav_panel.addAction(org_toolbar.new_action)  # Ctrl+N in the navigation: a new organisation/app
    window.add_menu_actions("&Packages", [packages_page.publish.open_bundle_action])
    members_page, activity_page = MembersPage(), ActivityPage()
    orgs = OrgsPresenter(
        window, org_toolbar, members_page, activity_page, services.activity, messages, auth.permission
    )
    window.set_page("members", members_page)
    window.set_page("activity", activity_page)
    packages.published.connect(lambda _version: orgs.refresh_activity())
    packages.journalled.connect(orgs.refresh_activity)  # a tag move ended: Activity shows it
    # One path for a change of person: the auth presenter's signal; one for permissions re-read.
    auth.identityChanged.connect(orgs.identity_changed)
    auth.identityChanged.connect(packages.identity_changed)
    auth.guard_sign_out(packages.sign_out_question, packages.pause_for_sign_out)  # a publish running
    shell.guard_switch(
        packages.switch_question, lambda: packages.pause_for_sign_out("paused at profile switch")
    )
    auth.personChanged.connect(packages.forget_inputs)  # what the previous person typed goes
    auth.personChanged.connect(members_page.user_edit.clear)
    auth.permissionsChanged.connect(orgs.permissions_changed)
    auth.permissionsChanged.connect(packages.update_permission)
    archives, secrets = _build_archives(services, window, packages_page, packages, messages)
    release_gui = build_release_gui(
        window, messages, auth.permission, auth.identityChanged, auth.permissionsChanged, archives
    )
    auth.personChanged.connect(release_gui.preview.forget_inputs)
    install_shortcuts_sheet(window)  # F1, listing every action's keys (those above included)
    decorate(window, window.pages, [key for key, _title, _text in PAGES])  # icons, once every action exists
    memory = WindowMemory(
        window, window.pages, window.nav_tree, window.nav_model, window.nav_filter,
        services.dirs.config / "window-state.ini",
    )  # fmt: skip
    memory.restore()
    notifier = Notifier(window, app_icon())  # long work that ends while the window is in the background
    messages.workFinished.connect(notifier.notify)
    window.closeRequested.connect(memory.save)  # before the app's own handler hides the window
    gui = Gui(
        window, messages, services, shell, auth, packages, orgs, archives, secrets, release_gui, welcome,
        sandbox, memory, QuitGuard(window, packages, messages),
    )  # fmt: skip
    shell.activeProfileChanged.connect(gui.profile_changed)
    welcome.sandboxReady.connect(gui.sandbox_ready)
    gui.offer_demo_people()  # `--sandbox`: it runs already
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
        page.archives, active_archives, messages, lambda: (packages.org, packages.app),
        lambda: current.releases if (current := services.active.peek()) is not None else None,
    )  # fmt: skip
    secrets = SecretsPresenter(page.secrets, active_secrets, messages)
    window.set_page("archives", page)
    packages_page.exportRequested.connect(lambda v: archives.export_package(packages.org, packages.app, v))
    archives.showRequested.connect(lambda: window.show_page("archives"))
    archives.imported.connect(
        lambda org, app, _v: packages.refresh() if (org, app) == (packages.org, packages.app) else None
    )
    return archives, secrets
