"""Property-based fuzzing of the documents the client reads from outside: package manifests (S3),
experiments (Superposition), resolved release configs (Superposition, devices' document) and bundle
zips (a person's disk). Each either parses or fails with the typed
error of its kind (ValidationError, IntegrityError): never another exception.

Profiles, endpoint files, token answers, names and archives have their own fuzzers
(tests/cli/test_hostile_files.py, tests/services/signin/test_hostile_answers.py,
tests/domain/test_names_and_membership.py, tests/archives/test_tamper_and_zipslip.py).
"""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from hyperota_desktop.domain import release_config as rc
from hyperota_desktop.domain.errors import IntegrityError, ValidationError
from hyperota_desktop.domain.packages import Manifest, PackageFile
from hyperota_desktop.domain.releases import release_from_experiment
from hyperota_desktop.services.bundle_scan import scan_sync
from tests.reliability.fuzzing import FUZZ, any_json, broken

_SHA = "ab" * 32
_FILES = [
    {"file_path": p, "url": f"https://cdn.example.com/{i}", "checksum": _SHA, "size": 10 + i}
    for i, p in enumerate(["index.android.bundle", "a.png", "raw/b.mp3"])
]
MANIFEST = {
    "format": 1, "org": "acme", "app": "shop", "version": 3, "index": "index.android.bundle",
    "files": _FILES, "properties": {"k": 1}, "total_size": sum(f["size"] for f in _FILES),  # type: ignore[misc]
    "created_at": "2026-11-30T10:00:00+00:00", "created_by": "alice", "source": "cli", "tag": "beta",
}  # fmt: skip
EXPERIMENT = {
    "id": "42", "name": "shop package 2", "status": "INPROGRESS", "traffic_percentage": 20,
    "context": {"and": [{"==": [{"var": "city"}, "Pune"]}]}, "description": "notes",
    "created_at": "2026-01-01T10:00:00Z", "created_by": "alice@example.com",
    "last_modified": "2026-01-02T10:00:00Z", "chosen_variant": None, "experiment_group_id": "7",
    "variants": [
        {"id": "42-control", "variant_type": "CONTROL", "overrides": {"package.version": 1}},
        {"id": "42-experimental", "variant_type": "EXPERIMENTAL", "overrides": {"package.version": 2}},
    ],
}  # fmt: skip


def _values() -> dict[str, Any]:
    return rc.release_values(Manifest.from_dict(MANIFEST), config_version="v-1", lazy={"a.png"})


def test_the_seeds_are_valid() -> None:
    """The fuzzers break valid documents: they must be valid to begin with."""
    assert Manifest.from_dict(MANIFEST).version == 3
    assert release_from_experiment(EXPERIMENT).package_version == 2
    assert rc.build(_values())["package"]["version"] == "3"


@FUZZ
@given(doc=broken(MANIFEST) | any_json)
def test_fuzz_package_manifests(doc: Any) -> None:
    try:
        manifest = Manifest.from_json(json.dumps(doc))
    except ValidationError as exc:
        assert exc.message
        return
    assert manifest.file(manifest.index) is not None
    assert all(isinstance(f, PackageFile) and f.size >= 0 for f in manifest.files)
    assert isinstance(manifest.version, int) and isinstance(manifest.properties, dict)


@FUZZ
@given(doc=broken(EXPERIMENT) | any_json)
@example(doc={**EXPERIMENT, "variants": [{"id": "1", "variant_type": "CONTROL", "overrides": 1}]})  # found
@example(doc={**EXPERIMENT, "variants": 7})
def test_fuzz_experiments(doc: Any) -> None:
    try:
        release = release_from_experiment(doc)
    except IntegrityError as exc:
        assert exc.message
        return
    release.status_text, release.target.describe(), release.package_version
    assert 0 <= release.devices_percent <= 100 or release.traffic not in range(0, 101)


@FUZZ
@given(values=broken(_values()))
def test_fuzz_resolved_release_configs(values: Any) -> None:
    try:
        document = rc.build(values)
    except ValidationError as exc:
        assert exc.message
        return
    assert rc.problems(document) == []


@FUZZ
@given(doc=broken(rc.build(_values())) | any_json)
def test_fuzz_release_config_documents(doc: Any) -> None:
    try:
        rc.check(doc)
    except ValidationError as exc:
        assert exc.message.startswith("The release config is not valid")


_ENTRY_NAMES = st.sampled_from([
    "index.android.bundle", "main.jsbundle", "a/b.png", "../escape.js", "/abs.js", "a/../../b", "dir/",
    "C:\\win.js", "nul\x00.js", "\u202eevil.js", "a" * 300, "a/" * 60 + "x", "metadata.json", "A.PNG",
    "a.png",
    "_expo/static/js/android/index-abc.hbc", "\udcff.js",
])  # fmt: skip


@FUZZ
@given(entries=st.lists(st.tuples(_ENTRY_NAMES | st.text(min_size=1, max_size=20), st.binary(max_size=64)),
                        min_size=1, max_size=8))  # fmt: skip
@example(entries=[("a" * 300, b"")])  # found: the file system's error escaped as a traceback
def test_fuzz_bundle_zips(entries: list[tuple[str, bytes]], tmp_path_factory: Any) -> None:
    """A zip of any names and contents: a recognised bundle, or a ValidationError naming the problem;
    nothing is written outside the extraction cache."""
    tmp: Path = tmp_path_factory.mktemp("zip")
    archive = tmp / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a name twice is hostile input too: written, not warned about
        for name, data in entries:
            try:
                zf.writestr(name, data)
            except (UnicodeEncodeError, ValueError, IndexError):
                continue  # a name zipfile itself cannot write ("\x00…": IndexError; read side tested apart)
    try:
        bundle = scan_sync([archive], index=None, cache_dir=tmp / "cache")
    except ValidationError as exc:
        assert exc.message
    else:
        assert bundle.files
    extracted = tmp / "cache" / "bundles"
    for written in (p for p in tmp.rglob("*") if not p.is_dir() and p != archive):
        assert len(written.relative_to(extracted).parts) >= 2, written  # inside the zip's own folder
