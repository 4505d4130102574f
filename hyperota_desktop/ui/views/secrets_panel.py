"""The Server secrets tab: pick a `.env`, tick the keys to encrypt with KMS, write `.env.encrypted`; open a
`.env.encrypted` to check it decrypts. Values stay masked unless "Show values" is ticked.

A view only. Signals: `envChosen(str)`, `encryptRequested(list, str, str, str)` (keys, KMS key, context
text, output path), `decryptChosen(str)`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.ui.models.archives import SecretsModel
from hyperota_desktop.ui.widgets.drop_zone import DropZone
from hyperota_desktop.ui.widgets.naming import named

CONTEXT_NOTE = (
    "The Hyper OTA server decrypts its values without an encryption context: leave the context empty "
    "unless your server passes the same one."
)


class SecretsPanel(QWidget):
    envChosen = Signal(str)
    encryptRequested = Signal(list, str, str, str)
    decryptChosen = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("secretsPanel")
        layout = QVBoxLayout(self)
        self.drop_area = DropZone("secretsDropArea", "Drop the server's .env (to encrypt) or .env.encrypted "
                                  "(to check that it decrypts)")  # fmt: skip
        self.drop_area.dropped.connect(self._dropped)
        layout.addWidget(self.drop_area)
        row = QHBoxLayout()
        self.open_env = named(QPushButton("Open .env…"), "secretsOpenEnv", "Open a .env file to encrypt")
        self.open_encrypted = named(QPushButton("Check .env.encrypted…"), "secretsOpenEncrypted",
                                    "Open a .env.encrypted file to check it decrypts")  # fmt: skip
        self.open_env.clicked.connect(lambda: self._ask(self.envChosen, "The server's .env"))
        self.open_encrypted.clicked.connect(lambda: self._ask(self.decryptChosen, "A .env.encrypted"))
        self.show_values = named(QCheckBox("Show values"), "secretsShowValues", "Show the secret values")
        row.addWidget(self.open_env)
        row.addWidget(self.open_encrypted)
        row.addStretch(1)
        row.addWidget(self.show_values)
        layout.addLayout(row)
        self.file_label = named(QLabel("No file yet."), "secretsFile", "Current file")
        layout.addWidget(self.file_label)
        self.model = SecretsModel()
        self.table = named(QTableView(), "secretsTable", "Keys of the file")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.show_values.toggled.connect(self.model.set_show_values)
        layout.addWidget(self.table, 1)
        grid = QGridLayout()
        self.kms_key = named(QLineEdit(), "secretsKmsKey", "KMS key that encrypts")
        self.kms_key.setPlaceholderText("KMS key id, ARN or alias")
        self.context = named(QLineEdit(), "secretsContext", "Encryption context")
        self.context.setPlaceholderText("optional: name=value, name=value")
        self.output = named(QLineEdit(), "secretsOutput", "File to write")
        self.encrypt_button = named(QPushButton("Encrypt to .env.encrypted"), "secretsEncryptButton",
                                    "Encrypt the ticked keys")  # fmt: skip
        self.encrypt_button.clicked.connect(self._encrypt_clicked)
        note = named(QLabel(CONTEXT_NOTE), "secretsContextNote")
        note.setWordWrap(True)
        grid.addWidget(QLabel("KMS key:"), 0, 0)
        grid.addWidget(self.kms_key, 0, 1)
        grid.addWidget(QLabel("Context:"), 0, 2)
        grid.addWidget(self.context, 0, 3)
        grid.addWidget(QLabel("Write:"), 1, 0)
        grid.addWidget(self.output, 1, 1, 1, 2)
        grid.addWidget(self.encrypt_button, 1, 3)
        grid.addWidget(note, 2, 0, 1, 4)
        layout.addLayout(grid)
        self.status = named(QLabel(""), "secretsStatus", "Result")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        self.set_encryptable(False)

    def set_encryptable(self, on: bool) -> None:
        for w in (self.encrypt_button, self.output, self.context, self.kms_key):
            w.setEnabled(on)

    def set_busy(self, busy: bool) -> None:
        for w in (self.drop_area, self.open_env, self.open_encrypted):
            w.setEnabled(not busy)
        if busy:
            self.encrypt_button.setEnabled(False)

    def _ask(self, signal: object, title: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, title, "", "All files (*)")
        if path:
            signal.emit(path)  # type: ignore[attr-defined]

    def _dropped(self, paths: list[str]) -> None:
        path = paths[0]
        (self.decryptChosen if path.endswith(".encrypted") else self.envChosen).emit(path)

    def _encrypt_clicked(self) -> None:
        self.encryptRequested.emit(
            self.model.chosen(),
            self.kms_key.text().strip(),
            self.context.text().strip(),
            self.output.text().strip(),
        )
