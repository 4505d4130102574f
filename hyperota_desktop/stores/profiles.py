"""Profiles on disk: `config/profiles.json` holds every profile and which one is active."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.errors import Conflict, NotFound, ValidationError
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.stores.jsonfile import read_json, write_json

FORMAT = 1


class ProfileStore:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()

    def _load(self) -> dict[str, Any]:
        try:
            data = read_json(self._path, {"format": FORMAT, "active": None, "profiles": {}})
        except ValidationError as exc:
            raise ValidationError(f"{exc.message} Fix or remove it.") from None
        if not isinstance(data, dict) or not isinstance(data.get("profiles"), dict):
            raise ValidationError(f"{self._path} is not a profiles file.")
        return data

    def list(self) -> list[Profile]:
        with self._lock:
            raw = self._load()["profiles"]
        return [Profile.from_dict(raw[name]) for name in sorted(raw)]

    def get(self, name: str) -> Profile:
        with self._lock:
            raw = self._load()["profiles"]
        if name not in raw:
            raise NotFound(
                f"No profile named '{name}'.",
                hint="See `hyperota profile list`.",
                gui_hint="Choose one in the profile list of the toolbar.",
            )
        return Profile.from_dict(raw[name])

    def active_name(self) -> str | None:
        with self._lock:
            active = self._load().get("active")
        return active if isinstance(active, str) else None

    def save(self, profile: Profile, *, overwrite: bool = False) -> None:
        with self._lock:
            data = self._load()
            if profile.name in data["profiles"] and not overwrite:
                raise Conflict(f"A profile named '{profile.name}' exists already.")
            data["profiles"][profile.name] = profile.to_dict()
            if not data.get("active"):
                data["active"] = profile.name
            write_json(self._path, data)

    def set_active(self, name: str) -> None:
        with self._lock:
            data = self._load()
            if name not in data["profiles"]:
                raise NotFound(f"No profile named '{name}'.")
            data["active"] = name
            write_json(self._path, data)

    def remove(self, name: str) -> None:
        with self._lock:
            data = self._load()
            if name not in data["profiles"]:
                raise NotFound(f"No profile named '{name}'.")
            del data["profiles"][name]
            if data.get("active") == name:
                data["active"] = min(data["profiles"], default=None)
            write_json(self._path, data)
