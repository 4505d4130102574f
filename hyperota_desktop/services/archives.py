"""Offline archives: build from a bundle, export a package, sign, verify (see docs/archive-format.md).

Built by `open_archives` from what it needs: the cache folder, and optionally KMS (signing, encryption),
the profile's package service (export, import) and the profile's authorizer (`services.authz`). Without
a profile it still builds, verifies and makes fallback assets: no network, no sign-in. Blocking reading
and writing runs in a worker thread; progress and cancel go through `services.transfer` like a publish.
Import and fallback assets live in `archive_import`.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import re
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hyperota_desktop import __version__
from hyperota_desktop.domain.access import Action
from hyperota_desktop.domain.archive_manifest import (
    ArchiveManifest,
    epoch_of,
    iso_time,
    package_archive_manifest,
)
from hyperota_desktop.domain.archive_report import Check, Status, VerifyReport
from hyperota_desktop.domain.archive_seal import ARCHIVE_CONTEXT, Envelope, Seal, SignatureRecord, statement
from hyperota_desktop.domain.bundles import DEFAULT_LIMITS, Limits
from hyperota_desktop.domain.errors import HyperOtaError, IntegrityError, ValidationError
from hyperota_desktop.domain.names import name_problem
from hyperota_desktop.domain.packages import AppKeys, Manifest, PackageFile, public_url
from hyperota_desktop.services.archive_crypto import algorithm_for, check_signature
from hyperota_desktop.services.archive_reader import ArchiveReader, ReadResult, peek_envelope
from hyperota_desktop.services.archive_stream import Ticker
from hyperota_desktop.services.archive_trust import ArchiveRefused, Trust, check_trust
from hyperota_desktop.services.archive_trust import data_key as archive_data_key
from hyperota_desktop.services.archive_writer import LocalFile, new_envelope, reseal, write_archive
from hyperota_desktop.services.authz import Authorizer
from hyperota_desktop.services.bundle_scan import discard_extraction, scan
from hyperota_desktop.services.hashing import hash_files
from hyperota_desktop.services.kms import Kms
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.transfer import ProgressCallback, ProgressMeter, TransferControl, run_bounded

TOOL = f"hyperota-desktop {__version__}"
OFFLINE_BASE_URL = "https://offline.invalid"  # RFC 2606: a name that never resolves


@dataclass(frozen=True)
class Protection:
    """Optional signing and envelope encryption of a new archive."""

    sign_key: str | None = None
    encrypt_key: str | None = None
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ArchiveResult:
    path: Path
    size: int
    manifest_sha256: str
    files: int
    total_size: int
    signed: bool
    encrypted: bool
    org: str | None
    app: str | None
    version: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "archive": str(self.path), "size": self.size, "manifest_sha256": self.manifest_sha256,
            "files": self.files, "total_size": self.total_size, "signed": self.signed,
            "encrypted": self.encrypted, "org": self.org, "app": self.app, "package_version": self.version,
        }  # fmt: skip


class ArchiveService:
    def __init__(
        self,
        cache_dir: Path,
        *,
        kms: Kms | None = None,
        packages: PackageService | None = None,
        authz: Authorizer | None = None,
        actor: Callable[[], Awaitable[str]] | None = None,
        public_base_url: str = "",
        key_prefix: str = "",
        signing_key: str = "",
        data_key: str = "",
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.cache_dir = cache_dir
        self.kms = kms
        self.packages = packages
        self._authz = authz
        self._actor = actor
        self.public_base_url = public_base_url
        self.key_prefix = key_prefix
        self.signing_key = signing_key  # the profile's defaults
        self.data_key = data_key
        self.limits = limits

    # -- shared -------------------------------------------------------------------------------------
    def _kms(self, purpose: str) -> Kms:
        if self.kms is None:
            raise ValidationError(
                f"{purpose} needs KMS: no profile is active.", hint="Choose a profile first."
            )
        return self.kms

    async def require(self, action: Action, org: str, app: str) -> None:
        """The profile's authorizer decides (import: write, export: read); offline archives need none."""
        if self._authz is not None:
            await self._authz.require(action, org, app)

    async def creator(self) -> str:
        """Who makes an archive: the signed-in person, else the local user."""
        if self._actor is not None:
            with contextlib.suppress(HyperOtaError):
                return await self._actor()
        return getpass.getuser()

    def scratch(self, kind: str) -> Path:
        """A fresh private folder under `cache/<kind>/`; folders a crashed run left there for more than a
        day are removed first (a publish recovering from such a crash has long finished or given up)."""
        root = self.cache_dir / kind
        stale = time.time() - 24 * 3600
        if root.is_dir():
            for old in root.iterdir():
                with contextlib.suppress(OSError):
                    if old.lstat().st_mtime < stale:
                        shutil.rmtree(old, ignore_errors=True)
        folder = root / uuid.uuid4().hex
        folder.mkdir(parents=True, mode=0o700)
        return folder

    async def _seal(self, digest: str, key: str | None) -> Seal:
        if not key:
            return Seal(digest)
        kms = self._kms("Signing")
        arn = await kms.key_arn(key)  # GetPublicKey names the key by id (moto) or ARN (AWS): use the ARN
        info = await kms.public_key(arn)
        algorithm = algorithm_for(info.key_spec, list(info.algorithms))
        message = statement(digest, arn, algorithm, info.der)
        _signer, signature = await kms.sign(arn, message, algorithm)
        record = SignatureRecord(arn, algorithm, info.der, signature)
        check_signature(record, message, info.der)  # what we write must verify anywhere
        return Seal(digest, record)

    async def _write(
        self,
        manifest: ArchiveManifest,
        sources: Mapping[str, LocalFile],
        dest: Path,
        protection: Protection,
        progress: ProgressCallback | None,
        control: TransferControl | None,
    ) -> ArchiveResult:
        """Sign and encrypt as asked, then write: the one place every new archive goes through."""
        seal = await self._seal(manifest.digest(), protection.sign_key)
        encryption: tuple[Envelope, bytes] | None = None
        if protection.encrypt_key:
            context = {**dict(protection.context), **ARCHIVE_CONTEXT}
            key = await self._kms("Encryption").generate_data_key(protection.encrypt_key, context)
            encryption = (new_envelope(manifest, key, context), key.plaintext)
        meter = ProgressMeter("writing", manifest.total_size, len(manifest.files), progress, control)
        ticker = Ticker(meter, control, asyncio.get_running_loop())
        size = await asyncio.to_thread(
            write_archive, dest, manifest, sources, seal, ticker, encryption=encryption
        )
        meter.flush()
        return ArchiveResult(
            dest, size, manifest.digest(), len(manifest.files), manifest.total_size,
            seal.signature is not None, encryption is not None, manifest.org, manifest.app,
            manifest.package.version,
        )  # fmt: skip

    # -- build (offline) ----------------------------------------------------------------------------
    async def build(
        self,
        sources: list[Path],
        dest: Path,
        *,
        index: str | None = None,
        org: str | None = None,
        app: str | None = None,
        created_at: int | None = None,
        created_by: str | None = None,
        base_url: str | None = None,
        protection: Protection | None = None,
        progress: ProgressCallback | None = None,
        control: TransferControl | None = None,
    ) -> ArchiveResult:
        """An archive of a local bundle (folder, zip or files), checked like a publish; no network unless
        signing or encrypting. The time defaults to the newest file's, so rebuilds are byte-identical."""
        workers = self.packages.storage.workers if self.packages is not None else None  # the app's
        bundle = await scan(sources, index=index, cache_dir=self.cache_dir, workers=workers)
        try:
            name = app or _name_from(bundle.source)
            if problem := name_problem(name, kind="application"):
                raise ValidationError(
                    f"Package name: {problem}",
                    hint="Give the application's name (--app NAME).",
                    gui_hint="Fill in the application (package name).",
                )
            meter = ProgressMeter("hashing", bundle.total_size, len(bundle.files), progress, control)
            hashes = await hash_files(bundle.files, None, meter=meter, control=control)
            meter.flush()
            epoch = (
                created_at if created_at is not None else max(h.mtime_ns for h in hashes.values()) // 10**9
            )
            keys = AppKeys(self.key_prefix, org or "offline", name)
            base = base_url or self.public_base_url or OFFLINE_BASE_URL
            digests = {f.path: hashes[f.path].sha256 for f in bundle.files}
            files = tuple(
                PackageFile(f.path, public_url(base, keys.file_key(digests[f.path])), digests[f.path], f.size)
                for f in bundle.files
            )
            creator = created_by or await self.creator()
            package = Manifest(
                org=org or "", app=name, version=0, index=bundle.index, files=files,
                created_at=iso_time(epoch), created_by=creator, source=Path(bundle.source).name,
            )  # fmt: skip
            manifest = package_archive_manifest(
                package, org=org, app=app, created_at=iso_time(epoch), created_by=creator, tool=TOOL
            )
            local = {f.path: LocalFile(f.local, f.size, hashes[f.path].mtime_ns) for f in bundle.files}
            return await self._write(manifest, local, dest, protection or Protection(), progress, control)
        finally:
            discard_extraction(bundle)

    # -- export -------------------------------------------------------------------------------------
    async def export_package(
        self,
        org: str,
        app: str,
        dest: Path,
        *,
        version: int | None = None,
        tag: str | None = None,
        protection: Protection | None = None,
        progress: ProgressCallback | None = None,
        control: TransferControl | None = None,
    ) -> ArchiveResult:
        """An archive of a published package, its files downloaded from S3 and checked on the way."""
        packages = self.package_service()
        await self.require(Action.VIEW_APP, org, app)
        if version is None:
            if not tag:
                raise ValidationError("Say which package: a version or a tag.")
            tags = await packages.tags(org, app)
            if tag not in tags:
                raise ValidationError(f"{org}/{app} has no tag '{tag}'.")
            version = tags[tag]
        package = await packages.show(org, app, version)
        try:
            created = iso_time(epoch_of(package.created_at))
        except ValidationError:
            created = iso_time(0)
        manifest = package_archive_manifest(
            package, org=org, app=app, created_at=created, created_by=await self.creator(), tool=TOOL
        )
        return await self.export_manifest(manifest, dest, protection or Protection(), progress, control)

    def package_service(self) -> PackageService:
        if self.packages is None:
            raise ValidationError(
                "Exporting and importing need a profile with a bucket.", hint="Choose a profile."
            )
        return self.packages

    async def export_manifest(
        self,
        manifest: ArchiveManifest,
        dest: Path,
        protection: Protection,
        progress: ProgressCallback | None,
        control: TransferControl | None,
    ) -> ArchiveResult:
        """Download every file of `manifest` (each content once, checked), then write the archive.
        A release export (`release_archives.export_release`) comes through here too."""
        packages = self.package_service()
        keys = packages.keys(manifest.package.org, manifest.package.app)
        scratch = await asyncio.to_thread(self.scratch, "exports")
        try:
            unique = {f.sha256: f.size for f in manifest.files}
            meter = ProgressMeter("downloading", sum(unique.values()), len(unique), progress, control)
            ticker = Ticker(meter, control, asyncio.get_running_loop())

            def received(nbytes: int) -> None:  # in a download's thread: count, and stop on cancel
                ticker.advance(nbytes)
                ticker.check()

            async def fetch(item: tuple[str, int]) -> None:
                digest, size = item
                if control is not None:
                    await control.checkpoint()
                got_size, got = await packages.storage.download(
                    keys.file_key(digest),
                    scratch / digest,
                    what=f"Download {digest[:12]}…",
                    on_bytes=received,
                )
                if (got_size, got) != (size, digest):
                    raise IntegrityError(
                        f"S3 holds other content under sha256 {digest[:12]}… "
                        f"({got_size} bytes, sha256 {got[:12]}…).",
                        hint="The stored object is corrupt; ask an operator to delete it and publish again.",
                    )
                ticker.advance(0, file_finished=True)

            await run_bounded(sorted(unique.items()), fetch, 8)
            ticker.flush()
            local = {f.path: LocalFile(scratch / f.sha256, f.size) for f in manifest.files}
            return await self._write(manifest, local, dest, protection, progress, control)
        finally:
            await asyncio.to_thread(shutil.rmtree, scratch, True)

    # -- verify -------------------------------------------------------------------------------------
    async def read(
        self,
        path: Path,
        *,
        trust: Trust | None = None,
        expect_key: str | None = None,
        require_context: Mapping[str, str] | None = None,
        extract_to: Path | None = None,
        progress: ProgressCallback | None = None,
        control: TransferControl | None = None,
    ) -> ReadResult:
        """Check everything (decrypting through KMS if needed) and optionally extract the files."""
        if not await asyncio.to_thread(path.is_file):
            raise ValidationError(f"'{path}' is not a file.")
        envelope = await asyncio.to_thread(peek_envelope, path, self.limits)
        key, key_problem = None, ""
        if envelope is not None:
            key, key_problem = await archive_data_key(self.kms, envelope, expect_key, require_context or {})
        size = (await asyncio.to_thread(path.stat)).st_size
        meter = ProgressMeter("verifying", size, 1, progress, control)  # one file: the archive
        ticker = Ticker(meter, control, asyncio.get_running_loop())
        reader = ArchiveReader(path, limits=self.limits, data_key=key, extract_to=extract_to, ticker=ticker)
        result = await asyncio.to_thread(reader.read)
        meter.flush()
        if key_problem:
            checks = result.report.checks
            checks.insert(1 if checks and checks[0].part == "structure" else 0,
                          Check("encryption", Status.FAILED, key_problem))  # fmt: skip
        if result.seal is not None:
            await check_trust(result.report, result.seal, trust, self.kms)
        return result

    async def verify(self, path: Path, **kwargs: Any) -> VerifyReport:
        return (await self.read(path, **kwargs)).report

    # -- sign ---------------------------------------------------------------------------------------
    async def sign(
        self,
        path: Path,
        key: str | None = None,
        *,
        dest: Path | None = None,
        progress: ProgressCallback | None = None,
        control: TransferControl | None = None,
    ) -> ArchiveResult:
        """Check the archive, then (re)place its seal by one signed with `key` (default: the profile's)."""
        key = key or self.signing_key
        if not key:
            raise ValidationError(
                "Which KMS key signs?",
                hint="Give --key, or set the profile's signing key.",
                gui_hint="Set the profile's signing key (Edit profile…).",
            )
        result = await self.read(path, progress=progress, control=control)
        report = result.report
        if not report.ok and any(c.part != "signature" for c in report.failures):
            raise ArchiveRefused(f"Refusing to sign: {report.summary()}", report)
        seal = await self._seal(report.manifest_sha256, key)
        target = dest or path
        size = await asyncio.to_thread(reseal, path, result.seal_offset, seal, result.outer_mtime, target)
        return ArchiveResult(
            target, size, report.manifest_sha256, report.files, report.total_size, True, report.encrypted,
            report.org, report.app, report.package_version or 0,
        )  # fmt: skip


def _name_from(source: str) -> str:
    stem = Path(source.split(", ")[0]).stem.lower()
    return re.sub(r"[^a-z0-9._-]+", "-", stem).strip("-.")[:50] or "app"


def offline_archives(cache_dir: Path) -> ArchiveService:
    """Build, verify and fallback assets without any profile (no KMS, no S3)."""
    return ArchiveService(cache_dir)


def open_archives(
    cache_dir: Path,
    *,
    kms: Kms | None,
    packages: PackageService | None,
    authz: Authorizer | None,
    actor: Callable[[], Awaitable[str]] | None,
    public_base_url: str = "",
    key_prefix: str = "",
    signing_key: str = "",
    data_key: str = "",
) -> ArchiveService:
    """The archive service of one profile (built by the composition root)."""
    return ArchiveService(
        cache_dir, kms=kms, packages=packages, authz=authz, actor=actor, public_base_url=public_base_url,
        key_prefix=key_prefix, signing_key=signing_key, data_key=data_key,
    )  # fmt: skip
