"""Fallback assets: what an app binary embeds so its first boot works before any download.

The files of a package plus the release config a device would get, laid out for the SDK:
- Android: `assets/<app>/release_config.json` and `assets/<app>/<file_path>` (in the app module's
  `src/main`);
- iOS: a folder (or a zip of it) holding `release_config.json` and the files at their paths.
Pure planning: which archive file goes where, and the JSON text of the release config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hyperota_desktop.domain.archive_manifest import ArchiveManifest
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.names import name_problem

CONFIG_FILE = "release_config.json"


class Platform(StrEnum):
    ANDROID = "android"
    IOS = "ios"


@dataclass(frozen=True)
class FallbackPlan:
    platform: Platform
    app: str
    root: str  # folder (relative to the output) that receives the config and files; "" for iOS
    config: bytes  # release_config.json
    files: tuple[tuple[str, str], ...]  # (archive path, path below root)

    @property
    def entries(self) -> list[str]:
        """Every path below `root`, the config first."""
        return [CONFIG_FILE, *(dest for _src, dest in self.files)]


def config_text(document: dict[str, Any]) -> bytes:
    """The release config as the app reads it (stable: sorted keys, two-space indent)."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"


def plan_fallback(manifest: ArchiveManifest, platform: Platform) -> FallbackPlan:
    """Where each file of the archive's package goes for `platform` (ValidationError if it cannot)."""
    app = str(manifest.release_config["package"]["name"])
    if name_problem(app, kind="application"):
        raise ValidationError(f"The package name '{app}' cannot name an assets folder.")
    paths = [f.path for f in manifest.files]
    if CONFIG_FILE in paths:
        raise ValidationError(
            f"The package has a file named {CONFIG_FILE} at its root, where the release config goes.",
            hint="Rename that file in the bundle and publish it again.",
        )
    root = f"assets/{app}" if platform is Platform.ANDROID else ""
    return FallbackPlan(
        platform, app, root, config_text(manifest.release_config), tuple((p, p) for p in sorted(paths))
    )
