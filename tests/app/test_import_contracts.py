"""The layering contracts must fail when a layer rule is broken (not just pass on a clean tree)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "hyperota_desktop", tmp_path / "hyperota_desktop", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_clean_tree_keeps_the_contracts(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("domain/profiles.py", "import hyperota_desktop.services.profiles", "Layers"),
        ("services/profiles.py", "import PySide6.QtWidgets", "No Qt below the UI"),
        ("sandbox/http.py", "import hyperota_desktop.services.profiles", "Emulators share no client code"),
        ("ui/views/main_window.py", "import hyperota_desktop.stores.profiles", "reach persistence only"),
        ("ui/widgets/empty_state.py", "import hyperota_desktop.services.profiles", "Reusable widgets"),
        ("domain/errors.py", "import httpx", "Domain is pure"),
    ],
)
def test_a_broken_rule_fails_the_check(tree: Path, module: str, bad_import: str, contract: str) -> None:
    path = tree / "hyperota_desktop" / module
    path.write_text(path.read_text() + f"\n{bad_import}  # injected by the test\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert contract in result.stdout and "BROKEN" in result.stdout
