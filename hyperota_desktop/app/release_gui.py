"""The GUI of releases, wired once by the GUI composition root: the Releases page (table, detail,
wizard, device preview) and the Dimensions page, their presenters, and how they follow the window's
selection, the sign-in, permissions, F5, each other, and the Archives page (release export).

`ReleaseGui.hand_out(services)` gives them the profile's services (`ProfileServices` has every service
they use), on the one path every presenter gets its services (`Gui.hand_out`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.access import Action, Permission
from hyperota_desktop.services.profile_services import ProfileServices
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.archives import ArchivesPresenter
from hyperota_desktop.ui.presenters.device_preview import DevicePreviewPresenter
from hyperota_desktop.ui.presenters.dimensions import DimensionsPresenter
from hyperota_desktop.ui.presenters.releases import ReleasesPresenter
from hyperota_desktop.ui.views.dimensions_page import DimensionsPage
from hyperota_desktop.ui.views.main_window import MainWindow
from hyperota_desktop.ui.views.page_actions import MenuForward
from hyperota_desktop.ui.views.releases_page import ReleasesPage


@dataclass
class ReleaseGui:
    releases_page: ReleasesPage
    dimensions_page: DimensionsPage
    releases: ReleasesPresenter
    dimensions: DimensionsPresenter
    preview: DevicePreviewPresenter

    @property
    def presenters(self) -> list[Any]:
        return [self.releases, self.dimensions, self.preview]

    def hand_out(self, services: ProfileServices | None) -> None:
        for presenter in self.presenters:
            presenter.set_services(services)


def build_release_gui(
    window: MainWindow,
    messages: MessageChannel,
    permission: Callable[[Action, str, str], Permission],
    identity_changed: Any,
    permissions_changed: Any,
    archives: ArchivesPresenter,
) -> ReleaseGui:
    """`identity_changed`/`permissions_changed`: the auth presenter's signals."""
    releases_page, dimensions_page = ReleasesPage(), DimensionsPage()
    releases = ReleasesPresenter(releases_page, messages, permission, window)
    dimensions = DimensionsPresenter(dimensions_page, messages, permission, window)
    preview = DevicePreviewPresenter(releases_page.preview, messages, permission, window)
    window.set_page("releases", releases_page)
    window.set_page("dimensions", dimensions_page)
    for presenter in (releases, dimensions, preview):
        window.selectionChanged.connect(presenter.select)
        identity_changed.connect(presenter.identity_changed)
        permissions_changed.connect(presenter.permissions_changed)
    window.refreshRequested.connect(releases.refresh)  # F5: one conditional request (304: nothing new)
    window.refreshRequested.connect(dimensions.refresh)
    dimensions.changed.connect(preview.dimensions_changed)
    releases.exportRequested.connect(archives.export_release)
    _add_menus(window, releases_page, dimensions_page)
    return ReleaseGui(releases_page, dimensions_page, releases, dimensions, preview)


def _add_menus(window: MainWindow, releases_page: ReleasesPage, dimensions_page: DimensionsPage) -> None:
    """Every action of the two pages in the menu bar (with its keys); chosen from a menu, an action first
    brings its page (and tab) forward, so what it does is in view."""
    detail, preview = releases_page.detail, releases_page.preview

    def show_releases() -> None:
        window.show_page("releases")
        releases_page.tabs.setCurrentIndex(0)

    def show_preview() -> None:
        window.show_page("releases")
        releases_page.tabs.setCurrentWidget(preview)

    on_list = [releases_page.new_action, releases_page.refresh_action, releases_page.search_action, None,
               detail.ramp_action, detail.pause_action, detail.resume_action, detail.conclude_action,
               detail.revert_action, detail.discard_action, None,
               detail.edit_action, detail.clone_action, detail.export_action]  # fmt: skip
    on_preview = [preview.preview_action, preview.open_action, preview.save_action]
    menu = window.add_menu_actions("&Releases", [*on_list, None, *on_preview])
    shows = {a: show_releases for a in on_list if a is not None}
    MenuForward(menu, shows | dict.fromkeys(on_preview, show_preview))
    on_dimensions = [dimensions_page.new_action, dimensions_page.up_action, dimensions_page.down_action,
                     dimensions_page.delete_action, None, dimensions_page.refresh_action]  # fmt: skip
    menu = window.add_menu_actions("&Dimensions", on_dimensions)
    MenuForward(menu, {a: lambda: window.show_page("dimensions") for a in on_dimensions if a is not None})
