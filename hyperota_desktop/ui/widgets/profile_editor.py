"""Dialog to create or edit a profile; validation errors show inline and block saving."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.domain.profiles import AwsCredentialMode, Profile, profile_problems
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
    def __init__(
        self, profile: Profile | None, existing_names: set[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("profileEditor")
        self.setWindowTitle("Edit profile" if profile else "New profile")
        self._existing = existing_names - ({profile.name} if profile else set())
        self._edits: dict[str, QLineEdit] = {}
        form = QFormLayout()
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
            edit.textChanged.connect(self._validate)
            self._edits[f.name] = edit
            form.addRow(_LABELS[f.name], edit)
        # Static keys go to the OS keyring, never into the profile: blank on an existing profile = keep.
        self.key_id = named(QLineEdit(), "profileAwsKeyId", "AWS access key id (kept in the OS keyring)")
        self.secret = named(QLineEdit(), "profileAwsSecret", "AWS secret access key (kept in the OS keyring)")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        hint = "leave blank to keep the stored keys" if profile else "kept in the OS keyring"
        for edit in (self.key_id, self.secret):
            edit.setPlaceholderText(hint)
            edit.textChanged.connect(self._validate)
        form.addRow("AWS access key id", self.key_id)
        form.addRow("AWS secret access key", self.secret)
        self._key_rows = (self.key_id, self.secret)
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
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)
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
        problems = profile_problems(Profile(**data, aws_credential_mode=mode))
        if data["name"] in self._existing:
            problems.insert(0, f"A profile named '{data['name']}' exists already.")
        short = mode.isolation
        self.isolation.setText(f"{short[:1].upper()}{short[1:]}. {mode.isolation_detail}")
        static = mode is AwsCredentialMode.STATIC_KEYS
        for edit in self._key_rows:
            self._form.setRowVisible(edit, static)
        typed = [bool(e.text().strip()) for e in self._key_rows]
        if static and (any(typed) or self._is_new) and not all(typed):
            problems.append("Static credentials need both the access key id and the secret access key.")
        self.problems.setText("\n".join(problems))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not problems)
        return problems


def edit_profile(
    parent: QWidget,
    profile: Profile | None,
    existing: set[str],
    on_save: Callable[[Profile, tuple[str, str] | None], None],
) -> ProfileEditor:
    """Open the editor (window-modal, no nested event loop); `on_save` runs when the person saves."""
    dialog = ProfileEditor(profile, existing, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: on_save(dialog.profile(), dialog.static_keys()))
    dialog.open()
    return dialog
