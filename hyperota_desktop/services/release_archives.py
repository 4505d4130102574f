"""Release archives: export a release (its package, what its devices got, its values and target) and,
on import, create it again in another environment as a CREATED release (never live).

Export reads the release and its package, builds the `release` manifest (`domain.archive_manifest.
release_archive_manifest`: refused if the release's values and device config disagree) and writes it
through the archive service like a package export (files downloaded from S3 and checked). Import
(`archive_import.import_archive`) verifies and publishes the package as for a package archive, then
`create_imported_release` makes the release: found again by its `config.version` when an earlier import
(or the original) made it, so importing twice creates nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hyperota_desktop.domain.access import Action
from hyperota_desktop.domain.archive_manifest import epoch_of, iso_time, release_archive_manifest
from hyperota_desktop.domain.archive_release import ReleasePart
from hyperota_desktop.domain.dimensions import value_problem
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.packages import PackageFile
from hyperota_desktop.domain.releases import Release
from hyperota_desktop.services.archives import TOOL, ArchiveResult, ArchiveService, Protection
from hyperota_desktop.services.releases import ReleaseService
from hyperota_desktop.services.transfer import ProgressCallback, TransferControl


def part_of(release: Release) -> ReleasePart:
    """What an archive keeps of a release: the values its new variant sets, its target and notes."""
    exp = dict(release.experimental.overrides) if release.experimental else {}
    version = str(exp.get("config.version") or "")
    if not version or release.package_version is None:
        raise ValidationError(f"Release {release.id} was not made by HyperOTA: it has no package or version.")
    lazy = tuple(str(f.get("file_path")) for f in exp.get("package.lazy") or [] if isinstance(f, dict))
    return ReleasePart(
        id=release.id, status=release.status.value, config_version=version,
        target=release.target.as_dict(), lazy=lazy,
        resources=tuple(PackageFile.from_dict(f) for f in exp.get("resources") or []),
        boot_timeout=int(exp.get("config.boot_timeout", 1000)),
        release_config_timeout=int(exp.get("config.release_config_timeout", 1000)),
        properties=dict(exp.get("config.properties") or {}), notes=release.notes,
    )  # fmt: skip


async def export_release(
    archives: ArchiveService,
    releases: ReleaseService,
    org: str,
    app: str,
    release_id: str,
    dest: Path,
    *,
    protection: Protection | None = None,
    progress: ProgressCallback | None = None,
    control: TransferControl | None = None,
) -> ArchiveResult:
    """An archive of release `release_id` of `org`/`app` (read access): its package's files from S3,
    the device config its devices got, and its values. The time is the release's creation, so
    exporting the same release twice gives the same manifest."""
    await archives.require(Action.VIEW_APP, org, app)
    detail = await releases.detail(org, app, release_id)
    release = detail.release
    if detail.device_config is None or detail.config_problems:
        why = "; ".join(detail.config_problems[:3]) or "it gives devices no package"
        raise ValidationError(f"Release {release.id} cannot be archived: {why}.")
    part = part_of(release)
    assert release.package_version is not None
    package = await archives.package_service().show(org, app, release.package_version)
    created = iso_time(int(release.created_at.timestamp())) if release.created_at else ""
    if not created:
        try:
            created = iso_time(epoch_of(package.created_at))
        except ValidationError:
            created = iso_time(0)
    manifest = release_archive_manifest(
        package, part, detail.device_config, org=org, app=app, created_at=created,
        created_by=await archives.creator(), tool=TOOL,
    )  # fmt: skip
    return await archives.export_manifest(manifest, dest, protection or Protection(), progress, control)


@dataclass(frozen=True)
class ImportedRelease:
    id: str
    adopted: bool  # this release was there already (an earlier import, or the original)
    status: str


async def check_importable(releases: ReleaseService, org: str, app: str, part: ReleasePart) -> None:
    """Before anything is published: the caller may create releases there, and the target's
    dimensions exist with values their schemas accept (else ValidationError naming them)."""
    await releases.authz.require(Action.CREATE_RELEASE, org, app)
    known = {d.name: d for d in await releases.dimensions.all(org, app)}
    problems: list[str] = []
    for name, value in part.target.items():
        if name not in known:
            problems.append(f"{org}/{app} has no dimension '{name}'")
        elif why := value_problem(known[name], value):
            problems.append(why)
    if problems:
        raise ValidationError(
            f"The archive's release cannot be created in {org}/{app}: {'; '.join(problems)}.",
            hint="Create the dimensions its target uses first (Dimensions page, hyperota dimension create).",
            gui_hint="Create the dimensions its target uses first (Dimensions page).",
        )


async def create_imported_release(
    releases: ReleaseService, org: str, app: str, part: ReleasePart, version: int, *, force: bool = False
) -> ImportedRelease:
    """The archive's release for package `version` of `org`/`app`, CREATED (never started, even as the
    target's first release); the one made before when it exists."""
    existing = await releases.find_by_config_version(org, app, part.config_version)
    if existing is not None:
        return ImportedRelease(existing.id, True, existing.status.value)
    created = await releases.create(
        org, app, part.draft(str(version)), force=force, created_only=True,
        config_version=part.config_version,
    )  # fmt: skip
    return ImportedRelease(created.release.id, False, created.release.status.value)
