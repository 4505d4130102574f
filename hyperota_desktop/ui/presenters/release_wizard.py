"""The release wizard's presenter: opens the wizard (beside the window, awaited), reviews the draft with
the service whenever it changes (each page shows the problems of its fields), and on Finish runs the
creation saga (or the edit) with its steps' progress in the wizard, confirming a target's first release
first (created, started and concluded in one step). Cancel during the creation cancels the saga: what it
made is undone.

`run(...)` returns the release created or edited (None when the person closed the wizard without).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

from PySide6.QtWidgets import QWidget

from hyperota_desktop.domain.dimensions import Dimension
from hyperota_desktop.domain.errors import HyperOtaError
from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.domain.releases import Release
from hyperota_desktop.services.dimensions import DimensionService
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.release_create import CreateProgress, ReleaseReview
from hyperota_desktop.services.releases import DraftInvalid, ReleaseService
from hyperota_desktop.services.saga import SagaRuntime
from hyperota_desktop.services.transfer import TransferControl
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.confirm import confirm_action
from hyperota_desktop.ui.presenters.dialogs import dialog_result
from hyperota_desktop.ui.presenters.tasks import PresenterTasks
from hyperota_desktop.ui.views.release_wizard import ReleaseWizard, ReviewShown
from hyperota_desktop.ui.widgets.local_time import local_time

PACKAGE_CHOICES = 200  # newest versions offered in the list (any other can be typed)


class WizardServices(Protocol):
    @property
    def releases(self) -> ReleaseService: ...

    @property
    def dimensions(self) -> DimensionService: ...

    @property
    def packages(self) -> PackageService: ...


def shown(review: ReleaseReview, notes: tuple[str, ...] = ()) -> ReviewShown:
    conflict = ""
    if review.conflict is not None:
        c = review.conflict
        conflict = f"Release {c.id} ({c.status_text}) is unfinished for {c.target.describe()}."
    return ReviewShown(
        draft=review.draft, problems=review.problems, package=review.package,
        device_config=review.device_config, current_config=review.current_config, changes=review.changes,
        download=review.download, first_release=review.first_release, conflict=conflict,
        target=review.target.describe() if review.target else "", notes=notes,
    )  # fmt: skip


class WizardFlow:
    def __init__(self, parent: QWidget, messages: MessageChannel, tasks: PresenterTasks) -> None:
        self._parent = parent
        self._messages = messages
        self._tasks = tasks
        self.wizard: ReleaseWizard | None = None  # while one is open
        self.control: TransferControl | None = None
        self._result: Release | None = None

    async def confirm_first_release(self, lines: list[str]) -> bool:
        """Tests replace this (the dialog is awaited like any other)."""
        accepted, _why = await confirm_action(self._parent, "First release", lines, "Release to every device",
                                              ask_why=False)  # fmt: skip
        return accepted

    async def run(
        self, services: WizardServices, org: str, app: str, *, edit: str = "", clone: str = ""
    ) -> Release | None:
        releases = services.releases
        dims: list[Dimension] = await services.dimensions.all(org, app)
        page = await services.packages.search(org, app, "", limit=PACKAGE_CHOICES)
        tags = await services.packages.tags(org, app)
        if edit or clone:
            draft = await releases.clone(org, app, edit or clone)
        else:
            draft = ReleaseDraft(package=str(page.items[0].version) if page.items else "")
        four = await releases.four_eyes(org, app)
        notes = ("Four-eyes is on: someone other than you will have to start it.",) if four.required else ()
        title = f"Edit release {edit}" if edit else f"New release of {org}/{app}"
        if clone:
            title = f"New release of {org}/{app}, from release {clone}"
        wizard = ReleaseWizard(title, editing=edit, parent=self._parent)
        choices = [
            (str(p.version), f"{p.version}  ({', '.join(p.tags) or 'no tag'}; {local_time(p.created_at)})")
            for p in page.items
        ]
        choices += [(tag, f"tag {tag} → {version}") for tag, version in sorted(tags.items())]
        wizard.set_packages(choices)
        wizard.load(draft, dims)
        self.wizard, self._result = wizard, None

        def review() -> None:
            self._start("wizard-review", self._review(releases, org, app, wizard, edit, notes), replace=True)

        wizard.draftChanged.connect(review)
        wizard.finishRequested.connect(
            lambda force: self._start("wizard-finish", self._finish(releases, org, app, wizard, edit, force))
        )
        wizard.cancelRequested.connect(self.cancel)
        review()
        try:
            await dialog_result(wizard, modal=False)
            return self._result
        finally:
            self._tasks.cancel("wizard-review", "wizard-finish")
            self.wizard = None
            wizard.deleteLater()

    def cancel(self) -> None:
        if self.control is not None:
            self.control.cancel()

    async def _review(
        self, releases: ReleaseService, org: str, app: str, wizard: ReleaseWizard, edit: str,
        notes: tuple[str, ...],
    ) -> None:  # fmt: skip
        review = await releases.review(org, app, wizard.draft(), editing=edit)
        wizard.show_review(shown(review, notes))

    async def _finish(
        self, releases: ReleaseService, org: str, app: str, wizard: ReleaseWizard, edit: str, force: bool
    ) -> None:
        review = wizard.review
        if review is None:
            return
        draft = review.draft
        if review.first_release and not edit:
            package = review.package.version if review.package else draft.package
            lines = [
                f"Nothing has been released to {review.target} yet: this release is created, started for "
                "every device and concluded in one step.",
                f"Every one of {review.target} gets package {package} at once (there is nothing to compare "
                "it with).",
            ]
            if review.notes:
                lines.append("Four-eyes is on: it is created and waits for a second person to start it.")
            if not await self.confirm_first_release(lines):
                return
        self.control = TransferControl()
        task = asyncio.current_task()
        if task is not None:
            self.control.attach(task)  # Cancel stops the creation at once; the saga undoes it
        wizard.set_busy(True)
        wizard.set_progress("Starting…")

        def progress(event: object) -> None:
            if isinstance(event, CreateProgress):
                wizard.set_progress(
                    f"Step {event.index + 1} of {event.total}: {event.step}…", event.index, event.total
                )

        try:
            if edit:
                release = await releases.edit(org, app, edit, draft)
                text = f"Release {release.id} saved (package {release.package_version})."
            else:
                created = await releases.create(
                    org, app, draft, force=force, runtime=SagaRuntime(progress, self.control)
                )
                release = created.release
                text = f"Release {release.id} created: {release.status_text}."
                if created.first_release and release.status_text == "released":
                    version = release.package_version
                    text = f"Release {release.id}: package {version} released to {review.target}."
                if created.waiting_for_second_person:
                    text += " Four-eyes is on: someone other than you must start it."
        except asyncio.CancelledError:
            if self.control.cancelled:
                wizard.finished_with("Cancelled: what the creation made was undone.", False)
            raise
        except DraftInvalid as exc:
            wizard.finished_with(exc.user_text(gui=True), False)
            wizard.show_review(shown(exc.review, review.notes))
            return
        except HyperOtaError as exc:  # a Conflict found meanwhile, a failure (undone), no rights
            wizard.finished_with(exc.user_text(gui=True), False)
            self._messages.warning(exc.user_text(gui=True))
            return
        finally:
            self.control = None
        wizard.set_progress(text, 1, 1)
        wizard.finished_with(text, True)
        self._messages.info(text)
        self._result = release

    def _start(self, name: str, coro: Coroutine[Any, Any, Any], *, replace: bool = False) -> None:
        self._tasks.start(name, coro, replace=replace)
