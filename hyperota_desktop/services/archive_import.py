"""Using an archive: import its package (and a release archive's release) into a profile, or lay its
files out as fallback assets.

Both verify first (every check, in the same pass that extracts the files into a private folder) and
refuse on any failure. An import then goes through the ordinary publish (`PackageService.publish`):
the same content-addressed upload (content already stored is skipped), the same manifest write, with
`adopt_identical` so importing the same archive twice adopts the existing version and writes nothing.
A release archive's release is then created, not started (`release_archives`), or found again.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.access import Action
from hyperota_desktop.domain.archive_manifest import RELEASE_KIND
from hyperota_desktop.domain.archive_report import VerifyReport
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.fallback import CONFIG_FILE, FallbackPlan, Platform, plan_fallback
from hyperota_desktop.services.archive_trust import Trust, refusal
from hyperota_desktop.services.archives import ArchiveService
from hyperota_desktop.services.packages import PreflightRow, content_fingerprint
from hyperota_desktop.services.release_archives import (
    ImportedRelease,
    check_importable,
    create_imported_release,
)
from hyperota_desktop.services.releases import ReleaseService
from hyperota_desktop.services.saga import SagaRuntime
from hyperota_desktop.services.transfer import ProgressCallback, TransferControl


@dataclass(frozen=True)
class ImportResult:
    org: str
    app: str
    version: int
    adopted: bool  # the same package was already there: nothing new was created
    bytes_uploaded: int
    bytes_skipped: int
    report: VerifyReport
    release: ImportedRelease | None = None  # a release archive's release, as created (or found)

    def to_dict(self) -> dict[str, Any]:
        release = self.release
        return {
            "org": self.org, "app": self.app, "version": self.version, "adopted": self.adopted,
            "bytes_uploaded": self.bytes_uploaded, "bytes_skipped": self.bytes_skipped,
            "release": None if release is None else
            {"id": release.id, "adopted": release.adopted, "status": release.status},
            "verification": self.report.to_dict(),
        }  # fmt: skip


async def import_archive(
    archives: ArchiveService,
    path: Path,
    *,
    org: str | None = None,
    app: str | None = None,
    trust: Trust | None = None,
    allow_untrusted: bool = False,
    tag: str | None = None,
    releases: ReleaseService | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
    control: TransferControl | None = None,
) -> ImportResult:
    """Verify, then publish the archive's package into `org`/`app` (default: the archive's own); a
    release archive's release is then created there, not started (`releases` needed; `force` creates
    it even when the target has an unfinished release)."""
    packages = archives.package_service()
    if org and app:
        await archives.require(Action.PUBLISH_PACKAGE, org, app)
    if trust is None or not trust.given:
        trust = Trust(kms_key=archives.signing_key or None)
    scratch = await asyncio.to_thread(archives.scratch, "imports")
    try:
        result = await archives.read(
            path, trust=trust, extract_to=scratch, progress=progress, control=control
        )
        refused = refusal(result.report, "import", allow_untrusted=allow_untrusted)
        if refused is not None:
            raise refused
        manifest = result.manifest
        assert manifest is not None
        org, app = org or manifest.org, app or manifest.app
        if not org or not app:
            raise ValidationError(
                "The archive names no organisation and application.",
                hint="Say where: --org ORG --app APP.",
                gui_hint="Fill in the organisation and application to import into.",
            )
        await archives.require(Action.PUBLISH_PACKAGE, org, app)
        part = manifest.release_part if manifest.kind == RELEASE_KIND else None
        if part is not None:
            if releases is None:
                raise ValidationError("This archive holds a release: import it with a profile's releases.")
            await check_importable(releases, org, app, part)  # before anything is published
        index = manifest.package.index
        rows = tuple(PreflightRow(f.path, f.size, f.sha256, False, f.path == index) for f in manifest.files)
        runtime = SagaRuntime(progress, control or TransferControl())
        published = await packages.publish(
            org, app, [scratch], index=index, tag=tag, runtime=runtime,
            expected=content_fingerprint(index, rows), properties=manifest.package.properties,
            source_label=f"archive {path.name} (manifest sha256 {manifest.digest()[:16]})",
            adopt_identical=True,
        )  # fmt: skip
    finally:
        await asyncio.to_thread(shutil.rmtree, scratch, True)
    release = None
    if part is not None:
        assert releases is not None
        release = await create_imported_release(releases, org, app, part, published.version, force=force)
    return ImportResult(
        org, app, published.version, published.adopted, published.bytes_uploaded, published.bytes_skipped,
        result.report, release,
    )  # fmt: skip


@dataclass(frozen=True)
class FallbackResult:
    path: Path  # the folder (or zip) written
    platform: Platform
    app: str
    files: int
    report: VerifyReport

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "platform": self.platform.value, "app": self.app, "files": self.files}


async def fallback_assets(
    archives: ArchiveService,
    path: Path,
    platform: Platform,
    out: Path,
    *,
    as_zip: bool = False,
    replace: bool = False,
    trust: Trust | None = None,
    progress: ProgressCallback | None = None,
    control: TransferControl | None = None,
) -> FallbackResult:
    """Write the archive's files and release config for an app binary (see `domain.fallback`).

    Android: `out/assets/<app>/…` (`out` = the app module's src/main). iOS: the folder `out`, or with
    `as_zip` the zip file `out`. An existing target is only replaced if it is empty or, with `replace`,
    an earlier fallback (it holds a release_config.json)."""
    if as_zip and platform is not Platform.IOS:
        raise ValidationError("Only the iOS fallback comes as a zip.")
    out = await asyncio.to_thread(out.resolve)
    staging = out.parent / f".{out.name}.{secrets.token_hex(4)}.partial"
    await asyncio.to_thread(staging.mkdir, parents=True)
    try:
        result = await archives.read(
            path, trust=trust, extract_to=staging, progress=progress, control=control
        )
        refused = refusal(result.report, "make fallback assets", allow_untrusted=not (trust and trust.given))
        if refused is not None:
            raise refused
        assert result.manifest is not None
        plan = plan_fallback(result.manifest, platform)
        target = out / plan.root if plan.root else out
        await asyncio.to_thread(_place, staging, plan, target, as_zip, replace)
    finally:
        await asyncio.to_thread(shutil.rmtree, staging, True)
    return FallbackResult(target, platform, plan.app, len(plan.files), result.report)


def _check_target(target: Path, replace: bool) -> None:
    if not target.exists() and not target.is_symlink():
        return
    if target.is_dir() and not target.is_symlink():
        if not any(target.iterdir()):
            return
        if (target / CONFIG_FILE).is_file():
            if replace:
                return
            raise ValidationError(
                f"{target} already holds fallback assets.",
                hint="Replace them with --replace.",
                gui_hint="Choose another folder, or delete the earlier assets there first.",
            )
    raise ValidationError(f"{target} exists and is not an earlier fallback: refusing to overwrite it.")


def _place(staging: Path, plan: FallbackPlan, target: Path, as_zip: bool, replace: bool) -> None:
    if as_zip:
        if target.exists() and not replace:
            raise ValidationError(
                f"{target} exists.", hint="Replace it with --replace.", gui_hint="Choose another file name."
            )
        partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
        try:
            with zipfile.ZipFile(partial, "w") as zf:
                _zip_entry(zf, CONFIG_FILE, plan.config)
                for source, dest in plan.files:
                    _zip_entry(zf, dest, staging.joinpath(*source.split("/")))
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return
    _check_target(target, replace)
    (staging / CONFIG_FILE).write_bytes(plan.config)
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.{secrets.token_hex(4)}.old")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _zip_entry(zf: zipfile.ZipFile, name: str, source: Path | bytes) -> None:
    """A deterministic entry: fixed time (1980-01-01), mode 0644, deflated."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    if isinstance(source, bytes):
        zf.writestr(info, source)
        return
    with source.open("rb") as src, zf.open(info, "w") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)
