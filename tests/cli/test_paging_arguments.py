"""Issue 17.8: `package list --offset -1` / `--limit 0` said "no packages yet" (exit 0): now usage errors."""

from __future__ import annotations

import pytest

from hyperota_desktop.app.cli_entry import main as cli_main


@pytest.mark.parametrize(("option", "value"), [("--offset", "-1"), ("--limit", "0"), ("--limit", "-5"),
                                               ("--offset", "x")])  # fmt: skip
def test_bad_paging_is_a_usage_error(capsys: pytest.CaptureFixture[str], option: str, value: str) -> None:
    code = cli_main(["package", "list", "--org", "demo", "--app", "web", option, value])
    _, err = capsys.readouterr()
    assert code == 2 and option in err
