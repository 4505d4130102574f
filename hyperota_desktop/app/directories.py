"""The app's folders: `--profile-dir`/`HYPEROTA_HOME` put everything under one root, else QStandardPaths.

Only QtCore is used (no GUI), so the headless `hyperota` command shares the GUI's folders.
"""

from __future__ import annotations

import os
from pathlib import Path

from hyperota_desktop.stores.dirs import AppDirs

APP_NAME = "hyperota-desktop"
ORG_NAME = "HyperOTA"
HOME_ENV = "HYPEROTA_HOME"


def resolve_dirs(profile_dir: str | None) -> AppDirs:
    root = profile_dir or os.environ.get(HOME_ENV)
    if root:
        return AppDirs.under(Path(root))
    from PySide6.QtCore import QCoreApplication, QStandardPaths

    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(ORG_NAME)
    loc = QStandardPaths.StandardLocation

    def where(kind: QStandardPaths.StandardLocation) -> Path:
        return Path(QStandardPaths.writableLocation(kind))

    data = where(loc.AppLocalDataLocation)
    return AppDirs(
        config=where(loc.AppConfigLocation), data=data, cache=where(loc.CacheLocation), logs=data / "logs"
    )
