"""The confirmation of an action that changes what devices get: who is affected (the service's
`impact()` lines), an optional reason recorded with it, and an explicit confirm button named after the
action. Awaited by the presenter (`dialog_result`), never `exec()`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from hyperota_desktop.ui.widgets.naming import named


class ConfirmActionDialog(QDialog):
    def __init__(
        self,
        title: str,
        lines: list[str],
        confirm: str,
        *,
        ask_why: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("confirmActionDialog")
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        self.summary = named(QLabel("\n".join(f"• {line}" for line in lines)), "confirmActionSummary",
                             "Who is affected")  # fmt: skip
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.why = named(QLineEdit(), "confirmActionWhy", "Reason, recorded with the action")
        self.why.setPlaceholderText("Why (recorded in the release's history; optional)")
        self.why.setVisible(ask_why)
        layout.addWidget(self.why)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(confirm)
        named(self.ok, "confirmActionButton", confirm)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        named(cancel, "confirmActionCancel", "Cancel")
        cancel.setDefault(True)  # Enter does not change what devices get
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    @property
    def reason(self) -> str:
        return self.why.text().strip()
