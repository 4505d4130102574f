"""Presenter of the Packages page: awaits `PackageService` and fills the view (no blocking on the UI thread).

Long work runs as named asyncio tasks (`PresenterTasks`); failures go to the message channel. Loads for
the selection (list, next page, pre-flight, detail, diff) start with `replace=True`, and selecting
another application cancels them all, so nothing of the previous application lands on the page. A
running publish keeps going until it finishes or is cancelled; its progress, like that of a publish the
app did not finish last time (finished once the person is signed in), shows on the page.

A publish belongs to the person who started it. Signing out while it runs (or is paused) is asked
first (`sign_out_question`) and then interrupts it (`pause_for_sign_out`): journalled and checkpointed,
as at a quit, and finished when that person signs in again — never shown to, finished by or
controllable by whoever signs in meanwhile (`PackageService.recover` only finishes one's own).

Profile and identity changes arrive by one path each: `set_services()` and `identity_changed()`.
Signals: `published(int)` after a publish succeeds (version); `journalled()` after a tag move ends,
whatever came of it (the journal has a new record: the Activity page reloads).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from hyperota_desktop.domain.access import Permission
from hyperota_desktop.domain.bundles import IndexRequired
from hyperota_desktop.domain.errors import Conflict, HyperOtaError
from hyperota_desktop.domain.packages import check_tag
from hyperota_desktop.domain.units import human_size
from hyperota_desktop.services.packages import TAG_KIND, PackageService, Preflight, PublishUndone
from hyperota_desktop.services.saga import SagaFailed, SagaRuntime
from hyperota_desktop.services.transfer import FileProgress, ProgressSnapshot, TransferControl
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.paused_publishes import PausedPublishes, undo_text
from hyperota_desktop.ui.presenters.publish_lifecycle import PublishLifecycle
from hyperota_desktop.ui.presenters.tasks import PresenterTasks
from hyperota_desktop.ui.views.packages_page import PackagesPage
from hyperota_desktop.ui.widgets.local_time import local_time

log = logging.getLogger("hyperota.ui.packages")
PAGE = 50
SELECTION_WORK = (
    "package-list", "package-more", "package-preflight", "package-review", "package-show", "package-diff",
)  # fmt: skip


class PackagesPresenter(PublishLifecycle, PausedPublishes, QObject):
    published = Signal(int)
    journalled = Signal()

    def __init__(
        self,
        page: PackagesPage,
        messages: MessageChannel,
        permission: Callable[[str, str], Permission] | None = None,
    ) -> None:
        super().__init__(page)
        self._page = page
        self._packages: PackageService | None = None
        self._signed_in = False
        self._messages = messages
        # Without a permission source (page tests) publishing is allowed; the services still check.
        self._permission = permission or (lambda _org, _app: Permission(True))
        self._tasks = PresenterTasks(messages)
        self.org = ""
        self.app = ""
        self._sources: list[Path] = []
        self._tag = ""
        self._query = ""
        self.preflight: Preflight | None = None
        self.control: TransferControl | None = None
        self._publishing: tuple[str, str] | None = None  # (org, app) of the publish running here
        self._person = ""  # username of whoever is signed in
        self._publisher = ""  # username of whoever started the publish running here
        self._sent: tuple[int, int] | None = None  # bytes sent of bytes to send, of the publish running
        self.paused_runs = []  # the publishes the person paused, offered (`paused_publishes.py`)
        self._undoing = None  # the one of them being undone
        self._undo_said = ""  # how far it is
        self._session_ending = False
        page.pathsDropped.connect(self.dropped)
        page.indexChosen.connect(self.choose_index)
        page.publishRequested.connect(self.review)
        page.publishConfirmed.connect(self.publish)
        page.pauseRequested.connect(lambda: self._pause(True))
        page.resumeRequested.connect(lambda: self._pause(False))
        page.cancelRequested.connect(self._cancel_clicked)
        page.offerResumed.connect(self.resume_requested)
        page.offerCancelled.connect(self.cancel_requested)
        page.versionChosen.connect(lambda v: self._start("package-show", self._show(v), replace=True))
        page.diffRequested.connect(lambda a, b: self._start("package-diff", self._diff(a, b), replace=True))
        page.list_model.moreRequested.connect(
            lambda offset: self._start("package-more", self._more(offset), replace=True)
        )
        page.searchRequested.connect(self.search)
        page.tagRequested.connect(lambda v, tag: self._start("package-tag", self._tag_version(v, tag)))
        page.set_target("Select an application on the left.", False)

    # -- profile and identity ---------------------------------------------------------------------
    def set_services(self, packages: PackageService | None) -> None:
        """The profile's services were replaced: the page forgets the old profile's packages."""
        if packages is self._packages:
            return
        self._tasks.cancel_all()
        self.withdraw_offer()
        self._packages = packages
        self.select("", "")

    def identity_changed(self, identity: object) -> None:
        """Signed out (or someone else): clear the page. Signed in: finish what the app did not."""
        self._signed_in = identity is not None
        self._person = str(getattr(identity, "username", "") or "")
        if self._publishing is not None and self._person != self._publisher:
            # not through Sign out (its sign-in ended, another profile): interrupted the same way,
            # not paused by the person (finished by the sign-in that follows)
            self._start("package-publish-pause", self.pause_for_sign_out(""), replace=True)
        self.withdraw_offer()  # shown again to its publisher by the recovery below
        self._tasks.cancel(*SELECTION_WORK)
        self._page.list_model.reset([], 0)
        self._page.list_status.setText("" if identity is not None else "Sign in to see the packages.")
        self._page.show_detail(0, "Select a package in the list.", [])
        self._page.diff_text.clear()
        if self._publishing is None:
            self._forget_bundle()  # checked against what the previous person could see
            self._page.clear_progress()  # "Published … version 2" was the previous person's
        self.update_permission()
        if identity is not None and self._packages is not None:
            self._start("packages-recover", self._recover(), replace=True)
            self.refresh()

    def forget_inputs(self) -> None:
        """Another person in front of the window: the tags the previous one typed go (the search
        stays: a filter, not their data)."""
        self._page.tag_edit.clear()
        self._page.detail_tag_edit.clear()

    def sign_out_question(self) -> str:
        """What Sign out must ask first ("" when nothing runs here)."""
        return self._question("signing out", "sign in again as")

    def switch_question(self) -> str:
        """What a switch to another profile must ask first ("" when nothing runs here)."""
        return self._question("switching to another profile", "come back to this profile as")

    def _question(self, doing: str, back: str) -> str:
        if self._publishing is None:
            return ""
        org, app = self._publishing
        state = "paused" if self.control is not None and self.control.paused else "running"
        who = self._publisher or "the same person"
        return f"A publish to {org}/{app} is {state}: {doing} pauses it; it goes on when you {back} {who}."

    async def pause_for_sign_out(self, why: str = "paused at sign-out") -> None:
        """Interrupt the running publish without undoing it (the journal keeps it unfinished, the
        uploads stay checkpointed) and take it off the page. Paused by the person (`why`, "" when not:
        the sign-in ended): offered to its publisher after their next sign-in, else finished by it."""
        target, publisher, how_far = self._publishing, self._publisher, self._how_far()
        if target is None:
            return
        await self._tasks.cancel_and_wait("package-publish")
        if why:
            await self._mark_paused(target, f"{why}, {how_far}")
        self._forget_bundle()
        self._page.clear_progress()
        org, app = target
        log.info("publish to %s/%s interrupted by a change of person", org, app)
        if self._person == publisher:
            self._messages.info(
                f"The publish to {org}/{app} is paused; once {publisher} is signed in to this profile "
                "again, the Packages page offers to resume it."
            )

    async def pause_for_switch(self) -> None:
        """A switch to another profile, confirmed: as Pause and sign out."""
        await self.pause_for_sign_out("paused at profile switch")

    # -- slots ------------------------------------------------------------------------------------
    def select(self, org: str, app: str) -> None:
        """Show another application. A running (or paused) publish stays on the page, tied to its own
        application; the bundle checked for the previous one is forgotten otherwise."""
        self.org, self.app = org, app
        self._tasks.cancel(*SELECTION_WORK)  # whatever they found was about the other application
        if self._publishing is None:
            self._forget_bundle()
        self._page.show_detail(0, "Select a package in the list.", [])
        self._page.diff_text.clear()
        if not app:
            self._page.set_target("Select an application on the left.", False)
            self._page.list_model.reset([], 0)
            return
        self._page.set_target(f"Packages of {org}/{app}", True)
        self.update_permission()
        self.refresh()

    def update_permission(self) -> None:
        """Re-check whether the signed-in person may publish to the selected application."""
        permission = self._permission(self.org, self.app)
        self._page.set_permission(permission.allowed, permission.reason)

    def refresh(self) -> None:
        self._tasks.cancel("package-more")  # a page of the old list must not be appended to the new one
        if not self.app or self._packages is None:
            return
        if not self._signed_in:
            self._page.list_model.reset([], 0)
            self._page.list_status.setText("Sign in to see the packages.")
            return
        self._start("package-list", self._load_list(), replace=True)

    def search(self, text: str) -> None:
        """Search every package of the application (the service reads and caches the summaries)."""
        if text.strip() != self._query:
            self._query = text.strip()
            self.refresh()

    def dropped(self, paths: list[str]) -> None:
        if not self.app:
            self._messages.warning("Select an application first, then drop the bundle.")
            return
        self._sources = [Path(p) for p in paths]
        self.preflight = None
        self._page.show_sources(paths)
        self._check(None)

    def choose_index(self, index: str) -> None:
        """The person picked the index file: check the bundle again with it (hashes are cached)."""
        if not self._sources or (self.preflight is not None and index == self.preflight.bundle.index):
            return
        self._check(index)

    def review(self, tag: str) -> None:
        """Publish clicked: say exactly what will be published and sent, and wait for the confirmation."""
        pre = self.preflight
        if pre is None or not self.app:
            return
        try:
            if tag:
                check_tag(tag)
        except HyperOtaError as exc:
            self._messages.error(exc)
            return
        self._tag = tag
        self._start("package-review", self._review(pre, tag), replace=True)

    def publish(self) -> None:
        """The person confirmed: publish exactly the checked bundle (refused if it changed since)."""
        pre = self.preflight
        if pre is None or not self._sources or not self.app:
            return
        self._start("package-publish", self._publish(pre, self._tag or None))

    def _check(self, index: str | None) -> None:
        """(Re)check the dropped bundle; a check still running for an older drop or index is dropped."""
        self._start("package-preflight", self._preflight(index), replace=True)

    async def stop(self) -> None:
        """Cancel and await every task (profile switch, quit): a running publish is interrupted and
        finished at the next start (offered, when the system session ended: it was paused then)."""
        target = self._publishing if self._session_ending else None
        await self._tasks.stop()
        if target is not None:
            await self._mark_paused(target, f"paused as the session ended, {self._how_far()}")

    async def wait_idle(self) -> None:
        await self._tasks.wait_idle()

    # -- work ---------------------------------------------------------------------------------------
    def _service(self) -> PackageService:
        if self._packages is None:
            raise HyperOtaError("No profile is active.", hint="Create or choose a profile first.")
        return self._packages

    async def _load_list(self) -> None:
        query = self._query
        if query:
            self._page.list_status.setText(f"Searching every package for “{query}”…")
        page = await self._service().search(self.org, self.app, query, limit=PAGE)
        self._page.list_model.reset(page.items, page.total)
        self._page.list_status.setText(
            f"{page.total} package(s) match “{query}”" if query else f"{page.total} package(s)"
        )

    async def _more(self, offset: int) -> None:
        try:
            page = await self._service().search(self.org, self.app, self._query, offset=offset, limit=PAGE)
        except BaseException:
            self._page.list_model.fetch_failed()  # scrolling asks again, instead of never
            raise
        self._page.list_model.append(page.items, page.total)

    async def _recover(self) -> None:
        """Finish publishes the app did not finish (crash, quit), with their progress on this page."""
        records = await self._service().recover(SagaRuntime(self._progress), paused=False)
        for record in records:
            org, app = record.params.get("org"), record.params.get("app")
            if record.kind == TAG_KIND:  # undone: the person never saw it succeed
                tag, version = record.params.get("tag"), record.params.get("version")
                self._messages.warning(
                    f"An interrupted move of tag '{tag}' of {org}/{app} to version {version} was "
                    f"{record.status.replace('_', ' ')}; move it again if you still want it."
                )
                self.journalled.emit()
            elif record.status == "done":
                version = record.data.get("version")
                text = f"Finished the interrupted publish of {org}/{app}: version {version}."
                self._page.finish_progress(text)
                self._messages.info(text)
                if (org, app) == (self.org, self.app):
                    self.refresh()
            else:
                why = f"{record.status}: {record.error}"
                self._messages.warning(f"An interrupted publish of {org}/{app} was {why}")
        await self.offer_paused()  # the person's paused publishes wait for them

    async def _preflight(self, index: str | None) -> None:
        self.preflight = None
        self._page.show_preflight("Checking the bundle…")
        try:
            pre = await self._service().preflight(
                self.org, self.app, self._sources, index=index, progress=self._progress
            )
        except IndexRequired as exc:
            self._page.show_preflight(
                f"{exc.message} Choose the index (entry bundle) file in the list below."
            )
            self._page.set_index_choices(list(exc.candidates), list(exc.files), "")
            return
        except HyperOtaError as exc:
            self._page.show_preflight(f"Refused, nothing was uploaded: {exc.user_text(gui=True)}")
            raise
        self.preflight = pre
        warnings = "".join(f"\n⚠ {w}" for w in pre.warnings)
        summary = (
            f"{pre.bundle.layout.kind.value} bundle, index {pre.bundle.index}: {len(pre.rows)} file(s), "
            f"{human_size(pre.total_size)}; {pre.new_files} new, {len(pre.rows) - pre.new_files} already "
            f"stored; {human_size(pre.bytes_to_send)} will be sent.{warnings}"
        )
        self._page.show_preflight(summary, list(pre.rows), pre.bundle.index)

    async def _review(self, pre: Preflight, tag: str) -> None:
        """The confirmation names the version the package will get and, when the tag already points
        at another version, that publishing moves it (a tag never moves silently)."""
        service = self._service()
        versions, tags = await asyncio.gather(
            service.list_versions(pre.org, pre.app), service.tags(pre.org, pre.app)
        )
        version = max(versions, default=0) + 1
        tagged = ""
        if tag:
            moves = tags.get(tag)
            tagged = (
                f" Tag '{tag}' will MOVE from version {moves} to version {version}."
                if moves is not None
                else f" Tag '{tag}' will point at it."
            )
        self._page.ask_confirmation(
            f"Publish version {version} of {pre.org}/{pre.app}: {len(pre.rows)} file(s), "
            f"{human_size(pre.total_size)}, index {pre.bundle.index}. {pre.new_files} file(s), "
            f"{human_size(pre.bytes_to_send)} will be uploaded; the rest is already stored.{tagged}"
        )

    async def _publish(self, pre: Preflight, tag: str | None) -> None:
        """Publish to the application the bundle was checked for (`pre`), whatever is selected later."""
        org, app = pre.org, pre.app
        self._publishing = (org, app)
        self._publisher = self._person
        self.control = TransferControl()
        self._page.set_publishing(True)
        self._page.paused_offers.set_busy(True)  # the paused ones wait meanwhile (one at a time)
        self._page.set_publish_target(f"Publishing to {org}/{app}")
        task = asyncio.current_task()
        if task is not None:
            self.control.attach(task)
        try:
            result = await self._service().publish(
                org, app, self._sources, index=pre.bundle.index, tag=tag,
                runtime=SagaRuntime(self._progress, self.control), expected=pre.fingerprint,
            )  # fmt: skip
        except (HyperOtaError, asyncio.CancelledError):
            if self.control.cancelled:
                self._messages.info("Publish cancelled; its unfinished uploads were aborted.")
            retry = not isinstance(sys.exception(), asyncio.CancelledError) or self.control.cancelled
            if retry and (org, app) == (self.org, self.app):
                # Show the bundle as it is now (stored meanwhile; refused if it changed) before a retry.
                self._check(pre.bundle.index)
            raise
        finally:
            self._publishing = None
            self._page.set_publishing(False)
            self._page.paused_offers.set_busy(self._undoing is not None)
            self._page.set_publish_target("")
            if (org, app) != (self.org, self.app):
                self._forget_bundle()  # the page shows another application now
        done = (
            f"Version {result.version} of {org}/{app} is this bundle: its interrupted publish was "
            "finished, so it was not published again."
            if result.finished_interrupted
            else f"Published {org}/{app} version {result.version}: {human_size(result.bytes_uploaded)} "
            f"sent, {human_size(result.bytes_skipped)} already stored."
        )
        self._messages.finished("Publish finished", done)
        self._page.finish_progress(done)
        self._page.show_preflight(None)
        self._page.tag_edit.clear()  # the next publish must not move this tag again unasked
        self.preflight = None
        self.published.emit(result.version)
        if (org, app) == (self.org, self.app):
            self.refresh()

    def _cancel_clicked(self) -> None:
        if self.control is not None:
            self.control.cancel()

    def _pause(self, paused: bool) -> None:
        if self.control is None or self._publishing is None:
            return
        (self.control.pause if paused else self.control.resume)()
        org, app = self._publishing
        self._page.set_publish_target(f"Publishing to {org}/{app}{' — paused' if paused else ''}")

    def _forget_bundle(self) -> None:
        self.preflight = None
        self._sources = []
        self._page.show_preflight(None)

    def _progress(self, snap: object) -> None:
        if isinstance(snap, PublishUndone):  # the running publish cancelled: its undo, with amounts
            done, total = snap.files_done + snap.uploads_done, snap.files_total + snap.uploads_total
            self._page.show_undo(undo_text(snap), done, total)
            return
        if not isinstance(snap, ProgressSnapshot):
            return
        if snap.phase == "hashing":
            self._sent = None  # a publish starting: nothing sent yet (Quit's question says so)
        if snap.phase == "uploading" and self._publishing is not None:  # this page's files
            self._sent = (snap.done, snap.total)
            changes = dict.fromkeys(snap.finished, "sent")
            for f in snap.current:
                changes[f.path] = f"sending {100 * f.done // f.total} %" if f.done else "sending"
            self._page.preflight_model.set_statuses(changes)  # one signal per snapshot, not per file
        current = "  ".join(_current_file(f) for f in snap.current[:3])
        self._page.show_progress(
            snap.phase, snap.done, snap.total, snap.bytes_per_second,
            snap.seconds_left, f"{snap.files_done}/{snap.files_total} files", current,
        )  # fmt: skip

    async def _show(self, version: int) -> None:
        service = self._service()
        manifest, tags = await asyncio.gather(
            service.show(self.org, self.app, version), service.tags(self.org, self.app)
        )
        mine = sorted(t for t, v in tags.items() if v == version)
        tagged = f"; tags: {', '.join(mine)}" if mine else "; no tag"
        self._page.show_detail(
            version,
            f"Version {manifest.version} — index {manifest.index}, {len(manifest.files)} file(s), "
            f"{human_size(manifest.total_size)}, created {local_time(manifest.created_at)} "
            f"by {manifest.created_by}"
            f"{tagged}",
            list(manifest.files),
        )
        self._page.browse_tabs.diff.choose(version)

    async def _tag_version(self, version: int, tag: str) -> None:
        """Move the tag (journalled, `package.tag`); say from which version; Activity reloads after it,
        failed or not (a failed move is recorded too)."""
        try:
            moved = await self._service().tag(self.org, self.app, version, tag)
        except SagaFailed as exc:
            if isinstance(exc.cause, Conflict):
                self.refresh()  # someone else moved it meanwhile: the list shows where it is now
            raise
        finally:
            self.journalled.emit()
        self._messages.info(moved.describe())
        self._page.detail_tag_edit.clear()
        self.refresh()

    async def _diff(self, old: int, new: int) -> None:
        diff = await self._service().diff(self.org, self.app, old, new)
        lines = [("info", f"{old} → {new}: a device downloads {human_size(diff.download_bytes)}")]
        lines += [("added", f"+ {f.file_path} ({human_size(f.size)})") for f in diff.added]
        lines += [("removed", f"- {f.file_path}") for f in diff.removed]
        for c in diff.changed:
            old_size, new_size = (c.old.size if c.old else 0), (c.new.size if c.new else 0)
            lines.append(("changed", f"~ {c.file_path} ({human_size(old_size)} → {human_size(new_size)})"))
        lines.append(("info", f"{diff.unchanged} unchanged"))
        self._page.browse_tabs.diff.show_diff(lines)

    def _start(
        self, name: str, coro: Coroutine[Any, Any, Any], *, replace: bool = False
    ) -> asyncio.Task[Any] | None:
        return self._tasks.start(name, coro, replace=replace)


def _current_file(f: FileProgress) -> str:
    """One file in flight: what of it was really sent (a file sent in one request has no byte count
    until it is done, so it says "sending"; large ones go part by part)."""
    if f.state == "hashing":
        return f"{f.path}: checking {human_size(f.total)}"
    if f.done:
        return f"{f.path}: {human_size(f.done)} of {human_size(f.total)}"
    return f"{f.path}: sending {human_size(f.total)}"
