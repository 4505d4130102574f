"""The device release config: built from a package, nested from dotted keys, checked before it ships."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperota_desktop.domain import release_config as rc
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.packages import Manifest, PackageFile

DATA = Path(__file__).parents[1] / "data"


def _file(path: str, n: int = 1) -> PackageFile:
    return PackageFile(path, f"https://cdn.example.com/f/{n:064x}", f"{n:064x}", 10 * n)


def _manifest(paths: tuple[str, ...] = ("index.bundle", "a.png", "b.png", "c.js")) -> Manifest:
    files = tuple(_file(p, i + 1) for i, p in enumerate(paths))
    return Manifest("acme", "shop", 7, paths[0], files, "2026-11-30T10:00:00+00:00", "alice@example.com")


def test_embedded_schema_is_the_published_one() -> None:
    assert json.loads((DATA / "release-config.schema.json").read_text()) == rc.SCHEMA


def test_a_release_of_a_package_gives_a_valid_document_with_the_index_fixed() -> None:
    values = rc.release_values(_manifest(), config_version="v-1", lazy={"b.png"}, boot_timeout=500)
    doc = rc.build(values)
    assert doc["version"] == "2"
    assert doc["package"]["version"] == "7"  # an integer in Superposition, a string on the device
    assert doc["package"]["index"]["file_path"] == "index.bundle"
    assert [f["file_path"] for f in doc["package"]["important"]] == ["a.png", "c.js"]
    assert [f["file_path"] for f in doc["package"]["lazy"]] == ["b.png"]
    assert doc["config"] == {"version": "v-1", "boot_timeout": 500, "release_config_timeout": 1000,
                             "properties": {}}  # fmt: skip
    assert set(values) == set(rc.KEYS)


@pytest.mark.parametrize(
    ("lazy", "message"),
    [({"nope.js"}, "Not files of package 7: nope.js"), ({"index.bundle"}, "cannot be lazy")],
)
def test_a_split_naming_what_the_package_lacks_or_its_index_is_refused(lazy: set[str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        rc.release_values(_manifest(), config_version="v", lazy=lazy)


def test_nesting_needs_every_key_and_a_package() -> None:
    values = rc.release_values(_manifest(), config_version="v")
    with pytest.raises(ValidationError, match="lacks resources"):
        rc.nest({k: v for k, v in values.items() if k != "resources"})
    with pytest.raises(ValidationError, match="No package has been released"):
        rc.nest({**values, "package.index": None})


def _valid() -> dict:
    return rc.build(rc.release_values(_manifest(), config_version="v", lazy={"c.js"},
                                      resources=[_file("extra/font.ttf", 9)]))  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["config"].update(boot_timeout=-1), "config.boot_timeout: -1 is less than the minimum"),
        (lambda d: d["package"]["index"].update(checksum="ABC"), "package.index.checksum"),
        (lambda d: d["package"]["important"][0].update(url="/relative"), "package.important.0.url"),
        (lambda d: d["package"]["lazy"][0].update(file_path="../etc/passwd"), "package.lazy.0.file_path"),
        (lambda d: d.update(extra=1), "Additional properties"),
        (lambda d: d.update(version="1"), "version"),
        (
            lambda d: d["package"]["important"].append(d["package"]["index"]),
            "the index 'index.bundle' is also",
        ),
        (
            lambda d: d["package"]["lazy"].append(d["package"]["important"][0]),
            "'a.png' is both important and lazy",
        ),
        (lambda d: d["resources"].append(d["package"]["lazy"][0]), "resources: 'c.js' is a package file"),
        (lambda d: d["resources"].append(d["resources"][0]), "resources: 'extra/font.ttf' is listed twice"),
    ],
)
def test_every_broken_rule_is_named(mutate, expected: str) -> None:
    doc = _valid()
    assert rc.problems(doc) == []
    mutate(doc)
    found = rc.problems(doc)
    assert any(expected in p for p in found), found
    with pytest.raises(ValidationError, match="not valid"):
        rc.check(doc)


def test_a_document_that_is_not_an_object_is_refused_with_a_message() -> None:
    assert rc.problems([]) == ["(document): [] is not of type 'object'"]


@given(st.lists(st.booleans(), min_size=1, max_size=12))
def test_any_split_of_a_package_is_valid(lazy_flags: list[bool]) -> None:
    paths = ("main.jsbundle", *(f"assets/{i}.png" for i in range(len(lazy_flags))))
    lazy = {p for p, flag in zip(paths[1:], lazy_flags, strict=True) if flag}
    doc = rc.build(rc.release_values(_manifest(paths), config_version="x", lazy=lazy))
    assert len(doc["package"]["important"]) + len(doc["package"]["lazy"]) == len(lazy_flags)
