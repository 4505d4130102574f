"""`hyperota dimension …` and `hyperota release …` against the sandbox, signed in through the device flow:
--json output, the README's exit codes, and confirmations for what changes devices."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.app.cli_entry import main as cli_main
from hyperota_desktop.sandbox.runtime import Sandbox
from tests.support import bundles
from tests.support.release_env import fresh


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:  # the CLI speaks to one dialect here; the services test both
    with Sandbox.start() as running:
        yield running


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], sb: Any, tmp_path: Path) -> Any:
    def run(*argv: str) -> tuple[int, str, str]:
        code = cli_main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(sb.endpoints))
    assert run("profile", "import", str(endpoints), "--name", "sb")[0] == 0
    run("profile", "use", "sb")
    sb.keycloak.set_auto_approve("alice")
    try:
        assert run("login")[0] == 0
    finally:
        sb.keycloak.set_auto_approve(None)
    return run


def test_dimensions_and_a_release_from_the_command_line(cli: Any, tmp_path: Path) -> None:
    app = fresh("cli")
    where = ("--org", "demo", "--app", app)
    assert cli("app", "create", "--org", "demo", app)[0] == 0
    assert cli("dimension", "create", *where, "city", "--kind", "string")[0] == 0
    code, out, err = cli(
        "dimension", "create", *where, "tier", "--kind", "enum", "--values", "free,gold", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["values"] == ["free", "gold"]
    code, out, _ = cli("dimension", "list", *where)
    assert "city" in out and "tier" in out and "free, gold" in out
    assert cli("dimension", "create", *where, "os", "--kind", "tuple")[0] == 5
    for i in (1, 2):
        root = bundles.react_native(tmp_path / f"b{i}", seed=bytes([i]))
        assert cli("package", "publish", *where, str(root))[0] == 0

    code, out, err = cli("release", "create", *where, "--package", "1", "--notes", "first")
    assert code == 2 and "first release" in err and "--yes" in err  # reaches devices at once: confirm
    code, out, err = cli("release", "create", *where, "--package", "1", "--notes", "first", "--yes", "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "CONCLUDED"
    code, out, err = cli(
        "release", "create", *where, "--package", "2", "--dim", "city=Pune", "--dry-run", "--json"
    )
    assert code == 0 and json.loads(out)["device_config"]["package"]["version"] == "2"
    assert "Nothing created" not in out and "download" in err
    extra = ("--lazy", "raw/sound.mp3", "--properties", '{"banner": "sale"}', "--json")
    code, out, err = cli("release", "create", *where, "--package", "2", "--dim", "city=Pune", *extra)
    assert code == 0, err
    rid = json.loads(out)["release"]
    code, out, err = cli("release", "create", *where, "--package", "2", "--dim", "city=Pune")
    assert code == 5 and f"Release {rid} (created) is unfinished" in err and "--force" in err
    assert cli("release", "create", *where, "--package", "2", "--dim", "planet=Mars")[0] == 5
    assert cli("release", "create", *where, "--package", "2", "--properties", "{oops")[0] == 5
    fifo = tmp_path / "notes.fifo"  # files named on the command line are untrusted: never wait on a FIFO
    os.mkfifo(fifo)
    code, _, err = cli("release", "create", *where, "--package", "2", "--notes", f"@{fifo}", "--dry-run")
    assert code == 5 and "not a regular file" in err

    code, out, err = cli("release", "ramp", *where, rid, "30")
    assert code == 2 and "30% of devices with city=Pune get package 2" in err
    assert cli("release", "ramp", *where, rid, "60", "--yes")[0] == 5  # above the 50% cap
    code, out, err = cli("release", "ramp", *where, rid, "30", "--yes", "--why", "step one", "--json")
    assert code == 0 and json.loads(out)["traffic"] == 30

    code, out, _ = cli("release", "list", *where, "--json")
    rows = json.loads(out)["releases"]
    assert [r["status_text"] for r in rows] == ["ramping (30%)", "released"]
    code, out, _ = cli("release", "list", *where, "--status", "concluded")
    assert "released" in out and "ramping" not in out
    code, out, _ = cli("release", "show", *where, rid, "--json")
    detail = json.loads(out)
    assert [e["what"] for e in detail["events"]] == ["created", "started at 30%"]
    assert detail["events"][-1]["why"] == "HyperOTA: ramp to 30% of city=Pune (step one)"

    code, out, err = cli(
        "release", "preview", *where, "--identifier", "dev-7", "--dim", "city=Pune", "--json"
    )
    assert code == 0, err
    online = json.loads(out)
    assert online["package_version"] in (1, 2) and online["bucket"] is not None
    code, out, _ = cli("release", "preview", *where, "--identifier", "dev-7", "--dim", "city=Pune")
    assert "bucket" in out and "before boot" in out
    snap = tmp_path / "snap.json"
    assert cli("release", "snapshot", *where, "-o", str(snap))[0] == 0
    assert cli("logout")[0] == 0  # offline: no sign-in, no network
    code, out, err = cli("release", "preview", *where, "--snapshot", str(snap), "--identifier", "dev-7",
                         "--dim", "city=Pune", "--json")  # fmt: skip
    assert code == 0, err
    offline = json.loads(out)
    assert {k: offline[k] for k in ("package_version", "variant", "bucket", "config")} == {
        k: online[k] for k in ("package_version", "variant", "bucket", "config")
    }
    assert cli("release", "preview", *where, "--snapshot", str(snap), "--dim", "planet=x")[0] == 5
    code, _, err = cli("release", "preview", *where, "--snapshot", str(fifo), "--identifier", "dev-7")
    assert code == 5 and "not a regular file" in err


def test_lifecycle_confirmations_exit_codes_and_four_eyes(cli: Any, tmp_path: Path) -> None:
    app = fresh("cli")
    where = ("--org", "demo", "--app", app)
    assert cli("app", "create", "--org", "demo", app)[0] == 0
    assert cli("dimension", "create", *where, "city", "--kind", "string")[0] == 0
    assert cli("package", "publish", *where, str(bundles.react_native(tmp_path / "b")))[0] == 0
    assert cli("release", "create", *where, "--package", "1", "--yes")[0] == 0
    code, out, _ = cli("release", "create", *where, "--package", "1", "--dim", "city=Goa", "--json")
    rid = json.loads(out)["release"]
    code, _, err = cli("dimension", "delete", *where, "city", "--yes")
    assert code == 5 and f"release {rid}" in err
    code, _, err = cli("release", "discard", *where, rid)  # not started: affects nobody, no --yes needed
    assert code == 0 and "no device is affected" in err
    assert cli("release", "conclude", *where, rid, "--yes")[0] == 5  # discarded
    assert cli("release", "show", *where, "1234")[0] == 4
    assert cli("release", "ramp", *where, rid, "abc")[0] == 2
    code, out, _ = cli("release", "four-eyes", *where, "--on", "--json")
    assert code == 0 and json.loads(out) == {"required": True, "server": "v0.117", "supported": True}
    code, out, err = cli("release", "create", *where, "--package", "1", "--dim", "city=Pune", "--json")
    waiting = json.loads(out)
    assert waiting["waiting_for_second_person"] is True
    code, _, err = cli("release", "ramp", *where, waiting["release"], "10", "--yes")
    assert code == 4 and "waiting for a second person" in err
    code, out, _ = cli("release", "four-eyes", *where)
    assert "on: someone other than" in out
    assert cli("dimension", "delete", *where, "city", "--yes")[0] == 5


def test_every_group_and_verb_has_working_help(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse formats help with %: a stray '%' in a help text breaks `--help` (it did once)."""
    import argparse

    from hyperota_desktop.cli.main import build_parser

    parser = build_parser()
    groups = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, group in groups.choices.items():
        assert cli_main([name, "--help"]) == 0, name
        verbs = [a for a in group._actions if isinstance(a, argparse._SubParsersAction)]
        for verb in verbs[0].choices if verbs else ():
            assert cli_main([name, verb, "--help"]) == 0, f"{name} {verb}"
    assert "PERCENT percent" in capsys.readouterr().out
