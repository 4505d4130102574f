"""The release wizard: target → package → files → config → review, for a new release, an edit of a
created one, or a clone of an old one. Opened without blocking the window and awaited by the presenter.

A view only: it builds the `ReleaseDraft` from its pages and shows what the presenter learns from the
service (`show_review`). Signals:
- `draftChanged()`: the draft changed (debounced: once typing pauses) — the presenter reviews it;
- `finishRequested(bool)`: Finish was clicked on a reviewed, valid draft (`force`: create anyway
  although the target has an unfinished release); the wizard stays open, showing the creation's
  progress (`set_progress`) until the presenter says how it ended (`finished_with`);
- `cancelRequested()`: Cancel while the creation runs (the presenter cancels it: it is undone).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QWidget, QWizard

from hyperota_desktop.domain.dimensions import Dimension
from hyperota_desktop.domain.packages import Manifest
from hyperota_desktop.domain.release_drafts import DownloadDiff, FieldProblem, ReleaseDraft, ValueChange
from hyperota_desktop.domain.units import human_size
from hyperota_desktop.ui.views.wizard_pages import ConfigPage, FilesPage, PackagePage, ReviewPage, TargetPage
from hyperota_desktop.ui.widgets.naming import named


@dataclass(frozen=True)
class ReviewShown:
    """What the wizard shows of a review (the presenter builds it from the service's `ReleaseReview`)."""

    draft: ReleaseDraft
    problems: tuple[FieldProblem, ...] = ()
    package: Manifest | None = None
    device_config: Mapping[str, Any] | None = None
    current_config: Mapping[str, Any] | None = None
    changes: tuple[ValueChange, ...] = ()
    download: DownloadDiff | None = None
    first_release: bool = False
    conflict: str = ""  # the unfinished release for the same target, described
    target: str = ""  # "devices with city=Pune"
    notes: tuple[str, ...] = field(default=())  # lines the review page adds (four-eyes, ...)

    @property
    def ok(self) -> bool:
        return not any(not p.warning for p in self.problems)


def download_text(review: ReviewShown) -> str:
    d = review.download
    if review.first_release:
        head = f"Nothing has been released to {review.target} yet: this is its first release."
    else:
        head = ""
    if d is None:
        return head
    text = (
        f"Devices in the target download {human_size(d.download_bytes)} of {human_size(d.total_bytes)} "
        f"({human_size(d.before_boot_bytes)} before boot); {len(d.added)} file(s) added, "
        f"{len(d.changed)} changed, {len(d.removed)} removed."
    )
    return f"{head} {text}".strip()


class ReleaseWizard(QWizard):
    draftChanged = Signal()
    finishRequested = Signal(bool)
    cancelRequested = Signal()
    REVIEW_DELAY_MS = 250

    def __init__(self, title: str, *, editing: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("releaseWizard")
        self.setWindowTitle(title)
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.editing = editing
        self.target_page = TargetPage()
        self.package_page = PackagePage()
        self.files_page = FilesPage()
        self.config_page = ConfigPage()
        self.review_page = ReviewPage()
        self.steps = (self.target_page, self.package_page, self.files_page, self.config_page,
                      self.review_page)  # fmt: skip
        for page in self.steps:
            self.addPage(page)
            page.edited.connect(self._edited)
        for which, name, text in (
            (QWizard.WizardButton.NextButton, "wizardNextButton", "Next step"),
            (QWizard.WizardButton.BackButton, "wizardBackButton", "Previous step"),
            (QWizard.WizardButton.FinishButton, "wizardFinishButton", "Create the release"),
            (QWizard.WizardButton.CancelButton, "wizardCancelButton", "Cancel"),
        ):
            named(self.button(which), name, text)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Save changes" if editing else "Create release")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.REVIEW_DELAY_MS)
        self._timer.timeout.connect(self.draftChanged)
        self.review: ReviewShown | None = None
        self.busy = False
        self.done_text = ""
        self.resize(900, 680)

    # -- the draft ------------------------------------------------------------------------------------
    def draft(self) -> ReleaseDraft:
        resources, _problem = self.files_page.resources_list()
        return ReleaseDraft(
            target=self.target_page.target(),
            package=self.package_page.value(),
            lazy=self.files_page.lazy(),
            resources=resources,
            boot_timeout=self.config_page.boot.value(),
            release_config_timeout=self.config_page.config_timeout.value(),
            properties=self.config_page.properties.value() or {},
            notes=self.review_page.notes.text(),
        )

    def load(self, draft: ReleaseDraft, dimensions: Sequence[Dimension]) -> None:
        """Start from `draft` (a clone, or the release being edited)."""
        self.target_page.set_dimensions(dimensions)
        for name, value in draft.target.items():
            self.target_page.add_row(name, value)
        if self.editing:
            self.target_page.lock("A created release keeps its target (discard it and make another).")
        if draft.package:
            self.package_page.set_value(draft.package)
        self.files_page.set_lazy(draft.lazy)
        self.files_page.set_resources(draft.resources)
        self.config_page.boot.setValue(int(draft.boot_timeout))
        self.config_page.config_timeout.setValue(int(draft.release_config_timeout))
        properties = draft.properties
        if isinstance(properties, str):
            self.config_page.properties.edit.setPlainText(properties)
        else:
            self.config_page.properties.set_value(dict(properties))
        self.review_page.notes.set_text(draft.notes)

    def set_packages(self, choices: Sequence[tuple[str, str]]) -> None:
        self.package_page.set_choices(choices)

    # -- what the presenter calls ---------------------------------------------------------------------
    def show_review(self, review: ReviewShown) -> None:
        """The service's review of `review.draft`; ignored if the draft changed since it was asked."""
        if review.draft != self.draft():
            return
        self.review = review
        for page in self.steps:
            page.show_problems(review.problems)
        self.target_page.set_conflict(review.conflict)
        self.files_page.set_package(review.package)
        self.package_page.download.setText(download_text(review))
        lines = [f"The release config for {review.target} in the release, and what changes for them:"]
        if review.first_release and not self.editing:
            lines = [
                f"First release to {review.target}: once confirmed it is created, started and concluded "
                "in one step, so every device in the target gets it at once (nothing to compare with)."
            ]
        if review.ok and review.device_config is not None:
            lines.append("✔ Valid against release-config.schema.json and its rules.")
        lines += list(review.notes)
        ready = review.ok and not self.busy
        self.review_page.show_review(
            "\n".join(x for x in lines if x), review.device_config, review.changes, ready
        )

    def set_progress(self, text: str, done: int = 0, total: int = 0) -> None:
        page = self.review_page
        page.progress.setVisible(True)
        page.progress.setRange(0, max(total, 0))
        page.progress.setValue(done)
        page.progress_label.setText(text)

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        for which in (QWizard.WizardButton.BackButton, QWizard.WizardButton.FinishButton):
            self.button(which).setEnabled(not busy)
        for page in self.steps:
            page.setEnabled(not busy)

    def finished_with(self, text: str, ok: bool) -> None:
        """The creation ended: say how; after a success Finish closes the wizard."""
        self.set_busy(False)
        self.review_page.progress_label.setText(text)
        if ok:
            self.done_text = text
            self.setButtonText(QWizard.WizardButton.FinishButton, "Close")
            self.button(QWizard.WizardButton.BackButton).setEnabled(False)
            self.button(QWizard.WizardButton.CancelButton).setEnabled(False)
            for page in self.steps:
                page.setEnabled(False)

    # -- QWizard --------------------------------------------------------------------------------------
    def accept(self) -> None:
        if self.done_text:
            super().accept()
            return
        if self.busy or self.review is None or not self.review.ok or self.review.draft != self.draft():
            return
        self.finishRequested.emit(self.target_page.force.isChecked())

    def reject(self) -> None:
        if self.busy:
            self.review_page.progress_label.setText("Cancelling: what was made is being undone…")
            self.cancelRequested.emit()
            return
        super().reject()

    def _edited(self) -> None:
        self.review = None
        self._timer.start()
