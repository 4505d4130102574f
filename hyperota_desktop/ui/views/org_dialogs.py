"""Dialogs: name a new organisation/application (validated as you type), confirm a deletion by
typing the name, listing exactly what will be deleted, and follow a deletion's progress (cancellable).

DeletionProgressDialog signals: `cancelRequested()` (Cancel, Escape or closing the dialog)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.ui.widgets.naming import named


class NameDialog(QDialog):
    """`problem(name)` returns why a name is refused, or None; OK stays disabled until it is None.

    With `hold`, Create does not close the dialog: it emits `submitted(str name)` and waits, busy, for
    `succeeded()` (closes it, accepted) or `failed(message)` (the message under the name, the name kept,
    editable again)."""

    submitted = Signal(str)

    def __init__(
        self,
        title: str,
        prompt: str,
        problem: Callable[[str], str | None],
        parent: QWidget | None = None,
        *,
        hold: bool = False,
    ) -> None:
        super().__init__(parent)
        self._hold = hold
        self._failure: tuple[str, str] | None = None  # (name, why the backend refused it)
        self.setObjectName("nameDialog")
        self.setWindowTitle(title)
        self._problem = problem
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt))
        rule = named(
            QLabel("Lowercase letters, digits, '.', '_' and '-'; at most 50 characters."), "nameRule"
        )
        rule.setWordWrap(True)
        layout.addWidget(rule)
        self.edit = named(QLineEdit(), "nameEdit", prompt)
        self.edit.setMinimumWidth(400)
        self.error = named(QLabel(""), "nameError", "Why the name is not valid")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.setObjectName("nameDialogButtons")
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        named(self.ok, "nameOkButton", "Create")
        self.ok.setText("Create")
        named(self.buttons.button(QDialogButtonBox.StandardButton.Cancel), "nameCancelButton", "Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.edit.textChanged.connect(self._validate)
        self._validate("")

    def accept(self) -> None:
        if not self._hold:
            super().accept()
        elif self.ok.isEnabled():
            self.set_busy(True)
            self.submitted.emit(self.name)

    def set_busy(self, busy: bool) -> None:
        """While the creation runs nothing can be changed or cancelled (it is a saga: it finishes or
        is undone by itself)."""
        for widget in (self.edit, self.buttons):
            widget.setEnabled(not busy)
        if busy:
            self.error.setText(f"Creating '{self.name}'…")
            self.error.setStyleSheet("")

    def succeeded(self) -> None:
        super().accept()

    def failed(self, message: str) -> None:
        self.set_busy(False)
        self._failure = (self.name, message)
        self.error.setStyleSheet("color: #b00020")
        self._validate(self.name)
        self.edit.setFocus()

    def _validate(self, text: str) -> None:
        problem = self._problem(text)
        if problem is None and self._failure is not None and self._failure[0] == text:
            problem = self._failure[1]  # refused by the backend: not again with the same name
        self.error.setText(problem if text and problem else "")
        self.ok.setEnabled(problem is None)
        layout = self.layout()
        if layout is not None:  # grow to the message's wrapped height: never clipped by the buttons
            layout.activate()
            self.resize(self.width(), max(self.height(), layout.totalHeightForWidth(self.width())))

    @property
    def name(self) -> str:
        return self.edit.text()


class ConfirmDeleteDialog(QDialog):
    """Lists what will be deleted; Delete is enabled only once the exact name is typed.

    `consequences` is the list of lines, or a function of the "keep files" choice giving them, so the
    summary follows the checkbox. Without `files_option` nothing can be deleted from S3: the files are
    kept and the checkbox is shown checked and disabled.
    """

    def __init__(
        self,
        title: str,
        name: str,
        consequences: list[str] | Callable[[bool], list[str]],
        *,
        files_option: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("confirmDeleteDialog")
        self.setWindowTitle(title)
        self._name = name
        self._lines = consequences if callable(consequences) else (lambda _keep: list(consequences))
        layout = QVBoxLayout(self)
        self.summary = named(QLabel(""), "deleteSummary", "What will be deleted")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.keep_files = named(
            QCheckBox("Keep the stored files in S3"), "keepFilesCheck", "Keep the stored files in S3"
        )
        if not files_option:
            self.keep_files.setChecked(True)
            self.keep_files.setEnabled(False)
            self.keep_files.setToolTip("This profile names no bucket: no files can be deleted.")
        self.keep_files.toggled.connect(self._describe)
        layout.addWidget(self.keep_files)
        self._describe(self.keep_files.isChecked())
        layout.addWidget(QLabel(f"Type {name} to confirm:"))
        self.edit = named(QLineEdit(), "confirmNameEdit", f"Type {name} to confirm")
        layout.addWidget(self.edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Delete")
        named(self.ok, "confirmDeleteButton", "Delete")
        named(self.buttons.button(QDialogButtonBox.StandardButton.Cancel), "cancelDeleteButton", "Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.edit.textChanged.connect(lambda text: self.ok.setEnabled(text == self._name))
        self.ok.setEnabled(False)

    def _describe(self, keep: bool) -> None:
        self.summary.setText("This will:\n" + "\n".join(f"  • {line}" for line in self._lines(keep)))


class DeletionProgressDialog(QDialog):
    """Progress of a running deletion: a bar (busy until the file count is known) and Cancel.

    Shown with `show()` (window-modal, no nested event loop): the deletion keeps running on the asyncio
    loop and its blocking S3 calls in worker threads, so the window stays responsive.
    """

    cancelRequested = Signal()

    def __init__(self, title: str, total_files: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deletionProgressDialog")
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._total = total_files
        layout = QVBoxLayout(self)
        self.label = named(QLabel(f"{title}: disabling workspaces…"), "deletionProgressLabel")
        self.label.setWordWrap(True)
        self.bar = named(QProgressBar(), "deletionProgressBar", "Files deleted")
        self.bar.setRange(0, 0)  # busy until files are being deleted
        self.cancel_button = named(QPushButton("Cancel"), "deletionCancelButton", "Cancel the deletion")
        self.cancel_button.clicked.connect(self._cancel)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignRight)
        self.resize(460, self.sizeHint().height())

    def report(self, where: str, deleted: int) -> None:
        """`deleted` files under `where` are gone so far."""
        if self._total:
            total = max(self._total, deleted)  # files added since they were counted
            self.bar.setRange(0, total)
            self.bar.setValue(deleted)
            self.label.setText(f"Deleted {deleted} of {total} file(s) under {where}…")
        else:
            self.label.setText(f"Deleted {deleted} file(s) under {where}…")

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Cancelling: undoing what was done (files already deleted stay deleted)…")
        self.cancelRequested.emit()

    def reject(self) -> None:  # Escape
        if self.cancel_button.isEnabled():
            self._cancel()

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()  # closes when the deletion ends; closing the window means cancel
        self.reject()

    def finish(self) -> None:
        self.hide()
        self.deleteLater()
