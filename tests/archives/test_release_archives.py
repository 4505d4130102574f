"""Release archives on the whole sandbox (Keycloak, Superposition, S3 and KMS over HTTP): export a
ramping release, import it into another application as a CREATED release (never live), twice (nothing
new), and refuse tampered or unusable release parts before anything is published."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.domain.archive_manifest import MANIFEST_MEMBER, SEAL_MEMBER, canonical_json
from hyperota_desktop.domain.archive_report import Status
from hyperota_desktop.domain.archive_seal import Seal
from hyperota_desktop.domain.dimensions import DimensionKind
from hyperota_desktop.domain.errors import PermissionDenied, ValidationError
from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.domain.releases import ReleaseStatus
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.archive_import import import_archive
from hyperota_desktop.services.archive_trust import ArchiveRefused, Trust
from hyperota_desktop.services.archives import ArchiveService, Protection
from hyperota_desktop.services.kms import Kms
from hyperota_desktop.services.release_archives import export_release
from tests.support.archives import join, mtime_of, split
from tests.support.release_env import ReleaseEnv, fresh, make_release_env, new_app

ORG = "demo"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox.start() as running:
        yield running


@pytest.fixture
async def alice(sb: Sandbox, tmp_path: Path) -> AsyncIterator[ReleaseEnv]:
    env = make_release_env(sb, "alice", tmp_path / "alice")
    yield env
    await env.aclose()


@pytest.fixture
async def as_bob(sb: Sandbox, tmp_path: Path) -> AsyncIterator[ReleaseEnv]:
    env = make_release_env(sb, "bob", tmp_path / "bob-env")
    yield env
    await env.aclose()


def archives_of(env: ReleaseEnv, tmp_path: Path) -> ArchiveService:
    aws = env.sandbox.aws
    return ArchiveService(
        tmp_path / "cache", kms=Kms(lambda: aws.client("kms")), packages=env.packages,
        authz=env.org_env.authz, signing_key=aws.signing_key, public_base_url=aws.public_base_url,
    )  # fmt: skip


async def ramping_release(env: ReleaseEnv, tmp_path: Path) -> tuple[str, str]:
    """An application with a concluded first release and release 2 to city=Pune ramping at 30%."""
    app = await new_app(env, tmp_path, packages=2)
    await env.releases.create(ORG, app, ReleaseDraft(package="1"))
    draft = ReleaseDraft(
        target={"city": "Pune"}, package="t2", lazy=("raw/sound.mp3",), boot_timeout=2500,
        properties={"banner": "sale"}, notes="Pune gets **v2**",
    )  # fmt: skip
    created = await env.releases.create(ORG, app, draft)
    await env.releases.ramp(ORG, app, created.release.id, 30)
    return app, created.release.id


async def app_with_dimensions(env: ReleaseEnv) -> str:
    app = fresh("imp")
    await env.org_env.orgs.create_app(ORG, app)
    await env.dimensions.create(ORG, app, "city", DimensionKind.STRING)
    return app


async def test_export_import_twice_then_the_same_release_again(alice: ReleaseEnv, tmp_path: Path) -> None:
    archives = archives_of(alice, tmp_path)
    app, rid = await ramping_release(alice, tmp_path)
    path = tmp_path / "release.hota"
    exported = await export_release(
        archives, alice.releases, ORG, app, rid, path,
        protection=Protection(sign_key=alice.sandbox.aws.signing_key),
    )  # fmt: skip
    assert exported.signed and exported.version == 2
    again = await export_release(archives, alice.releases, ORG, app, rid, tmp_path / "again.hota")
    assert again.manifest_sha256 == exported.manifest_sha256  # the same release, the same manifest
    report = await archives.verify(path, trust=Trust(kms_key=alice.sandbox.aws.signing_key))
    assert report.ok and report.trusted and report.kind == "release", report.text()
    assert report.status_of("release") is Status.PASSED and "city=Pune" in report.release

    target = await app_with_dimensions(alice)
    first = await import_archive(archives, path, org=ORG, app=target, releases=alice.releases)
    assert first.release is not None and not first.release.adopted and not first.adopted
    imported = await alice.releases.get(ORG, target, first.release.id)
    # never live: CREATED although it is the target's first release (nothing released there yet)
    assert imported.status is ReleaseStatus.CREATED and imported.target.as_dict() == {"city": "Pune"}
    assert imported.package_version == first.version == 1 and imported.notes == "Pune gets **v2**"
    source = await alice.releases.get(ORG, app, rid)
    assert source.experimental is not None and imported.experimental is not None
    exp = imported.experimental.overrides
    assert exp["config.version"] == source.experimental.overrides["config.version"]
    assert [f["file_path"] for f in exp["package.lazy"]] == ["raw/sound.mp3"]
    assert exp["config.boot_timeout"] == 2500 and exp["config.properties"] == {"banner": "sale"}

    second = await import_archive(archives, path, org=ORG, app=target, releases=alice.releases)
    assert second.adopted and second.release is not None
    assert (second.release.id, second.release.adopted) == (first.release.id, True)
    page = await alice.releases.page(ORG, target)
    assert [r.id for r in page.items] == [first.release.id]  # nothing new
    # into its own application: the original release is found, nothing is created
    home = await import_archive(archives, path, releases=alice.releases)
    assert home.release is not None and (home.release.id, home.release.adopted) == (rid, True)
    assert home.adopted and home.version == 2


async def test_refused_before_anything_is_published(
    alice: ReleaseEnv, as_bob: ReleaseEnv, tmp_path: Path
) -> None:
    archives = archives_of(alice, tmp_path)
    app, rid = await ramping_release(alice, tmp_path)
    path = tmp_path / "release.hota"
    await export_release(archives, alice.releases, ORG, app, rid, path)
    bare = fresh("bare")
    await alice.org_env.orgs.create_app(ORG, bare)  # no dimension `city`
    with pytest.raises(ValidationError, match=f"{bare} has no dimension 'city'"):
        await import_archive(archives, path, org=ORG, app=bare, releases=alice.releases, allow_untrusted=True)
    assert await alice.packages.list_versions(ORG, bare) == []  # nothing was published
    with pytest.raises(ValidationError, match="import it with a profile's releases"):
        await import_archive(archives, path, org=ORG, app=bare, allow_untrusted=True)
    # bob reads demo: he may export a release, not import one
    bob_archives = archives_of(as_bob, tmp_path / "bob")
    await export_release(bob_archives, as_bob.releases, ORG, app, rid, tmp_path / "bob.hota")
    target = await app_with_dimensions(alice)
    with pytest.raises(PermissionDenied, match="write access"):
        await import_archive(
            bob_archives, path, org=ORG, app=target, releases=as_bob.releases, allow_untrusted=True
        )


def _reseal(raw: bytes, change: Any) -> bytes:
    """The archive with its manifest changed by `change(manifest dict)` and a new (unsigned) seal
    that records it: only the release's own check can find what is wrong."""
    members = split(raw)
    manifest = json.loads(members[0].data)
    change(manifest)
    members[0].data = canonical_json(manifest)
    assert members[0].name == MANIFEST_MEMBER and members[-1].name == SEAL_MEMBER
    members[-1].data = Seal(hashlib.sha256(members[0].data).hexdigest()).canonical()
    return join(members, mtime_of(raw))


@pytest.mark.parametrize(
    ("change", "part", "why"),
    [
        (lambda m: m["release"].update(lazy=[]), "release", "files after boot are []"),
        (lambda m: m["release"].update(boot_timeout=10), "release", "boot_timeout is 10"),
        (lambda m: m["release"].update(properties={"banner": "free"}), "release", "remote properties"),
        (lambda m: m["release"].update(config_version="x"), "release", "config version is x"),
        (lambda m: m["release"].update(target={"variantIds": "a"}), "manifest", "variantIds"),
        (lambda m: m["release"].pop("notes"), "manifest", "missing or unknown fields: notes"),
        (lambda m: m.update(release=None), "manifest", "release must be an object"),
        (lambda m: m["release_config"]["config"].update(boot_timeout=9), "release", "release config's 9"),
    ],
)
async def test_tampered_release_parts_fail_with_their_own_message(
    alice: ReleaseEnv, tmp_path: Path, change: Any, part: str, why: str
) -> None:
    archives = archives_of(alice, tmp_path)
    app, rid = await ramping_release(alice, tmp_path)
    path = tmp_path / "release.hota"
    await export_release(archives, alice.releases, ORG, app, rid, path)
    tampered = tmp_path / "tampered.hota"
    tampered.write_bytes(_reseal(path.read_bytes(), change))
    report = await archives.verify(tampered)
    assert not report.ok and report.status_of(part) is Status.FAILED, report.text()
    assert why in next(c.detail for c in report.failures if c.part == part)
    target = await app_with_dimensions(alice)
    with pytest.raises(ArchiveRefused):
        await import_archive(
            archives, tampered, org=ORG, app=target, releases=alice.releases, allow_untrusted=True
        )
    assert await alice.packages.list_versions(ORG, target) == []
    # a byte flipped in the release part without a new seal: the seal finds it
    raw = bytearray(path.read_bytes())
    at = raw.find(b'"Pune gets')
    raw[at + 2] ^= 0x01
    flipped = tmp_path / "flipped.hota"
    flipped.write_bytes(bytes(raw))
    assert (await archives.verify(flipped)).status_of("seal") is Status.FAILED
