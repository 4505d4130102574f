"""The release part of a release archive: its shape, and its agreement with the device release config
beside it (a sealed archive whose halves disagree is refused, whoever sealed it)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hyperota_desktop.domain import release_config
from hyperota_desktop.domain.archive_manifest import (
    RELEASE_KIND,
    ArchiveManifest,
    canonical_json,
    release_archive_manifest,
    release_config_problems,
    release_problems,
)
from hyperota_desktop.domain.archive_release import ReleasePart
from hyperota_desktop.domain.bundles import DEFAULT_LIMITS
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.fallback import Platform, plan_fallback
from hyperota_desktop.domain.packages import Manifest, PackageFile
from hyperota_desktop.domain.release_drafts import deep_merge

VERSION = "6f1c3f53-5c1e-4b8e-9d0e-0c1f3a2b4d5e"
RESOURCE = PackageFile("fonts/extra.ttf", "https://cdn.example/font", "cd" * 32, 77)


def _package() -> Manifest:
    paths = ["index.android.bundle", "a.png", "raw/sound.mp3"]
    files = tuple(
        PackageFile(p, f"https://cdn.example/{i}", f"{i:064x}", 10 + i) for i, p in enumerate(paths)
    )
    return Manifest("acme", "shop", 3, paths[0], files, "2025-01-31T12:00:00+00:00", "alice")


def _part(**changes: Any) -> ReleasePart:
    base: dict[str, Any] = dict(
        id="7301", status="INPROGRESS", config_version=VERSION, target={"city": "Pune", "beta": True},
        lazy=("raw/sound.mp3",), resources=(RESOURCE,), boot_timeout=2500, release_config_timeout=800,
        properties={"banner": "sale"}, notes="Pune gets **v3**",
    )  # fmt: skip
    base.update(changes)
    return ReleasePart(**base)


def _device_config(part: ReleasePart, inherited: dict[str, Any] | None = None) -> dict[str, Any]:
    """What devices in the release got: its values merged over what the target had (`inherited`)."""
    values = release_config.release_values(
        _package(), config_version=part.config_version, lazy=set(part.lazy), resources=part.resources,
        boot_timeout=part.boot_timeout, release_config_timeout=part.release_config_timeout,
        properties=deep_merge(inherited or {}, part.properties),
    )  # fmt: skip
    return release_config.build(values)


def _manifest(part: ReleasePart | None = None, config: dict[str, Any] | None = None) -> ArchiveManifest:
    part = part or _part()
    return release_archive_manifest(
        _package(), part, config or _device_config(part, {"theme": "dark"}), org="acme", app="shop",
        created_at="2025-02-01T09:00:00Z", created_by="alice", tool="test",
    )  # fmt: skip


def test_a_release_manifest_round_trips_and_its_halves_agree() -> None:
    m = _manifest()
    parsed = ArchiveManifest.parse(m.canonical(), DEFAULT_LIMITS)
    assert parsed.kind == RELEASE_KIND and parsed.release_part == _part()
    assert release_problems(parsed) == [] and release_config_problems(parsed) == []
    assert parsed.digest() == m.digest()
    # the release config keeps what devices had besides the release's own properties
    assert parsed.release_config["config"]["properties"] == {"theme": "dark", "banner": "sale"}
    draft = parsed.release_part.draft("12") if parsed.release_part else None
    assert draft is not None and draft.package == "12" and draft.lazy == ("raw/sound.mp3",)
    assert draft.target == {"city": "Pune", "beta": True} and draft.resources == (RESOURCE,)
    # fallback assets of a release archive carry the release's config (its split and resources)
    plan = plan_fallback(parsed, Platform.IOS)
    shipped = json.loads(plan.config)
    assert [f["file_path"] for f in shipped["package"]["lazy"]] == ["raw/sound.mp3"]
    assert shipped["resources"] == [RESOURCE.to_dict()]


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"lazy": ()}, "files after boot are [], the release config's ['raw/sound.mp3']"),
        ({"resources": ()}, "resources are not the release config's"),
        ({"boot_timeout": 1000}, "boot_timeout is 1000, the release config's 2500"),
        ({"release_config_timeout": 1}, "release_config_timeout is 1, the release config's 800"),
        ({"config_version": "other"}, "config version is other"),
        ({"properties": {"banner": "free"}}, "remote properties are not in the release config's"),
    ],
)
def test_a_release_that_disagrees_with_its_config_is_refused(changes: dict[str, Any], why: str) -> None:
    good = _part()
    config = _device_config(good, {"theme": "dark"})
    with pytest.raises(ValidationError, match="cannot be archived"):
        _manifest(_part(**changes), config)
    # sealed anyway (a crafted archive): the `release` check names what disagrees
    data = _manifest(good, config).to_dict()
    data["release"] = _part(**changes).to_dict()
    parsed = ArchiveManifest.parse(canonical_json(data), DEFAULT_LIMITS)
    assert why in " ".join(release_problems(parsed))


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("target", {"variantIds": "x"}, "variantIds"),
        ("target", {"bad name": "x"}, "invalid dimension"),
        ("target", {"city": None}, "string, number or bool"),
        ("target", ["city"], "object of dimension values"),
        ("status", "LIVE", "unknown status"),
        ("boot_timeout", 600_001, "0 to 600000"),
        ("boot_timeout", True, "0 to 600000"),
        ("lazy", "raw/sound.mp3", "list of file paths"),
        ("resources", [{"file_path": "x", "url": "https://u", "checksum": "zz", "size": 1}], "not a valid"),
        ("notes", "n" * 1025, "longer than 1024"),
        ("config_version", "", "needs an id and a config version"),
        ("extra", 1, "unknown fields: extra"),
    ],
)
def test_a_malformed_release_part_fails_the_manifest(field: str, value: Any, why: str) -> None:
    data = _manifest().to_dict()
    data["release"][field] = value
    with pytest.raises(ValidationError, match=why):
        ArchiveManifest.parse(canonical_json(data), DEFAULT_LIMITS)


def test_kinds_and_release_objects_go_together() -> None:
    data = _manifest().to_dict()
    data["kind"] = "package"
    with pytest.raises(ValidationError, match="package archive carries no release"):
        ArchiveManifest.parse(canonical_json(data), DEFAULT_LIMITS)
    data["kind"], data["release"] = "release", None
    with pytest.raises(ValidationError, match="release must be an object"):
        ArchiveManifest.parse(canonical_json(data), DEFAULT_LIMITS)


def test_lazy_files_must_be_package_files() -> None:
    data = _manifest().to_dict()
    data["release"]["lazy"] = ["raw/elsewhere.mp3"]
    parsed = ArchiveManifest.parse(canonical_json(data), DEFAULT_LIMITS)
    assert release_problems(parsed) == ["its files after boot are not package files: raw/elsewhere.mp3"]
