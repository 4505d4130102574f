"""Where the app writes: one object, built once, so tests and `--profile-dir` redirect everything."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hyperota_desktop.stores.private import private_dir


@dataclass(frozen=True)
class AppDirs:
    config: Path  # profiles, settings
    data: Path  # journal, upload checkpoints
    cache: Path
    logs: Path

    @classmethod
    def under(cls, root: Path) -> AppDirs:
        """Everything below one folder: `--profile-dir DIR` / `HYPEROTA_HOME`."""
        root = root.expanduser().resolve()
        return cls(config=root / "config", data=root / "data", cache=root / "cache", logs=root / "logs")

    def ensure(self) -> AppDirs:
        for path in (self.config, self.data, self.cache, self.logs):
            private_dir(path)
        return self
