"""Profiles: add, list, switch, import and export backend environments.

Listeners (`subscribe`) hear what changed — a profile saved or removed, the active one switched, a
profile's AWS keys replaced — so the composition root can replace exactly what depends on it. They
may be called from a worker thread (keyring writes run there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.errors import NotFound, ValidationError
from hyperota_desktop.domain.profiles import AwsCredentialMode, Profile
from hyperota_desktop.domain.redaction import KNOWN_SECRETS
from hyperota_desktop.stores.profiles import ProfileStore
from hyperota_desktop.stores.secrets import SecretStore
from hyperota_desktop.stores.untrusted import read_json_file

AWS_KEY_ID = "aws_access_key_id"
AWS_SECRET = "aws_secret_access_key"  # noqa: S105 - a keyring entry name, not a secret
log = logging.getLogger("hyperota.services.profiles")


class ProfileEvent(StrEnum):
    SAVED = "saved"  # added or edited
    REMOVED = "removed"
    ACTIVE = "active"  # another profile is the active one
    AWS_KEYS = "aws_keys"  # its static AWS keys were replaced


ProfileListener = Callable[[ProfileEvent, str], None]


_PROFILE_KEYS = ("issuer", "client_id", "superposition_url", "s3_endpoint", "region", "bucket",
                 "public_base_url", "kms_signing_key", "kms_data_key")  # fmt: skip
_ENDPOINT_KEYS = (*_PROFILE_KEYS, "aws_access_key_id", "aws_secret_access_key")
_OPTIONAL_KEYS = ("superposition_org_id", "superposition_org_name")


def profile_from_endpoints(data: dict[str, Any], name: str) -> tuple[Profile, tuple[str, str] | None]:
    """Map a sandbox endpoints file (`hyperota sandbox up --endpoints-file`) to a profile + static keys."""
    missing = sorted(k for k in _ENDPOINT_KEYS if k not in data)
    if missing:
        raise ValidationError(f"The endpoints file lacks {', '.join(missing)}.")
    wrong = sorted(k for k in (*_ENDPOINT_KEYS, *_OPTIONAL_KEYS) if not isinstance(data.get(k, ""), str))
    if wrong:
        raise ValidationError(f"The endpoints file's {', '.join(wrong)} must be text.")
    values = {k: data[k] for k in _PROFILE_KEYS} | {k: data.get(k, "") for k in _OPTIONAL_KEYS}
    profile = Profile.from_dict(
        {"name": name, **values, "aws_credential_mode": str(AwsCredentialMode.STATIC_KEYS)}
    )  # validates every field
    return profile, (data["aws_access_key_id"], data["aws_secret_access_key"])


class ProfileService:
    def __init__(self, store: ProfileStore, secrets: SecretStore, override: str | None = None) -> None:
        self._store = store
        self._secrets = secrets
        self._override = override  # --profile NAME: used for this run, not saved
        self._listeners: list[ProfileListener] = []

    def subscribe(self, listener: ProfileListener) -> Callable[[], None]:
        """`listener(event, profile name)` after each change; returns the unsubscribe function."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _emit(self, event: ProfileEvent, name: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(event, name)
            except Exception:
                log.exception("profile listener failed on %s %s", event, name)

    def list(self) -> list[Profile]:
        return self._store.list()

    def get(self, name: str) -> Profile:
        return self._store.get(name)

    def active_name(self) -> str | None:
        return self._override or self._store.active_name()

    def active(self) -> Profile:
        name = self.active_name()
        if name is None:
            raise NotFound(
                "No profile yet.",
                hint="Add one with `hyperota profile add` or the profile editor.",
                gui_hint="Add one with the profile editor (New profile…).",
            )
        return self._store.get(name)

    def use_for_session(self, name: str) -> None:
        """Make `name` the active profile for this run only (the saved choice is untouched), as
        `--profile`/`--sandbox` do at start: the GUI's "Try the sandbox" once its sandbox runs."""
        self._store.get(name)  # NotFound for a profile that does not exist
        self._override = name
        self._emit(ProfileEvent.ACTIVE, name)

    def add(self, profile: Profile, *, overwrite: bool = False) -> None:
        Profile.from_dict(profile.to_dict())
        self._store.save(profile, overwrite=overwrite)
        self._emit(ProfileEvent.SAVED, profile.name)

    def use(self, name: str) -> None:
        self._store.set_active(name)
        self._emit(ProfileEvent.ACTIVE, name)

    def remove(self, name: str) -> None:
        self._store.remove(name)
        for key in (AWS_KEY_ID, AWS_SECRET):
            self._secrets.delete(name, key)
        self._emit(ProfileEvent.REMOVED, name)

    def export(self, name: str) -> dict[str, Any]:
        """The profile as JSON; holds no secrets by construction."""
        return {"format": 1, "profile": self._store.get(name).to_dict()}

    def import_file(self, path: Path, *, name: str | None = None, overwrite: bool = False) -> Profile:
        """Import an exported profile or a sandbox endpoints file."""
        data = read_json_file(path, what=str(path))
        if not isinstance(data, dict):
            raise ValidationError(f"{path} does not hold a profile.")
        keys = None
        if "profile" in data:
            raw = dict(data["profile"]) if isinstance(data["profile"], dict) else data["profile"]
            if name and isinstance(raw, dict):
                raw["name"] = name
            profile = Profile.from_dict(raw)
        elif "issuer" in data and "s3_endpoint" in data:
            profile, keys = profile_from_endpoints(data, name or "sandbox")
        else:
            raise ValidationError(f"{path} is neither an exported profile nor a sandbox endpoints file.")
        self._store.save(profile, overwrite=overwrite)
        if keys:
            self._secrets.set(profile.name, AWS_KEY_ID, keys[0])
            self._secrets.set(profile.name, AWS_SECRET, keys[1])
        self._emit(ProfileEvent.SAVED, profile.name)
        if keys:
            self._emit(ProfileEvent.AWS_KEYS, profile.name)
        return profile

    def set_static_aws_keys(self, name: str, key_id: str, secret: str) -> None:
        """Keep a profile's static AWS keys in the keyring (blocking: call it off the UI thread)."""
        self._store.get(name)  # NotFound for an unknown profile
        key_id, secret = key_id.strip(), secret.strip()
        if not key_id or not secret:
            raise ValidationError("Both the AWS access key id and the secret access key are needed.")
        KNOWN_SECRETS.add(secret)
        self._secrets.set(name, AWS_KEY_ID, key_id)
        self._secrets.set(name, AWS_SECRET, secret)
        self._emit(ProfileEvent.AWS_KEYS, name)

    def static_aws_keys(self, name: str) -> tuple[str, str] | None:
        key_id, secret = self._secrets.get(name, AWS_KEY_ID), self._secrets.get(name, AWS_SECRET)
        return (key_id, secret) if key_id and secret else None
