"""Composition root of the GUI: builds the window and its presenters around the services, once."""

from __future__ import annotations

from dataclasses import dataclass

from hyperota_desktop.domain.access import Action
from hyperota_desktop.domain.errors import HyperOtaError
from hyperota_desktop.services.activity import recent_activity
from hyperota_desktop.services.archives import ArchiveService, offline_archives
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.services.org_session import open_orgs
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.server_secrets import ServerSecrets
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.archives import ArchivesPresenter
from hyperota_desktop.ui.presenters.auth_presenter import AuthPresenter
from hyperota_desktop.ui.presenters.orgs_presenter import OrgsPresenter
from hyperota_desktop.ui.presenters.packages import PackagesPresenter
from hyperota_desktop.ui.presenters.secrets import SecretsPresenter
from hyperota_desktop.ui.presenters.shell import ShellPresenter
from hyperota_desktop.ui.views.archives_page import ArchivesPage
from hyperota_desktop.ui.views.main_window import MainWindow
from hyperota_desktop.ui.views.org_pages import ActivityPage, MembersPage, OrgToolbar
from hyperota_desktop.ui.views.packages_page import PackagesPage


@dataclass
class Gui:
    window: MainWindow
    messages: MessageChannel
    shell: ShellPresenter
    auth: AuthPresenter  # sign-in; pages gate their actions with `auth.gate(action, Action.X)`
    packages: PackagesPresenter | None = None
    orgs: OrgsPresenter | None = None
    archives: ArchivesPresenter | None = None
    secrets: SecretsPresenter | None = None

    async def wait_idle(self) -> None:
        """Await the work every presenter started (shutdown, tests), including work it starts meanwhile."""
        presenters = [
            p
            for p in (self.shell, self.auth, self.orgs, self.packages, self.archives, self.secrets)
            if p is not None
        ]
        for _ in range(3):  # one presenter's task can start another's (sign-in → load organisations)
            for presenter in presenters:
                await presenter.wait_idle()


def build_gui(services: AppServices) -> Gui:
    messages = MessageChannel()
    window = MainWindow()
    shell = ShellPresenter(window, services.profiles, messages)
    messages.connectionChanged.connect(window.set_connection)
    shell.refresh()
    auth = AuthPresenter(window, services.session, messages)
    shell.activeProfileChanged.connect(auth.profile_changed)

    def active_packages() -> PackageService | None:
        try:
            return services.session().packages
        except HyperOtaError:
            return None

    packages_page = PackagesPage()
    packages = PackagesPresenter(
        packages_page,
        active_packages,
        messages,
        lambda org, app: auth.permission(Action.PUBLISH_PACKAGE, org, app),
    )
    window.set_page("packages", packages_page)
    window.selectionChanged.connect(packages.select)
    shell.activeProfileChanged.connect(lambda _name: packages.select("", ""))
    org_toolbar = OrgToolbar(window)
    window.addToolBar(org_toolbar)
    members_page, activity_page = MembersPage(), ActivityPage()
    orgs = OrgsPresenter(
        window,
        org_toolbar,
        members_page,
        activity_page,
        lambda: open_orgs(services),
        lambda: recent_activity(services.sagas.journal),
        messages,
        auth.permission,
    )
    window.set_page("members", members_page)
    window.set_page("activity", activity_page)
    auth.identityChanged.connect(orgs.identity_changed)  # signed in: reconcile, then fill the tree
    auth.identityChanged.connect(lambda _identity: packages.update_permission())
    shell.activeProfileChanged.connect(lambda _name: orgs.identity_changed(None))
    archives, secrets = _build_archives(services, window, shell, packages_page, packages, messages)
    return Gui(window=window, messages=messages, shell=shell, auth=auth, packages=packages, orgs=orgs,
               archives=archives, secrets=secrets)  # fmt: skip


def _build_archives(
    services: AppServices,
    window: MainWindow,
    shell: ShellPresenter,
    packages_page: PackagesPage,
    packages: PackagesPresenter,
    messages: MessageChannel,
) -> tuple[ArchivesPresenter, SecretsPresenter]:
    """The Archives page (archives and server secrets): works without a profile, offline."""

    def active_archives() -> ArchiveService:
        try:
            return services.session().archives or offline_archives(services.dirs.cache)
        except HyperOtaError:
            return offline_archives(services.dirs.cache)

    def active_secrets() -> ServerSecrets | None:
        try:
            return services.session().server_secrets
        except HyperOtaError:
            return None

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
    shell.activeProfileChanged.connect(archives.profile_changed)
    return archives, secrets
