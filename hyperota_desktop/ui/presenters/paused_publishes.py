"""The person's paused publishes, offered on the Packages page (part of `PackagesPresenter`).

A publish the person paused (Pause and quit, sign-out, profile switch) is not finished by the next
start or sign-in: the page lists every one of theirs, newest first, each with its bundle, when and why
it was paused and what it was doing, and its own *Resume* and *Cancel publish* (`offer_paused`). Only
its publisher sees them; the service decides who may resume or cancel one. One at a time: while one is
resumed (it becomes the page's running publish) or undone, or a new bundle is published, the others
wait and stay listed. A new bundle may be dropped and published while they are listed (they are
independent runs); not while one is undone.

Cancelling runs the publish's undo (its unfinished uploads aborted, the files it sent deleted) with its
amounts in the row (`PublishUndone`: files and bytes removed of the total), and says at the end what was
removed. Nothing on the page interrupts it (the buttons wait). Quit asks first (`undo_quit_question`):
let it finish, then quit, or quit now, which leaves it unfinished in the journal, no longer paused, so
the next start's reconciliation finishes the undo.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from hyperota_desktop.domain.errors import HyperOtaError
from hyperota_desktop.domain.units import human_size
from hyperota_desktop.services.packages import PublishUndone
from hyperota_desktop.services.saga import SagaRecord, SagaRuntime
from hyperota_desktop.services.transfer import TransferControl
from hyperota_desktop.ui.presenters.publish_lifecycle import PublishState
from hyperota_desktop.ui.views.paused_offers import Offer
from hyperota_desktop.ui.widgets.local_time import local_time

DOING = {
    "upload files": "sending the files",
    "write manifest": "writing the package",
    "tag": "moving the tag",
    "verify": "checking the package",
}


def describe(record: SagaRecord) -> Offer:
    """One paused publish in words: where, which bundle, when it started, why it stopped and where."""
    org, app = record.params.get("org"), record.params.get("app")
    step = next((s.name for s in record.steps if s.status != "done"), "")
    sources = ", ".join(Path(str(p)).name for p in record.params.get("sources", []))
    tag = record.params.get("tag")
    sent = len(record.data.get("created", []))
    return Offer(
        record.id,
        f"Publish to {org}/{app}: {sources or 'a bundle'}{f' (tag {tag})' if tag else ''}",
        f"Started {local_time(record.created_at)}; {record.paused}: it stopped while "
        f"{DOING.get(step, step or 'starting')}{f' ({sent} file(s) already sent)' if sent else ''}.",
    )


def undo_text(event: PublishUndone) -> str:
    """The undo so far, in the words a publish's progress uses."""
    files = f"{event.files_done} of {event.files_total} file(s)"
    if event.bytes_total:
        files += f" ({human_size(event.bytes_done)} of {human_size(event.bytes_total)})"
    uploads = f"; {event.uploads_done} of {event.uploads_total} unfinished upload(s) aborted"
    return f"Cancelling: deleted {files}{uploads if event.uploads_total else ''}…"


def removed_text(record: SagaRecord) -> str:
    """What the undo removed, from its journal."""
    data = record.data
    files, size = int(data.get("deleted_files", 0)), int(data.get("deleted_bytes", 0))
    aborted, kept = int(data.get("aborted_uploads", 0)), int(data.get("kept_files", 0))
    parts = [f"{files} file(s){f' ({human_size(size)})' if size else ''} deleted"]
    if aborted:
        parts.append(f"{aborted} unfinished upload(s) aborted")
    if kept:
        parts.append(f"{kept} file(s) kept: a newer package uses them")
    return ", ".join(parts)


class PausedPublishes(PublishState):
    """Mixed into `PackagesPresenter` (which sets these attributes up)."""

    paused_runs: list[SagaRecord]  # the paused publishes the page offers, newest first
    _undoing: SagaRecord | None  # the one being undone (kept: the list may be refreshed meanwhile)
    _undo_said: str  # how far that undo is, in words ("" before its first report)

    async def offer_paused(self) -> None:
        """List the signed-in person's paused publishes on the page (a running one is not paused)."""
        self._show_offers(await self._service().paused_publishes())

    def _show_offers(self, records: list[SagaRecord]) -> None:
        self.paused_runs = records
        self._page.show_offers([describe(r) for r in records])
        self._page.paused_offers.set_busy(self._publishing is not None or self._undoing is not None)

    def withdraw_offer(self) -> None:
        """Another person or profile: the offered paused publishes are not theirs to see."""
        if self.paused_runs:
            self._show_offers([])

    def _offered(self, saga_id: str) -> SagaRecord | None:
        if self._publishing is not None or self._undoing is not None:
            return None  # one at a time (the buttons wait meanwhile)
        return next((r for r in self.paused_runs if r.id == saga_id), None)

    def resume_requested(self, saga_id: str) -> bool:
        """Resume clicked on an offered paused publish: go on with it. False: not offered (now)."""
        record = self._offered(saga_id)
        if record is None:
            return False
        self._start("package-publish", self._resume(record))
        return True

    def cancel_requested(self, saga_id: str) -> bool:
        """Cancel publish clicked on an offered paused publish: undo it. False: not offered (now)."""
        record = self._offered(saga_id)
        if record is None:
            return False
        self._undoing = record
        self._page.paused_offers.set_busy(True)
        self._page.hold_new_publish(True)
        task = self._start("package-cancel-paused", self._cancel(record))
        if task is not None:  # also when cancelled before it ran (a profile switch): nothing stays held
            task.add_done_callback(lambda _task: self._undo_ended(record))
        return True

    def undo_quit_question(self) -> str:
        """What Quit must ask while a paused publish is being undone ("" when none is)."""
        record = self._undoing
        if record is None:
            return ""
        org, app = record.params.get("org"), record.params.get("app")
        so_far = f" ({self._undo_said.removeprefix('Cancelling: ').rstrip('…')})" if self._undo_said else ""
        return (
            f"The paused publish to {org}/{app} is being cancelled{so_far}. Quitting now stops the "
            "cancel; the next start finishes it. Or let it finish, then quit."
        )

    async def finish_undo_for_quit(self) -> None:
        """Let the undo finish, then quit: wait for it to end (its progress stays on the page)."""
        task = self._tasks.get("package-cancel-paused")
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    def _undo_ended(self, record: SagaRecord) -> None:
        if self._undoing is record:  # not another undo started since
            self._undoing, self._undo_said = None, ""
            self._page.hold_new_publish(False)

    async def _resume(self, record: SagaRecord) -> None:
        org, app = str(record.params["org"]), str(record.params["app"])
        self._publishing, self._publisher, self._sent = (org, app), self._person, None
        self.control = TransferControl()
        task = asyncio.current_task()
        if task is not None:
            self.control.attach(task)
        self._show_offers([r for r in self.paused_runs if r.id != record.id])  # the others wait
        self._page.set_publishing(True)
        self._page.set_publish_target(f"Publishing to {org}/{app}")
        try:
            result = await self._service().resume_publish(
                record.id, SagaRuntime(self._progress, self.control)
            )
        except (HyperOtaError, asyncio.CancelledError) as exc:
            if self.control.cancelled:
                self._messages.info(f"Publish to {org}/{app} cancelled; what it sent was deleted.")
                self._page.finish_progress(f"Publish to {org}/{app} cancelled; what it sent was deleted.")
            if self.control.cancelled or not isinstance(exc, asyncio.CancelledError):
                self._start("package-offers", self.offer_paused(), replace=True)  # as they are now
            raise
        finally:
            self._publishing = None
            self._page.set_publishing(False)
            self._page.set_publish_target("")
            self._page.paused_offers.set_busy(self._undoing is not None)
        done = (
            f"Published {org}/{app} version {result.version} (resumed): "
            f"{human_size(result.bytes_uploaded)} sent after the pause."
        )
        self._messages.finished("Publish finished", done)
        self._page.finish_progress(done)
        self.published.emit(result.version)
        if (org, app) == (self.org, self.app):
            self.refresh()
        await self.offer_paused()  # the others still wait

    async def _cancel(self, record: SagaRecord) -> None:
        org, app = record.params.get("org"), record.params.get("app")

        def progress(event: object) -> None:
            if isinstance(event, PublishUndone) and self._undoing is record:
                total = event.files_total + event.uploads_total
                done = event.files_done + event.uploads_done
                self._undo_said = undo_text(event)
                self._page.paused_offers.show_undo_progress(record.id, self._undo_said, done, total)

        self._page.paused_offers.show_undo_progress(record.id, "Cancelling: finding what it sent…", 0, 0)
        try:
            undone = await self._service().cancel_publish(record.id, SagaRuntime(progress))
        except HyperOtaError:
            self._undo_ended(record)
            await self.offer_paused()  # as they are now (still paused, or gone)
            raise
        finally:
            self._undo_ended(record)
        removed = removed_text(undone)
        text = (
            f"The paused publish to {org}/{app} was cancelled: {removed}."
            if undone.status == "rolled_back"
            else f"The paused publish to {org}/{app} could not be fully undone ({removed}): {undone.error}"
        )
        (self._messages.info if undone.status == "rolled_back" else self._messages.warning)(text)
        self._page.finish_progress(text)
        await self.offer_paused()
