"""Dialog to create or edit a profile. Each problem shows under its own field, once that field has been
typed in (a new, empty dialog does not shout); any problem, shown or not, keeps Save disabled and its
tooltip says what is still missing. Wide enough for URLs. "Test connection" asks whoever opened the
editor (signal `testRequested()`) to check the backends; `show_test_results` shows the answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.domain.profiles import AwsCredentialMode, Profile, profile_field_problems
from hyperota_desktop.ui.widgets.naming import named

_LABELS = {
    "name": "Name",
    "issuer": "OIDC issuer",
    "client_id": "Client id",
    "superposition_url": "Superposition URL",
    "superposition_org_id": "Superposition org id",
    "superposition_org_name": "Superposition org name",
    "s3_endpoint": "S3 endpoint (blank = AWS)",
    "region": "Region",
    "bucket": "Bucket",
    "key_prefix": "Key prefix",
    "public_base_url": "Public base URL",
    "kms_signing_key": "KMS signing key",
    "kms_data_key": "KMS data key",
    "aws_role_arn": "AWS role ARN",
}


class ProfileEditor(QDialog):
    testRequested = Signal()

    def __init__(
        self, profile: Profile | None, existing_names: set[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("profileEditor")
        self.setWindowTitle("Edit profile" if profile else "New profile")
        self._existing = existing_names - ({profile.name} if profile else set())
        self.setMinimumWidth(640)  # an https://…/realms/… issuer fits without scrolling
        self._edits: dict[str, QLineEdit] = {}
        self._errors: dict[str, QLabel] = {}
        self._rows: dict[str, QWidget] = {}
        self._touched: set[str] = set()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        values = profile.to_dict() if profile else {}
        for f in fields(Profile):
            if f.name == "aws_credential_mode":
                self.mode = named(QComboBox(), "profileAwsMode", "AWS credential mode")
                for mode in AwsCredentialMode:
                    self.mode.addItem(mode.value, mode.value)
                self.mode.setCurrentText(values.get(f.name, AwsCredentialMode.DEFAULT_CHAIN.value))
                self.mode.currentIndexChanged.connect(self._validate)
                form.addRow("AWS credentials", self.mode)
                # whether S3 itself keeps organisations apart with this mode (issue 17.2)
                self.isolation = named(QLabel(), "profileIsolation", "S3 isolation of these credentials")
                self.isolation.setWordWrap(True)
                form.addRow("", self.isolation)
                continue
            edit = QLineEdit(str(values.get(f.name, f.default if isinstance(f.default, str) else "")))
            edit.setObjectName(f"profileField_{f.name}")
            edit.setAccessibleName(_LABELS[f.name])
            edit.setMinimumWidth(420)
            edit.textChanged.connect(lambda _text, name=f.name: self._input(name))
            self._edits[f.name] = edit
            form.addRow(_LABELS[f.name], self._with_error(f.name, edit))
        # Static keys go to the OS keyring, never into the profile: blank on an existing profile = keep.
        self.key_id = named(QLineEdit(), "profileAwsKeyId", "AWS access key id (kept in the OS keyring)")
        self.secret = named(QLineEdit(), "profileAwsSecret", "AWS secret access key (kept in the OS keyring)")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        hint = "leave blank to keep the stored keys" if profile else "kept in the OS keyring"
        for name, edit in (("aws_key_id", self.key_id), ("aws_secret", self.secret)):
            edit.setPlaceholderText(hint)
            edit.textChanged.connect(lambda _text, name=name: self._input(name))
        form.addRow("AWS access key id", self.key_id)
        form.addRow("AWS secret access key", self._with_error("aws_secret", self.secret))
        self._key_rows = (self.key_id, self._rows["aws_secret"])
        self._form = form
        self._is_new = profile is None
        if profile:
            self._edits["name"].setReadOnly(True)
        self.problems = named(QLabel(), "profileProblems", "Profile problems")
        self.problems.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.setObjectName("profileButtons")
        for button in self.buttons.buttons():
            button.setObjectName(f"profile{button.text().replace('&', '')}Button")
            button.setAccessibleName(button.text().replace("&", ""))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.test_button = named(
            QPushButton("Test connection"), "profileTestButton", "Test the connection to each backend"
        )
        self.buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.test_button.clicked.connect(self.testRequested)
        self.test_results = named(QLabel(), "profileTestResults", "Connection test results")
        self.test_results.setWordWrap(True)
        self.test_results.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_results.hide()
        self._testing = False
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problems)
        layout.addWidget(self.test_results)
        layout.addWidget(self.buttons)
        self._validate()

    def testing(self) -> None:
        """A test runs: say so, and no second one meanwhile."""
        self._testing = True
        self.test_button.setEnabled(False)
        self.test_results.setText("Testing the connection to each backend…")
        self.test_results.show()

    def show_test_results(self, results: list[tuple[str, bool | None, str]]) -> None:
        """(backend, ok — None when not checked —, what it answered), one line each."""
        self._testing = False
        marks = {True: "✔", False: "✘", None: "○"}
        self.test_results.setText("\n".join(f"{marks[ok]} {name}: {detail}" for name, ok, detail in results))
        self.test_results.show()
        self._validate()

    def _with_error(self, name: str, edit: QWidget) -> QWidget:
        """The field with its own error line under it (hidden while there is nothing to say)."""
        error = named(QLabel(), f"profileError_{name}", f"Problem with {_LABELS.get(name, name)}")
        error.setWordWrap(True)
        error.setStyleSheet("color: #b00020")  # as the name dialogs' errors
        error.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        error.hide()
        row = QWidget()
        box = QVBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(edit)
        box.addWidget(error)
        self._errors[name], self._rows[name] = error, row
        return row

    def error_for(self, name: str) -> str:
        """The problem shown under field `name` ("" = none shown)."""
        label = self._errors.get(name)
        return label.text() if label is not None and not label.isHidden() else ""

    def _input(self, name: str) -> None:
        self._touched.add(name)
        self._validate()

    def values(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: edit.text().strip() for name, edit in self._edits.items()}
        data["aws_credential_mode"] = self.mode.currentData()
        return data

    def profile(self) -> Profile:
        return Profile.from_dict(self.values())

    def static_keys(self) -> tuple[str, str] | None:
        """The static AWS keys typed in (both), or None to leave the keyring as it is."""
        if self.mode.currentData() != AwsCredentialMode.STATIC_KEYS.value:
            return None
        key_id, secret = self.key_id.text().strip(), self.secret.text().strip()
        return (key_id, secret) if key_id and secret else None

    def _validate(self) -> list[str]:
        data = self.values()
        mode = AwsCredentialMode(data.pop("aws_credential_mode"))
        found = profile_field_problems(Profile(**data, aws_credential_mode=mode))
        if data["name"] in self._existing:
            found.insert(0, ("name", f"A profile named '{data['name']}' exists already."))
        short = mode.isolation
        self.isolation.setText(f"{short[:1].upper()}{short[1:]}. {mode.isolation_detail}")
        static = mode is AwsCredentialMode.STATIC_KEYS
        for row in self._key_rows:
            self._form.setRowVisible(row, static)
        typed = [bool(e.text().strip()) for e in (self.key_id, self.secret)]
        if static and (any(typed) or self._is_new) and not all(typed):
            found.append(
                ("aws_secret", "Static credentials need both the access key id and the secret access key.")
            )
        keys_touched = bool({"aws_key_id", "aws_secret"} & self._touched)
        for name, label in self._errors.items():
            texts = [text for field, text in found if field == name]
            shown = bool(texts) and (name in self._touched or (name == "aws_secret" and keys_touched))
            label.setText("\n".join(texts))
            label.setVisible(shown)
        # once anything was typed: what else keeps Save disabled (fields not typed in yet)
        pending = [text for field, text in found if not self.error_for(field)] if self._touched else []
        self.problems.setText("\n".join(f"Still needed: {text}" for text in pending))
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(not found)
        save.setToolTip("\n".join(text for _field, text in found))
        if not self._testing:
            self.test_button.setEnabled(not found)  # a test needs a profile that could be saved
        return [text for _field, text in found]


def edit_profile(
    parent: QWidget,
    profile: Profile | None,
    existing: set[str],
    on_save: Callable[[Profile, tuple[str, str] | None], None],
    on_test: Callable[[ProfileEditor], None] | None = None,
) -> ProfileEditor:
    """Open the editor (window-modal, no nested event loop); `on_save` runs when the person saves,
    `on_test` when they ask for a connection test."""
    dialog = ProfileEditor(profile, existing, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: on_save(dialog.profile(), dialog.static_keys()))
    if on_test is not None:
        dialog.testRequested.connect(lambda: on_test(dialog))
    else:
        dialog.test_button.hide()
    dialog.open()
    return dialog
