"""Presenter of the Releases page: the table (filter, search and lazy paging over the service's in-memory
index: no I/O per keystroke), polling for changes while the page is shown (one request, a 304 when
nothing changed) and on F5, the selected release's detail, the lifecycle actions (each confirmed with who
it affects: `impact()`), the four-eyes setting, the wizard (new, edit, clone) and the release export.

It also undoes the release creations a crash left (`releases.recover()`), once signed in.

Profile, identity and selection arrive by one path each: `set_services()`, `identity_changed()`,
`select()`. Controls are enabled by the authorizer (`permission`), and the detail's `allowed`/`blocked`.
Signals: `exportRequested(str, str, str)`: export release (organisation, application, id) as an archive.
"""

from __future__ import annotations

import logging
from typing import Protocol

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QWidget

from hyperota_desktop.domain.access import Action
from hyperota_desktop.domain.releases import ReleaseAction
from hyperota_desktop.services.authz import Authorizer
from hyperota_desktop.services.release_detail import ReleaseDetail, needed
from hyperota_desktop.services.releases import ReleaseService
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.confirm import confirm_action
from hyperota_desktop.ui.presenters.release_wizard import WizardFlow, WizardServices
from hyperota_desktop.ui.presenters.scoped import AppScopedPresenter, PermissionOf
from hyperota_desktop.ui.views.releases_page import ReleasesPage

log = logging.getLogger("hyperota.ui.releases")
PAGE = 100  # rows per fetch as the table scrolls
POLL_MS = 5000  # while the page is shown
ACTION_WORDS = {
    ReleaseAction.RAMP: ("Ramp", "Ramp"),
    ReleaseAction.PAUSE: ("Pause", "Pause"),
    ReleaseAction.RESUME: ("Resume", "Resume"),
    ReleaseAction.CONCLUDE: ("Release to every device", "Release to all"),
    ReleaseAction.REVERT: ("Revert", "Revert"),
    ReleaseAction.DISCARD: ("Discard", "Discard"),
}


class ReleaseServices(WizardServices, Protocol):
    """What the wizard uses, and the authorizer (an action is refused before anyone is asked)."""

    @property
    def authz(self) -> Authorizer: ...


class ReleasesPresenter(AppScopedPresenter[ReleaseServices]):
    exportRequested = Signal(str, str, str)

    def __init__(
        self,
        page: ReleasesPage,
        messages: MessageChannel,
        permission: PermissionOf | None = None,
        dialog_parent: QWidget | None = None,
    ) -> None:
        super().__init__(page, messages, permission, dialog_parent)
        self._page = page
        self.wizard = WizardFlow(self._parent, messages, self._tasks)
        self.selected = ""
        self.detail: ReleaseDetail | None = None
        self._shown = False
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        detail = page.detail
        page.newRequested.connect(lambda: self._start("release-wizard", self.open_wizard()))
        page.refreshRequested.connect(self.refresh)
        page.filterChanged.connect(self.requery)
        page.releaseChosen.connect(self.choose)
        page.fourEyesChanged.connect(lambda on: self._start("four-eyes-set", self.set_four_eyes(on)))
        page.shownChanged.connect(self._shown_changed)
        page.model.moreRequested.connect(self.more)
        detail.rampRequested.connect(lambda p: self._act(ReleaseAction.RAMP, p))
        detail.actionRequested.connect(lambda a: self._act(ReleaseAction(a), None))
        detail.editRequested.connect(
            lambda: self._start("release-wizard", self.open_wizard(edit=self.selected))
        )
        detail.cloneRequested.connect(
            lambda: self._start("release-wizard", self.open_wizard(clone=self.selected))
        )
        detail.exportRequested.connect(self._export)
        self._show_target()

    # -- identity, selection (the profile's services: the base's set_services) -------------------------
    def identity_changed(self, identity: object) -> None:
        """Signed in: load, and undo what a crash left. Signed out: nothing of the person stays."""
        self._signed_in = identity is not None
        self._tasks.cancel_all()
        self._clear()
        self._show_target()
        if self._signed_in and self._services is not None:  # whatever is selected, or nothing
            self._tasks.start("releases-recover", self.recover(), replace=True)
        self.load()

    def select(self, org: str, app: str) -> None:
        self.org, self.app = org, app
        self._tasks.cancel("releases-load", "releases-poll", "release-detail", "four-eyes-load")
        self._clear()
        self._show_target()
        self.load()

    def permissions_changed(self) -> None:
        self._show_target()
        if self.detail is not None:
            self._start("release-detail", self.load_detail(self.detail.release.id), replace=True)

    def refresh(self) -> None:
        """F5 and the Refresh button: ask the server what changed (and the selected release again)."""
        if self._live:
            self._start("releases-poll", self._poll(), replace=True)

    def poll(self) -> None:
        """The timer, while the page is shown: skipped while a load or a poll is still running."""
        busy = self._tasks.running("releases-load") or self._tasks.running("releases-poll")
        if self._live and self._shown and not busy:
            self._start("releases-poll", self._poll())

    def load(self) -> None:
        if self._live:
            self._start("releases-load", self._load(), replace=True)
            self._start("four-eyes-load", self.load_four_eyes(), replace=True)

    async def stop(self) -> None:
        self.timer.stop()
        await super().stop()

    # -- the table ---------------------------------------------------------------------------------------
    async def _load(self) -> None:
        releases = self._releases()
        self._page.status.setText("Loading releases…")

        def progress(loaded: int, total: int) -> None:  # the first screen paints after one request
            self._page.status.setText(f"Loading releases… {loaded} of {total}")
            self.requery()

        await releases.refresh(self.org, self.app, on_progress=progress)
        self.requery()

    async def _poll(self) -> None:
        if await self._releases().refresh(self.org, self.app):
            self.requery()
            if self.selected:
                await self.load_detail(self.selected)

    def requery(self) -> None:
        """Fill the table from the in-memory index for the filters (no I/O: a keystroke costs this)."""
        if not self._live:
            return
        index = self._releases().index(self.org, self.app)
        if not index.loaded and not index.rows():
            return
        page = index.query(statuses=self._page.statuses(), search=self._page.search_text(), limit=PAGE)
        self._page.model.reset(page.items, page.total)
        self._page.set_counts(page.counts)
        everything = sum(page.counts.values())
        shown = f"{page.total} of {everything} release(s) match" if page.total != everything else ""
        self._page.status.setText(shown or f"{everything} release(s)")
        if self.selected:
            self._page.select_release(self.selected)

    def more(self, offset: int) -> None:
        """The table scrolled past its rows: the next page, at once."""
        if not self._live:
            return
        index = self._releases().index(self.org, self.app)
        page = index.query(
            statuses=self._page.statuses(), search=self._page.search_text(), offset=offset, limit=PAGE
        )
        self._page.model.append(page.items, page.total)

    # -- the detail --------------------------------------------------------------------------------------
    def choose(self, release_id: str) -> None:
        if release_id != self.selected or self.detail is None:
            self.selected = release_id
            self._start("release-detail", self.load_detail(release_id), replace=True)

    async def load_detail(self, release_id: str) -> None:
        detail = await self._releases().detail(self.org, self.app, release_id)
        self.detail = detail
        view = self._page.detail
        view.show_release(detail.release, detail.who_may_start, detail.waiting_for_second_person)
        until = None if detail.release.status.unfinished else detail.release.last_modified
        view.show_history(detail.events, until, detail.audit_problem)
        view.show_configs(
            detail.device_config,
            detail.control_config,
            detail.changes,
            detail.download,
            detail.config_problems,
        )
        create = self._permission(Action.CREATE_RELEASE, self.org, self.app)
        view.set_actions(detail.allowed, detail.blocked, can_create=(create.allowed, create.reason))

    # -- lifecycle -----------------------------------------------------------------------------------------
    async def confirm(self, title: str, lines: list[str], action: str) -> tuple[bool, str]:
        """Who is affected, and the person's go-ahead with an optional reason (tests replace this)."""
        return await confirm_action(self._parent, title, lines, action)

    def _export(self) -> None:
        if self.selected:
            self.exportRequested.emit(self.org, self.app, self.selected)

    def _act(self, action: ReleaseAction, percent: int | None) -> None:
        if self.selected:
            self._start("release-action", self.act(self.selected, action, percent))

    async def act(self, release_id: str, action: ReleaseAction, percent: int | None = None) -> None:
        services = self._session()
        releases = services.releases
        org, app = self.org, self.app
        # Refused before anyone is asked to confirm (a shortcut, a stale button): the service decides.
        await services.authz.require(needed(action), org, app)
        impact = await releases.impact(org, app, release_id, action, percent)
        title, button = ACTION_WORDS[action]
        heading = f"{title} release {release_id}"
        if impact.affects_devices or action is not ReleaseAction.RAMP:
            ok, why = await self.confirm(heading, list(impact.lines), button)
            if not ok:
                return
        else:
            why = ""
        if action is ReleaseAction.RAMP:
            assert percent is not None
            result = await releases.ramp(org, app, release_id, percent, why)
        else:
            result = await getattr(releases, action.value)(org, app, release_id, why)
        self._messages.info(f"Release {result.release.id}: {result.release.status_text}.")
        if (org, app) == (self.org, self.app):
            self.requery()
            await self.load_detail(release_id)

    # -- four eyes ---------------------------------------------------------------------------------------
    async def load_four_eyes(self) -> None:
        four = await self._releases().four_eyes(self.org, self.app)
        may = self._permission(Action.CHANGE_APP_SETTINGS, self.org, self.app)
        tip = may.reason if not may.allowed else "When on, a release waits for a second person to start it."
        if not four.supported:
            tip = f"Superposition {four.server} has no such setting (it came with v0.77)."
        self._page.set_four_eyes(four.supported, four.required, four.supported and may.allowed, tip)

    async def set_four_eyes(self, required: bool) -> None:
        try:
            four = await self._releases().set_four_eyes(self.org, self.app, required)
        finally:
            await self.load_four_eyes()  # what the server holds, whatever happened
        state = "on: someone other than a release's author must start it" if four.required else "off"
        self._messages.info(f"Four-eyes for {self.org}/{self.app} is {state}.")

    # -- wizard ------------------------------------------------------------------------------------------
    async def open_wizard(self, *, edit: str = "", clone: str = "") -> None:
        services = self._session()
        if self.wizard.wizard is not None:  # one at a time: bring it forward
            self.wizard.wizard.raise_()
            self.wizard.wizard.activateWindow()
            return
        org, app = self.org, self.app
        release = await self.wizard.run(services, org, app, edit=edit, clone=clone)
        if release is not None and (org, app) == (self.org, self.app):
            self.selected = release.id
            self.requery()
            await self.load_detail(release.id)

    async def recover(self) -> None:
        """Undo the release creations a crash or quit left unfinished."""
        for record in await self._releases().recover():
            self._messages.warning(f"Finished an interrupted operation: {record.title} → {record.status}.")

    # -- internals ---------------------------------------------------------------------------------------
    def _releases(self) -> ReleaseService:
        return self._session().releases

    def _clear(self) -> None:
        self.selected = ""
        self.detail = None
        self._page.model.reset([], 0)
        self._page.detail.show_release(None)
        self._page.status.setText("")
        self._page.set_four_eyes(False, False, False, "")

    def _show_target(self) -> None:
        if not self.app:
            text = "Select an application on the left."
        elif not self._signed_in:
            text = f"Releases of {self.org}/{self.app}: sign in to see them."
        else:
            text = f"Releases of {self.org}/{self.app}"
        self._page.set_target(text)
        self._page.set_live(self._live)
        create = self._permission(Action.CREATE_RELEASE, self.org, self.app)
        self._page.set_can_create(create.allowed, create.reason, self._live)
        self._update_timer()

    def _shown_changed(self, shown: bool) -> None:
        self._shown = shown
        self._update_timer()
        if shown:
            self.poll()  # coming back to the page: catch up at once

    def _update_timer(self) -> None:
        if self._shown and self._live:
            if not self.timer.isActive():
                self.timer.start()
        else:
            self.timer.stop()
