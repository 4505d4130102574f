"""`hyperota archive build|export|sign|verify|import|fallback`: offline `.hota` archives.

`build`, `verify` (offline, with --public-key) and `fallback` work without a profile, network or sign-in;
`export`/`import` use the active profile's S3 and access levels (a release, its Superposition too);
`--sign`, `--encrypt`, `--kms-key` and encrypted archives use its KMS. `verify` exits 5 when any check fails.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from hyperota_desktop.cli.commands.packages import _progress
from hyperota_desktop.cli.framework import CliContext, add_group, add_verb
from hyperota_desktop.domain.archive_manifest import epoch_of
from hyperota_desktop.domain.archive_report import Status, VerifyReport
from hyperota_desktop.domain.archive_seal import parse_context
from hyperota_desktop.domain.errors import ExitCode, NotFound, ValidationError
from hyperota_desktop.domain.fallback import Platform
from hyperota_desktop.domain.units import human_size
from hyperota_desktop.services.archive_crypto import public_key_der
from hyperota_desktop.services.archive_import import ImportResult, fallback_assets, import_archive
from hyperota_desktop.services.archive_trust import ArchiveRefused, Trust
from hyperota_desktop.services.archives import ArchiveResult, ArchiveService, Protection, offline_archives
from hyperota_desktop.services.release_archives import export_release
from hyperota_desktop.services.saga import SagaRuntime


def _service(ctx: CliContext, *, profile: bool = False) -> ArchiveService:
    """The active profile's archive service; without a profile an offline one (unless `profile`)."""
    try:
        return ctx.profile().archives
    except NotFound:
        if profile:
            raise
        return offline_archives(ctx.services.dirs.cache)


def _protection(service: ArchiveService, args: argparse.Namespace) -> Protection:
    sign = service.signing_key if args.sign == "" else args.sign
    encrypt = service.data_key if args.encrypt == "" else args.encrypt
    if args.sign == "" and not sign:
        raise ValidationError("--sign needs a KMS key: the profile names none.", hint="Give --sign KEY.")
    if args.encrypt == "" and not encrypt:
        raise ValidationError(
            "--encrypt needs a KMS key: the profile names none.", hint="Give --encrypt KEY."
        )
    return Protection(sign or None, encrypt or None, parse_context(args.context or []))


def _trust(args: argparse.Namespace) -> Trust | None:
    if getattr(args, "public_key", None):
        try:
            return Trust(public_key=public_key_der(Path(args.public_key).read_bytes()))
        except OSError as exc:
            raise ValidationError(f"Could not read {args.public_key} ({exc.strerror or exc}).") from None
    if getattr(args, "kms_key", None):
        return Trust(kms_key=args.kms_key)
    return None


def _created(args: argparse.Namespace) -> int | None:
    text = args.time or os.environ.get("SOURCE_DATE_EPOCH", "")
    if not text:
        return None
    return int(text) if text.isdigit() else epoch_of(text)


def _result_text(verb: str, r: ArchiveResult) -> str:
    extras = [w for w, on in (("signed", r.signed), ("encrypted", r.encrypted)) if on]
    where = f" of {r.org}/{r.app} version {r.version}" if r.org and r.app else ""
    return (
        f"{verb} {r.path}{where}: {r.files} file(s), {human_size(r.total_size)}"
        f"{', ' + ' and '.join(extras) if extras else ''}; manifest sha256 {r.manifest_sha256}"
    )


async def _build(ctx: CliContext, args: argparse.Namespace) -> int:
    service = _service(ctx)
    result = await service.build(
        [Path(p) for p in args.path], Path(args.output), index=args.index, org=args.org, app=args.app,
        created_at=_created(args), created_by=args.creator, base_url=args.base_url,
        protection=_protection(service, args), progress=_progress(ctx),
    )  # fmt: skip
    ctx.emit(result.to_dict(), _result_text("Built", result))
    return 0


async def _export(ctx: CliContext, args: argparse.Namespace) -> int:
    if sum(x is not None for x in (args.version, args.tag, args.release)) != 1:
        raise ValidationError("Say what to export: --version N, --tag TAG or --release ID.")
    service = _service(ctx, profile=True)
    if args.release is not None:
        result = await export_release(
            service, ctx.profile().releases, args.org, args.app, args.release, Path(args.output),
            protection=_protection(service, args), progress=_progress(ctx),
        )  # fmt: skip
        ctx.emit({**result.to_dict(), "release": args.release}, _result_text("Exported", result))
        return 0
    result = await service.export_package(
        args.org, args.app, Path(args.output), version=args.version, tag=args.tag,
        protection=_protection(service, args), progress=_progress(ctx),
    )  # fmt: skip
    ctx.emit(result.to_dict(), _result_text("Exported", result))
    return 0


async def _sign(ctx: CliContext, args: argparse.Namespace) -> int:
    service = _service(ctx, profile=True)
    result = await service.sign(Path(args.archive), args.key, dest=Path(args.output) if args.output else None)
    ctx.emit(result.to_dict(), _result_text("Signed", result))
    return 0


def _refused(ctx: CliContext, exc: ArchiveRefused) -> int:
    ctx.emit(
        {"error": {"type": "ArchiveRefused", "message": exc.message, "hint": exc.hint},
         "verification": exc.report.to_dict()},
        exc.report.text,
    )  # fmt: skip
    ctx.info(f"error: {exc.user_text()}")
    return int(ExitCode.INTEGRITY)


async def _verify(ctx: CliContext, args: argparse.Namespace) -> int:
    service = _service(ctx, profile=bool(args.kms_key))
    report: VerifyReport = await service.verify(
        Path(args.archive), trust=_trust(args), expect_key=args.expect_key,
        require_context=parse_context(args.context or []), progress=_progress(ctx),
    )  # fmt: skip
    if args.require_signature and report.ok and report.status_of("signature") is not Status.PASSED:
        report.failed("signature", "a signature checked against a trusted key is required")
    ctx.emit(report.to_dict(), report.text)
    return 0 if report.ok else int(ExitCode.INTEGRITY)


async def _import(ctx: CliContext, args: argparse.Namespace) -> int:
    service = _service(ctx, profile=True)
    # a publish (or import) a crash or quit interrupted is finished first
    for record in await ctx.profile().packages.recover(SagaRuntime(_progress(ctx))):
        ctx.info(f"Finished an interrupted operation: {record.title} ({record.status}).")
    try:
        result = await import_archive(
            service, Path(args.archive), org=args.org, app=args.app, trust=_trust(args),
            allow_untrusted=args.allow_untrusted, tag=args.tag, releases=ctx.profile().releases,
            force=args.force, progress=_progress(ctx),
        )  # fmt: skip
    except ArchiveRefused as exc:
        return _refused(ctx, exc)
    ctx.emit(result.to_dict(), import_text(result))
    return 0


def import_text(result: ImportResult) -> str:
    """What an import did, in words (the GUI says the same)."""
    where = f"{result.org}/{result.app}"
    text = (
        f"{where} already has this package as version {result.version}: nothing new."
        if result.adopted
        else f"Imported as {where} version {result.version}: "
        f"{human_size(result.bytes_uploaded)} uploaded, {human_size(result.bytes_skipped)} already stored."
    )
    release = result.release
    if release is not None and release.adopted:
        text += f" Its release is there already: release {release.id} ({release.status.lower()})."
    elif release is not None:
        text += f" Release {release.id} created, not started: ramp it when you are ready."
    return text


async def _fallback(ctx: CliContext, args: argparse.Namespace) -> int:
    service = _service(ctx, profile=bool(args.kms_key))
    try:
        result = await fallback_assets(
            service, Path(args.archive), Platform(args.platform), Path(args.out), as_zip=args.zip,
            replace=args.replace, trust=_trust(args), progress=_progress(ctx),
        )  # fmt: skip
    except ArchiveRefused as exc:
        return _refused(ctx, exc)
    text = (
        f"Wrote the {result.platform.value} fallback of '{result.app}' to {result.path}: "
        f"release_config.json and {result.files} file(s)."
    )
    ctx.emit(result.to_dict(), text)
    return 0


def _protect_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sign", nargs="?", const="", metavar="KEY",
                        help="sign with this KMS key (default: the profile's signing key)")  # fmt: skip
    parser.add_argument("--encrypt", nargs="?", const="", metavar="KEY",
                        help="encrypt under this KMS key (default: the profile's data key)")  # fmt: skip
    parser.add_argument("--context", action="append", metavar="NAME=VALUE",
                        help="encryption context pair (repeatable)")  # fmt: skip


def _trust_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--public-key", metavar="PEM", help="trusted public key file: check the signature offline"
    )
    group.add_argument("--kms-key", metavar="KEY", help="trusted KMS key: check the signature through KMS")


def register(subparsers: Any) -> None:
    sub = add_group(subparsers, "archive", "offline .hota archives: build, export, sign, verify, import")
    p = add_verb(sub, "build", "Build an archive from a bundle folder, .zip or files (offline).", _build)
    p.add_argument("path", nargs="+", help="bundle folder, .zip, or files")
    p.add_argument("-o", "--output", required=True, metavar="FILE.hota")
    p.add_argument("--index", metavar="FILE", help="index (entry bundle) file, relative to the bundle")
    p.add_argument("--org", help="organisation to record (optional)")
    p.add_argument("--app", help="application (package name; default: the folder's name)")
    p.add_argument("--time", help="archive time, ISO 8601 or seconds (default: $SOURCE_DATE_EPOCH, else "
                   "the newest file's time: rebuilds are byte-identical)")  # fmt: skip
    p.add_argument("--creator", help="who made it (default: you)")
    p.add_argument("--base-url", metavar="URL", help="public base URL for file URLs (default: the profile's)")
    _protect_options(p)
    p = add_verb(sub, "export", "Export a published package, or a release, into an archive.", _export)
    p.add_argument("--org", required=True)
    p.add_argument("--app", required=True)
    p.add_argument("--version", type=int, help="package version")
    p.add_argument("--tag", help="package tag (instead of --version)")
    p.add_argument("--release", metavar="ID", help="a release (its package, target and values) instead")
    p.add_argument("-o", "--output", required=True, metavar="FILE.hota")
    _protect_options(p)
    p = add_verb(
        sub, "sign", "Check an archive, then sign it with a KMS key (replacing any signature).", _sign
    )
    p.add_argument("archive")
    p.add_argument("--key", help="KMS signing key (default: the profile's)")
    p.add_argument(
        "-o", "--output", metavar="FILE.hota", help="write the signed copy here (default: in place)"
    )
    p = add_verb(
        sub, "verify", "Check every file, the manifest, the release config and the signature.", _verify
    )
    p.add_argument("archive")
    _trust_options(p)
    p.add_argument("--expect-key", metavar="KEY", help="an encrypted archive must use this KMS key")
    p.add_argument("--context", action="append", metavar="NAME=VALUE",
                   help="an encrypted archive must have this context pair (repeatable)")  # fmt: skip
    p.add_argument("--require-signature", action="store_true", help="fail unless signed by a trusted key")
    p = add_verb(
        sub, "import",
        "Verify an archive, then publish its package into a profile (a release archive's release is "
        "created there, not started).", _import,
    )  # fmt: skip
    p.add_argument("archive")
    p.add_argument("--org", help="target organisation (default: the archive's)")
    p.add_argument("--app", help="target application (default: the archive's)")
    p.add_argument("--tag", help="point this tag at the imported version")
    p.add_argument("--force", action="store_true",
                   help="create the release even if its target has an unfinished one")  # fmt: skip
    _trust_options(p)
    p.add_argument("--allow-untrusted", action="store_true",
                   help="accept an unsigned archive or one signed by a key not known as trusted")  # fmt: skip
    p = add_verb(sub, "fallback", "Write an archive's files and release config for an app binary.", _fallback)
    p.add_argument("archive")
    p.add_argument("--platform", required=True, choices=[p.value for p in Platform])
    p.add_argument("--out", required=True, metavar="PATH",
                   help="android: the app module's src/main (assets/<app>/ goes below); ios: the folder or "
                   "zip to write")  # fmt: skip
    p.add_argument("--zip", action="store_true", help="ios: write a zip instead of a folder")
    p.add_argument("--replace", action="store_true", help="replace an earlier fallback")
    _trust_options(p)
