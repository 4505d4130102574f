"""Typed settings in `config/settings.json`; unknown keys are refused, bad stored values fall back."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.settings import SETTINGS_BY_KEY, coerce_setting
from hyperota_desktop.stores.jsonfile import read_json, write_json


class SettingsStore:
    """`defaults`: this process's defaults where they differ from the declared ones (the window's,
    `GUI_DEFAULTS`); a stored value wins over either."""

    def __init__(self, path: Path, defaults: Mapping[str, Any] | None = None) -> None:
        self._path = path
        self._defaults = dict(defaults or {})
        self._lock = threading.Lock()

    def _load(self) -> dict[str, Any]:
        try:
            data = read_json(self._path, {})
        except ValidationError:
            return {}  # a damaged settings file must not stop the app; defaults apply
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> Any:
        spec = SETTINGS_BY_KEY.get(key)
        if spec is None:
            raise ValidationError(f"Unknown setting '{key}'.")
        with self._lock:
            raw = self._load()
        default = self._defaults.get(key, spec.default)
        return coerce_setting(spec, raw.get(key, default))

    def set(self, key: str, value: Any) -> None:
        spec = SETTINGS_BY_KEY.get(key)
        if spec is None:
            raise ValidationError(f"Unknown setting '{key}'.")
        if coerce_setting(spec, value) != value or (spec.type is int and isinstance(value, bool)):
            raise ValidationError(f"Setting '{key}' takes a {spec.type.__name__}; got {value!r}.")
        with self._lock:
            data = self._load()
            data[key] = value
            write_json(self._path, data)
