"""Issue 17.8: paging arguments are usage errors; 17.2: `profile show` names the isolation mode."""

from __future__ import annotations

import json

import pytest

from hyperota_desktop.app.cli_entry import main as cli_main


@pytest.mark.parametrize(("option", "value"), [("--offset", "-1"), ("--limit", "0"), ("--limit", "-5"),
                                               ("--offset", "x")])  # fmt: skip
def test_bad_paging_is_a_usage_error(capsys: pytest.CaptureFixture[str], option: str, value: str) -> None:
    code = cli_main(["package", "list", "--org", "demo", "--app", "web", option, value])
    _, err = capsys.readouterr()
    assert code == 2 and option in err


@pytest.mark.parametrize(
    ("mode", "says"),
    [("static", "shared keys: no isolation"), ("default", "isolation unknown"),
     ("web-identity", "S3 enforces organisations")],
)  # fmt: skip
def test_profile_show_says_whether_s3_keeps_organisations_apart(
    capsys: pytest.CaptureFixture[str], mode: str, says: str
) -> None:
    """Issue 17.2: the mode a profile uses is shown ("shared keys: no isolation")."""
    extra = ["--aws-role-arn", "arn:aws:iam::1:role/r"] if mode == "web-identity" else []
    issuer = "https://sso.example.com/realms/x"
    assert cli_main(["profile", "add", "p", "--issuer", issuer, "--aws-credential-mode", mode, *extra]) == 0
    capsys.readouterr()
    assert cli_main(["profile", "show", "p"]) == 0
    assert says in capsys.readouterr().out
    assert cli_main(["profile", "show", "p", "--json"]) == 0
    assert says in json.loads(capsys.readouterr().out)["isolation"]
