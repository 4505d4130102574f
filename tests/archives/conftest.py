"""Fixtures of the archive tests: an offline archive service and a small bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperota_desktop.services.archives import ArchiveService, offline_archives
from tests.support import bundles

TIME = 1_735_689_600  # 2025-01-01T00:00:00Z


@pytest.fixture
def offline(tmp_path: Path) -> ArchiveService:
    return offline_archives(tmp_path / "cache")


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return bundles.react_native(tmp_path / "rn")
