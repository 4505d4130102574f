"""`hyperota org|app|member|activity` against the sandbox over HTTP, signed in through the device flow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.app.cli_entry import main as cli_main
from hyperota_desktop.stores.journal import Journal
from tests.orgs.test_org_lifecycle import fresh, groups, workspaces
from tests.support.org_env import s3_client


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], sb: Any, tmp_path: Path) -> Any:
    def run(*argv: str) -> tuple[int, str, str]:
        code = cli_main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(sb.endpoints))
    code, _, err = run("profile", "import", str(endpoints), "--name", "sb")
    assert code == 0, err
    run("profile", "use", "sb")
    sb.keycloak.set_auto_approve("alice")
    try:
        code, _, err = run("login")
    finally:
        sb.keycloak.set_auto_approve(None)
    assert code == 0, err
    return run


def test_org_app_member_activity_commands(cli: Any, sb: Any, isolated_home: Path) -> None:
    org = fresh("cli")
    code, out, err = cli("org", "create", org)
    assert code == 0, err
    code, out, err = cli("app", "create", "--org", org, "web", "--json")
    assert code == 0, err
    workspace = json.loads(out)["workspace"]
    assert workspaces(sb)[workspace] == "ENABLED"
    code, out, _ = cli("app", "list", "--org", org, "--json")
    assert json.loads(out) == [{"name": "web", "workspace": workspace, "access": "admin"}]
    code, out, _ = cli("org", "list")
    assert org in out and "web" in out

    assert cli("member", "add", "--org", org, "bob", "write")[0] == 0
    assert cli("member", "set", "--org", org, "--app", "web", "alice", "read")[0] == 0
    code, out, _ = cli("member", "list", "--org", org, "--json")
    assert {m["username"]: m["level"] for m in json.loads(out)} == {"alice": "owner", "bob": "write"}
    code, out, err = cli("member", "remove", "--org", org, "alice")
    assert code == 5 and "last owner" in err

    code, out, err = cli("member", "add", "--org", org, "carol", "god")
    assert code == 2
    code, out, err = cli("org", "delete", org)  # says what would go, deletes nothing
    assert code == 2 and "--yes" in err and f"/{org}" in groups(sb)
    assert f"Deleting organisation '{org}' will:" in err and "1 application(s): web" in err
    assert workspace in err and "(no files)" in err

    code, out, err = cli("app", "create", "--org", org, "shop", "--json")
    assert code == 0, err
    shop = f"{org}/shop/"
    files = s3_client(sb)
    key_prefix = next(
        line.split("s3://", 1)[1].split(" ", 1)[0]
        for line in cli("app", "delete", "--org", org, "shop")[2].splitlines()
        if "s3://" in line
    )
    assert key_prefix.endswith(shop)
    bucket, prefix = key_prefix.split("/", 1)
    for i in range(2):
        files.put_object(Bucket=bucket, Key=f"{prefix}f{i}", Body=b"xyz")
    code, out, err = cli("app", "delete", "--org", org, "shop", "--yes")
    assert code == 0, err
    assert "(2 file(s), 6 B); this cannot be undone" in err
    assert f"deleted 2 of 2 file(s) under {prefix}" in err
    assert files.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount") == 0
    code, out, err = cli("org", "delete", org, "--yes", "--keep-files")
    assert code == 0, err
    assert f"/{org}" not in groups(sb) and workspaces(sb)[workspace] == "DISABLED"

    code, out, _ = cli("activity", "--json")
    records = json.loads(out)
    assert records[0]["title"] == f"Delete organisation {org}" and records[0]["status"] == "done"
    assert [s["status"] for s in records[0]["steps"]] == ["done"] * 5
    # the refused removal was stopped by the guards before anything ran: nothing journalled
    assert not any(r["kind"] == "member.remove" for r in records)
    code, out, _ = cli("activity")
    assert f"Create application {org}/web" in out and "1. check the name: done" in out
    # issue 16.8: only what was done on one application
    code, out, _ = cli("activity", "--json", "--org", org, "--app", "web")
    only = json.loads(out)
    assert code == 0 and f"Create application {org}/web" in {r["title"] for r in only}
    assert {(r["params"]["org"], r["params"]["app"]) for r in only} == {(org, "web")}


def test_a_realm_without_admin_permissions_warns_then_delegate_repairs(cli: Any, sb: Any) -> None:
    """Issue 12.1: where the realm lacks FGAP v2 the organisation is still created, and the command
    says what is missing and what to enable; `org delegate` creates the permissions afterwards."""
    org = fresh("nofgap")
    sb.keycloak.set_admin_permissions(False)
    try:
        code, out, err = cli("org", "create", org)
    finally:
        sb.keycloak.set_admin_permissions(True)
    assert code == 0, err
    assert "Warning: This Keycloak realm has its admin permissions (FGAP v2) switched off" in err
    assert "Realm settings > General > Admin Permissions" in err and f"hyperota org delegate {org}" in err
    realm = sb.keycloak.realm
    assert realm.authz.by_name(f"hyperota org {org}: members may view") is None
    code, out, err = cli("org", "delegate", org)
    assert code == 0, err and "may now manage it" in out
    assert realm.authz.by_name(f"hyperota org {org}: members may view") is not None
    code, out, err = cli("org", "delete", org, "--yes")
    assert code == 0, err and realm.authz.by_name(f"hyperota org {org}: members") is None


def test_mutating_commands_reconcile_first(cli: Any, sb: Any, isolated_home: Path) -> None:
    org = fresh("leftover")
    realm = sb.keycloak.realm
    with realm.lock:
        group = realm.add_group(org)
    journal = Journal(isolated_home / "data" / "journal.sqlite3")
    saga_id = journal.begin(
        "org.create",
        f"Create organisation {org}",
        "alice",
        {"org": org, "user_id": ""},
        [
            "check the name",
            "create the organisation group",
            "create the owner/admin/write/read groups",
            "make the creator owner",
        ],
        scope="sb",  # the profile it ran against
    )
    journal.step(saga_id, 0, "done")
    journal.step(saga_id, 1, "running")
    journal.save_data(saga_id, {"org_group_id_claimed": True, "org_group_id": group.id})
    journal.release(saga_id)  # as if the process had died

    code, out, err = cli("org", "list")  # reading does not reconcile
    assert org in out
    code, out, _ = cli("activity", "--json")
    assert next(r for r in json.loads(out) if r["id"] == saga_id)["status"] == "interrupted"
    code, out, _ = cli("activity")
    assert f"interrupted  Create organisation {org}" in out and "finished or undone at the next" in out
    code, out, err = cli("org", "create", fresh("after"))
    assert code == 0, err
    assert f"Finished an interrupted operation: Create organisation {org} → rolled_back" in err
    assert f"/{org}" not in groups(sb)
    code, out, _ = cli("activity", "--json")
    record = next(r for r in json.loads(out) if r["id"] == saga_id)
    assert record["status"] == "rolled_back" and "interrupted" in record["error"]
    assert record["steps"][1]["status"] == "compensated"


def test_migrate_workspace_checks_first_and_reports_truthfully(
    cli: Any, sb: Any, isolated_home: Path
) -> None:
    org = fresh("mig")
    assert cli("org", "create", org)[0] == 0
    code, out, err = cli("app", "create", "--org", org, "web", "--json")
    assert code == 0, err
    workspace = json.loads(out)["workspace"]

    code, out, err = cli("app", "migrate-workspace", "--org", org, "web", "--check")
    assert code == 0 and "is healthy" in out, err
    code, out, err = cli("app", "migrate-workspace", "--org", org, "web")
    assert code == 0 and "nothing to repair, nothing was changed" in out, err

    sb.superposition.break_workspace(sb.org_id, workspace)
    code, out, err = cli("app", "migrate-workspace", "--org", org, "web", "--check", "--json")
    assert code == 5, err
    report = json.loads(out)
    assert report["state"] == "broken" and report["can_migrate"] is True
    assert any("GET /experiments answered 500" in line for line in report["evidence"])
    assert sb.superposition.workspaces[(sb.org_id, workspace)].broken  # --check changed nothing
    code, out, err = cli("app", "migrate-workspace", "--org", org, "web", "--json")
    assert code == 0, err
    outcome = json.loads(out)
    assert outcome["migrated"] is True and outcome["after"]["state"] == "healthy"
    assert not sb.superposition.workspaces[(sb.org_id, workspace)].broken
