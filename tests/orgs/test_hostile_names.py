"""Issue 17.4 end to end: names with a trailing newline, names that climb out of their prefix, and a
Keycloak group made outside HyperOTA that no listing can interpret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.orgs.test_org_cli import cli  # noqa: F401 - the signed-in CLI fixture
from tests.orgs.test_org_lifecycle import fresh, groups


@pytest.fixture
def foreign_groups(sb: Any) -> Iterator[list[str]]:
    """Groups made directly in the realm (as an administrator could in Keycloak's console)."""
    realm = sb.keycloak.realm
    made: list[Any] = []

    def add(name: str, parent: Any = None) -> Any:
        with realm.lock:
            group = realm.add_group(name, parent)
        made.append(group)
        return group

    yield add  # type: ignore[misc]
    with realm.lock:
        for group in reversed(made):
            realm.groups.pop(group.id, None)


def test_org_create_refuses_a_trailing_newline(cli: Any, sb: Any) -> None:  # noqa: F811
    code, _, err = cli("org", "create", "..\n")
    assert code == 5, err
    code, _, err = cli("org", "create", "demo\n")
    assert code == 5 and "'\\n'" in err
    assert "/..\n" not in groups(sb) and "/demo\n" not in groups(sb)


def test_org_list_skips_groups_it_cannot_interpret(cli: Any, sb: Any, foreign_groups: Any) -> None:  # noqa: F811
    org = fresh("good")
    assert cli("org", "create", org)[0] == 0
    assert cli("app", "create", "--org", org, "web")[0] == 0
    foreign_groups("..\n")
    parent = next(g for g in sb.keycloak.realm.groups.values() if sb.keycloak.realm.path(g) == f"/{org}")
    foreign_groups("Bad App", parent)
    code, out, err = cli("org", "list", "--json")
    assert code == 0, err
    listed = {o["name"]: [a["name"] for a in o["applications"]] for o in json.loads(out)}
    assert listed[org] == ["web"]
    assert "..\n" not in listed
    assert "skipped the Keycloak group '/..\\n'" in err
    assert f"skipped the Keycloak group '/{org}/Bad App'" in err


@pytest.mark.parametrize(
    "argv",
    [
        ("package", "list", "--org", "../..", "--app", "web"),
        ("package", "list", "--org", "demo", "--app", "web\n"),
        ("package", "show", "--org", "..", "--app", "web", "1"),
        ("member", "list", "--org", "../.."),
        ("member", "list", "--org", "demo", "--app", "../x"),
    ],
)
def test_read_paths_refuse_names_that_are_not_names(cli: Any, argv: tuple[str, ...]) -> None:  # noqa: F811
    code, out, err = cli(*argv)
    assert code == 5, (out, err)
    assert "name" in err


@pytest.mark.parametrize("who", ["", "   "])
def test_an_empty_member_name_is_a_validation_error(cli: Any, who: str) -> None:  # noqa: F811
    org = fresh("members")
    assert cli("org", "create", org)[0] == 0
    for verb in (("add", who, "read"), ("set", who, "read"), ("remove", who)):
        code, _, err = cli("member", verb[0], "--org", org, *verb[1:])
        assert code == 5 and "username or email is required" in err, (verb, err)
