"""Every CLI verb passes the services' one authorizer: a test per verb and level (issue 17.1).

Five people hold one level each on one organisation (made by alice, a realm administrator, through the
services): none, read, write, admin, owner. Each runs every verb through `hyperota` with their own
sign-in; below the level the verb needs it exits 4 with the reason, at or above it the verb works.
read: package list/show/diff; write: package publish/tag; admin: member add, app delete (creating an
application also needs realm roles, keycloak#29100); owner: org delete.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.app.cli_entry import main as cli_main
from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.membership import MemberScope
from hyperota_desktop.sandbox.runtime import Sandbox
from tests.support import bundles
from tests.support.org_env import make_env
from tests.support.signin import sign_in

LEVELS = ("none", "read", "write", "admin", "owner")
RANK = {name: rank for rank, name in enumerate(LEVELS)}
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def org(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """An organisation with an application, and a person per level (users made in the emulator)."""
    unique = uuid.uuid4().hex[:6]
    name, app = f"authz-{unique}", "app"
    people = {level: f"{level}-{unique}" for level in LEVELS}
    with sandbox.keycloak.realm.lock:
        for username in (*people.values(), f"target1-{unique}", f"target2-{unique}"):
            sandbox.keycloak.realm.add_user(username, f"{username}@example.com", username, "Test")

    async def build() -> None:
        env = make_env(sandbox, "alice", tmp_path_factory.mktemp("setup"))
        try:
            await env.orgs.create_org(name)
            await env.orgs.create_app(name, app)
            for level in ("read", "write", "admin", "owner"):
                await env.members.add(MemberScope(name), people[level], AccessLevel[level.upper()])
        finally:
            await env.aclose()

    import asyncio

    asyncio.run(build())
    yield {"name": name, "app": app, "people": people, "unique": unique}


@pytest.fixture
def as_level(
    sandbox: Sandbox, org: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Callable[[str], Run]:
    """`as_level("write")("package", "publish", …)`: run `hyperota` as that person (own profile)."""
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(sandbox.endpoints))
    made: set[str] = set()

    def for_level(level: str) -> Run:
        profile = f"as-{level}"
        if profile not in made:
            assert cli_main(["profile", "import", str(endpoints), "--name", profile]) == 0
            sign_in(sandbox, profile, org["people"][level])
            made.add(profile)
        capsys.readouterr()

        def run(*argv: str) -> tuple[int, str, str]:
            code = cli_main([*argv, "--profile", profile])
            out, err = capsys.readouterr()
            return code, out, err

        return run

    return for_level


def _check(results: dict[str, tuple[int, str, str]], needed: str, what: str) -> None:
    """Below `needed`: exit 4 with the reason; at or above: exit 0."""
    for level, (code, _out, err) in results.items():
        if RANK[level] < RANK[needed]:
            assert code == 4, (level, what, err)
            assert "error: You have" in err and (f"need {needed}" in err or "no access" in err), (level, err)
        else:
            assert code == 0, (level, what, err)


def test_reading_packages_needs_read(
    as_level: Callable[[str], Run], org: dict[str, Any], tmp_path: Path
) -> None:
    target = ["--org", org["name"], "--app", org["app"]]
    bundle = bundles.react_native(tmp_path / "rn")
    assert as_level("owner")("package", "publish", *target, str(bundle))[0] == 0
    for argv in (["list"], ["show", "1"], ["diff", "1", "1"]):
        results = {level: as_level(level)("package", argv[0], *target, *argv[1:]) for level in LEVELS}
        _check(results, "read", f"package {argv[0]}")
    _code, _out, err = as_level("none")("package", "list", *target)
    assert f"no access to {org['name']}/{org['app']}" in err  # the reason names where


def test_publishing_and_tagging_need_write(
    as_level: Callable[[str], Run], org: dict[str, Any], tmp_path: Path
) -> None:
    target = ["--org", org["name"], "--app", org["app"]]
    results = {}
    for level in LEVELS:
        bundle = bundles.react_native(tmp_path / level, seed=level.encode())
        results[level] = as_level(level)("package", "publish", *target, str(bundle), "--json")
    _check(results, "write", "package publish")
    versions = sorted(json.loads(results[level][1])["version"] for level in ("write", "admin", "owner"))
    results = {
        level: as_level(level)("package", "tag", *target, str(versions[0]), "beta") for level in LEVELS
    }
    _check(results, "write", "package tag")
    _code, out, _err = as_level("owner")("package", "list", *target, "--json")
    authors = {p["created_by"] for p in json.loads(out)["packages"]}
    assert f"{org['people']['read']}@example.com" not in authors  # refused publishes left nothing


def test_member_changes_need_admin(as_level: Callable[[str], Run], org: dict[str, Any]) -> None:
    targets = iter([f"target1-{org['unique']}", f"target2-{org['unique']}"])
    results = {}
    for level in LEVELS:
        who = next(targets) if RANK[level] >= RANK["admin"] else f"target1-{org['unique']}"
        results[level] = as_level(level)("member", "add", "--org", org["name"], who, "read")
    for level, (code, _out, err) in results.items():
        if RANK[level] < RANK["admin"]:
            assert code == 4 and "admin or owner level" in err, (level, err)
        else:
            assert code == 0, (level, err)


def test_applications_need_admin_and_the_organisation_an_owner(
    as_level: Callable[[str], Run], org: dict[str, Any]
) -> None:
    name, app = org["name"], org["app"]
    created = {level: as_level(level)("app", "create", "--org", name, f"made-by-{level}") for level in LEVELS}
    for level, (code, _out, err) in created.items():
        assert code == 4, (level, err)
        if RANK[level] < RANK["admin"]:
            assert "error: You have" in err and ("need admin" in err or "no access" in err), (level, err)
        else:  # admin of the organisation, but Keycloak needs realm roles for a new application's groups
            assert "realm administrator" in err and "keycloak#29100" in err, (level, err)
    deleted = {
        level: as_level(level)("app", "delete", "--org", name, app, "--yes", "--keep-files")
        for level in ("none", "read", "write")
    }
    deleted["admin"] = as_level("admin")("app", "delete", "--org", name, app, "--yes")
    _check(deleted, "admin", "app delete")
    results = {
        level: as_level(level)("org", "delete", name, "--yes", "--keep-files")
        for level in ("none", "read", "write", "admin")
    }
    results["owner"] = as_level("owner")("org", "delete", name, "--yes")
    _check(results, "owner", "org delete")
