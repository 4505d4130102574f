"""The workspace create body follows the server version (CreateWorkspaceRequest at each tag)."""

from __future__ import annotations

import pytest

from hyperota_desktop.services.superposition_builds import Dialect, parse_version

BASE = {"workspace_admin_email", "workspace_name", "workspace_status"}
STRICT, SELF, AUTO = "workspace_strict_mode", "allow_experiment_self_approval", "auto_populate_control"


@pytest.mark.parametrize(
    ("version", "fields"),
    [
        ((0, 74), BASE | {STRICT}),  # the seed's build: exactly four fields
        ((0, 76), BASE | {STRICT}),
        ((0, 77), BASE | {STRICT, SELF}),  # self-approval required from v0.77
        ((0, 86), BASE | {STRICT, SELF, AUTO}),  # auto_populate_control required from v0.86
        ((0, 97), BASE | {STRICT, SELF, AUTO}),
        ((0, 98), BASE | {SELF, AUTO}),  # the strict mode is gone from v0.98
        ((0, 117), BASE | {SELF, AUTO}),
        (None, BASE | {STRICT, SELF, AUTO}),  # unknown: what every build accepts
    ],
)
def test_workspace_create_body(version: tuple[int, int] | None, fields: set[str]) -> None:
    body = Dialect(version).workspace_create_body("shop", "a@b.c")
    assert set(body) == fields
    assert body["workspace_name"] == "shop" and body["workspace_status"] == "ENABLED"
    assert (
        body.get(STRICT, False) is False and body.get(SELF, True) is True and body.get(AUTO, False) is False
    )


def test_versions_and_dialects() -> None:
    assert parse_version("v0.74.0") == (0, 74) and parse_version("0.117.1-rc2") == (0, 117)
    assert parse_version("") is None and parse_version("latest") is None
    assert Dialect((0, 74)).legacy and Dialect((0, 87)).legacy and not Dialect((0, 88)).legacy
    assert not Dialect((0, 74)).can_migrate and Dialect((0, 87)).can_migrate and Dialect().can_migrate
    assert Dialect((0, 87)).condition({"city": "x"}) == {"and": [{"==": [{"var": "city"}, "x"]}]}
    assert Dialect((0, 117)).query_dimensions({"city": "x"}) == [("dimension[city]", "x")]
    assert Dialect().label == "an unknown version" and Dialect((0, 87)).label == "v0.87"
    values = {"beta": True, "n": 5, "city": "Pune", "code": "123", "none": "null"}
    sent = dict(Dialect((0, 74)).query_dimensions(values))  # the server parses each as JSON if it can
    assert sent == {"beta": "true", "n": "5", "city": "Pune", "code": '"123"', "none": '"null"'}


@pytest.mark.parametrize(
    ("version", "toss", "resolve"),
    [
        ((0, 74), True, False),  # the seed's build: the device's toss, no /resolve
        ((0, 81), True, False),
        ((0, 82), False, False),  # identifier bucketing (experiment groups)
        ((0, 87), False, False),
        ((0, 96), False, True),  # /resolve?identifier=
        ((0, 117), False, True),
        (None, False, True),  # unknown: ask as a current server would be asked
    ],
)
def test_what_a_device_preview_asks_per_version(
    version: tuple[int, int] | None, toss: bool, resolve: bool
) -> None:
    dialect = Dialect(version)
    assert (dialect.assigns_by_toss, dialect.has_resolve) == (toss, resolve)
    assert dialect.condition({"variantIds": "7-x"}) == (
        {"and": [{"in": ["7-x", {"var": "variantIds"}]}]} if dialect.legacy else {"variantIds": "7-x"}
    )
