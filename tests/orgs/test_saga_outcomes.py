"""Nothing is reported "undone" that was not (issue 17.7), with faults injected through the emulators'
fault API: a compensation that fails is reported as such, and a creation is verified before it is
called done (a Superposition write answered 200 without doing it)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.orgs.test_org_cli import cli  # noqa: F401 - the signed-in `hyperota` fixture
from tests.orgs.test_org_lifecycle import fresh, groups, workspaces


def _faults(sb: Any, name: str) -> Any:
    return sb.servers[name].faults


def test_a_dropped_connection_whose_undo_fails_is_not_called_undone(cli: Any, sb: Any) -> None:  # noqa: F811
    org = fresh("drop")
    assert cli("org", "create", org)[0] == 0
    superposition = _faults(sb, "superposition")
    superposition.add("/default-config$", method="POST", drop=True, times=1)  # the step fails …
    superposition.add("/workspaces/[^/]+$", method="PUT", drop=True, times=20)  # … and so does its undo
    code, out, err = cli("app", "create", "--org", org, "web", "--json")
    assert code == 6, err  # the backend could not be reached
    assert "could NOT be fully undone" in err and "was undone" not in err
    assert "create the Superposition workspace" in err  # what is left behind, named
    _code, out, _err = cli("activity", "--json")
    record = next(r for r in json.loads(out) if r["title"] == f"Create application {org}/web")
    assert record["status"] == "stuck"
    assert [s["name"] for s in record["steps"] if s["status"] == "compensation_failed"] == [
        "create the Superposition workspace"
    ]
    assert f"/{org}/web" not in groups(sb)  # what could be undone was


def test_a_config_the_server_said_it_made_but_did_not_is_made_again(cli: Any, sb: Any) -> None:  # noqa: F811
    org = fresh("nonjson")
    assert cli("org", "create", org)[0] == 0
    _faults(sb, "superposition").add(
        "/default-config$",
        method="POST",
        status=200,
        body="<html>OK</html>",
        content_type="text/html",
        times=1,
    )
    code, out, err = cli("app", "create", "--org", org, "web", "--json")
    assert code == 0, err
    workspace = json.loads(out)["workspace"]
    configs = sb.superposition.workspaces[(sb.org_id, workspace)].default_configs
    assert len(configs) == 11  # all of them, the one the fault swallowed included


def test_a_creation_that_cannot_be_verified_is_undone_and_says_so(cli: Any, sb: Any) -> None:  # noqa: F811
    org = fresh("unverified")
    assert cli("org", "create", org)[0] == 0
    _faults(sb, "superposition").add(
        "/default-config$", method="POST", status=200, body="<html>OK</html>", content_type="text/html",
        times=1000,
    )  # fmt: skip
    code, out, err = cli("app", "create", "--org", org, "web")
    assert code == 5, err
    assert "was undone" in err and "default configs" in err and "missing" in err
    assert f"/{org}/web" not in groups(sb)
    _code, out, _err = cli("activity", "--json")
    record = next(r for r in json.loads(out) if r["title"] == f"Create application {org}/web")
    assert record["status"] == "rolled_back"
    stem = re.sub(r"[^a-zA-Z0-9]", "", f"{org}Web")[:17]  # as domain.names.workspace_name makes them
    assert [s for name, s in workspaces(sb).items() if name.startswith(stem)] == ["DISABLED"]
