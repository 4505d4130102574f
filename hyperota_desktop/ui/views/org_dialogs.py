"""Dialogs: name a new organisation/application (validated as you type) and confirm a deletion by
typing the name, listing exactly what will be deleted."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.ui.widgets.naming import named


class NameDialog(QDialog):
    """`problem(name)` returns why a name is refused, or None; OK stays disabled until it is None."""

    def __init__(
        self, title: str, prompt: str, problem: Callable[[str], str | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("nameDialog")
        self.setWindowTitle(title)
        self._problem = problem
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt))
        self.edit = named(QLineEdit(), "nameEdit", prompt)
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

    def _validate(self, text: str) -> None:
        problem = self._problem(text)
        self.error.setText(problem if text and problem else "")
        self.ok.setEnabled(problem is None)

    @property
    def name(self) -> str:
        return self.edit.text()


class ConfirmDeleteDialog(QDialog):
    """Lists what will be deleted; Delete is enabled only once the exact name is typed."""

    def __init__(
        self,
        title: str,
        name: str,
        consequences: list[str],
        *,
        files_option: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("confirmDeleteDialog")
        self.setWindowTitle(title)
        self._name = name
        layout = QVBoxLayout(self)
        text = "This will:\n" + "\n".join(f"  • {line}" for line in consequences)
        self.summary = named(QLabel(text), "deleteSummary", "What will be deleted")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.keep_files = named(
            QCheckBox("Keep the stored files in S3"), "keepFilesCheck", "Keep the stored files in S3"
        )
        self.keep_files.setVisible(files_option)
        layout.addWidget(self.keep_files)
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
