"""Every user setting, declared once: key, type, default and what it does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SettingSpec:
    key: str
    type: type
    default: Any
    description: str
    choices: tuple[Any, ...] = ()


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("ui/theme", str, "system", "Colour scheme", ("system", "light", "dark")),
    SettingSpec("ui/last_page", str, "packages", "Page shown at start-up"),
    SettingSpec("ui/window_geometry", str, "", "Saved main window geometry (base64)"),
    SettingSpec("log/level", str, "INFO", "Log level of the log file", LOG_LEVELS),
    # Read when a profile's services are built (app/profile_composition.py): uploads and every request.
    SettingSpec("upload/parallel_parts", int, 8, "Files and multipart parts uploaded at once"),
    SettingSpec("upload/part_size_mib", int, 8, "Multipart part size in MiB (at least 5)"),
    SettingSpec("network/timeout_s", int, 30, "Timeout of one backend request in seconds"),
)
SETTINGS_BY_KEY = {spec.key: spec for spec in SETTINGS}

# The window's own defaults where they differ from the CLI's (a value the person set applies to both).
# Four parts in flight, not eight: every transfer thread sending from a file takes the GIL back after
# each block it sends, and with eight of them the UI thread, which hands the GIL over at every Qt call,
# slept tens of milliseconds at a time during a publish on loopback (benchmarks/gui_probe.py saw it
# asleep in `futex`: the GIL, most likely; P3 in docs/packages.md). Four keep a 2-core machine's
# loopback publish within about 6% of eight's time.
GUI_DEFAULTS: dict[str, Any] = {"upload/parallel_parts": 4}


def coerce_setting(spec: SettingSpec, value: Any) -> Any:
    """The value as the setting's type, or the default when stored data is unusable."""
    if spec.type is int and isinstance(value, bool):
        return spec.default
    if not isinstance(value, spec.type):
        return spec.default
    if spec.choices and value not in spec.choices:
        return spec.default
    return value
