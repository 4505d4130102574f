"""`hyperota profile add|list|show|use|remove|import|export|aws-keys`."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from hyperota_desktop.cli.framework import CliContext, add_group, add_verb
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.domain.profiles import AwsCredentialMode, Profile

_FIELD_HELP = {
    "issuer": "OIDC issuer, e.g. https://sso.example.com/realms/hyperota",
    "client_id": "public OIDC client id with the device grant",
    "superposition_url": "Superposition base URL",
    "superposition_org_id": "Superposition organisation id",
    "superposition_org_name": "Superposition organisation name (found or created at first use)",
    "s3_endpoint": "S3 endpoint URL (blank = AWS)",
    "region": "AWS region",
    "bucket": "S3 bucket",
    "key_prefix": "key prefix inside the bucket",
    "public_base_url": "public base URL for file URLs (CDN in front of the bucket)",
    "kms_signing_key": "KMS signing key id/ARN/alias",
    "kms_data_key": "KMS data key id/ARN/alias",
    "aws_role_arn": "role ARN for web-identity credentials",
}


def _describe(profile: Profile, active: str | None) -> str:
    lines = [f"{profile.name}{'  (active)' if profile.name == active else ''}"]
    for key, value in profile.to_dict().items():
        if key != "name":
            lines.append(f"  {key:24} {value}")
    mode = profile.aws_credential_mode
    lines.append(f"  {'isolation':24} {mode.isolation}")
    lines.append(f"  {'':24} {mode.isolation_detail}")
    return "\n".join(lines)


def _add(ctx: CliContext, args: argparse.Namespace) -> int:
    values: dict[str, Any] = {"name": args.name}
    for f in fields(Profile):
        value = getattr(args, f.name, None)
        if f.name != "name" and value is not None:
            values[f.name] = value
    profile = Profile.from_dict(values)
    ctx.services.profiles.add(profile, overwrite=args.overwrite)
    ctx.emit(profile.to_dict(), f"Profile '{profile.name}' saved.")
    return 0


def _list(ctx: CliContext, args: argparse.Namespace) -> int:
    service = ctx.services.profiles
    profiles, active = service.list(), service.active_name()
    data = [{**p.to_dict(), "active": p.name == active} for p in profiles]
    text = "\n".join(f"{'*' if p.name == active else ' '} {p.name:20} {p.issuer}" for p in profiles)
    ctx.emit(data, text or "No profiles yet. Add one with `hyperota profile add NAME --issuer URL`.")
    return 0


def _show(ctx: CliContext, args: argparse.Namespace) -> int:
    service = ctx.services.profiles
    profile = service.get(args.name) if args.name else service.active()
    data = {**profile.to_dict(), "isolation": profile.aws_credential_mode.isolation}
    ctx.emit(data, _describe(profile, service.active_name()))
    return 0


def _use(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.services.profiles.use(args.name)
    ctx.emit({"active": args.name}, f"Active profile: {args.name}")
    return 0


def _remove(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.services.profiles.remove(args.name)
    ctx.emit({"removed": args.name}, f"Profile '{args.name}' removed (its keyring entries too).")
    return 0


def _aws_keys(ctx: CliContext, args: argparse.Namespace) -> int:
    """Static AWS keys into the keyring; the secret comes from stdin or a hidden prompt, never argv."""
    service = ctx.services.profiles
    name = args.name or service.active().name
    if sys.stdin is not None and sys.stdin.isatty():
        secret = getpass.getpass("AWS secret access key: ", stream=ctx.stderr)
    else:
        # bounded: a secret key is 40 characters; `< /dev/zero` must not fill the memory
        secret = sys.stdin.readline(4096) if sys.stdin is not None else ""
    service.set_static_aws_keys(name, args.access_key_id, secret)
    if service.get(name).aws_credential_mode is not AwsCredentialMode.STATIC_KEYS:
        ctx.info(f"note: profile '{name}' does not use static keys yet (aws_credential_mode static).")
    text = f"AWS keys of profile '{name}' saved in the keyring."
    ctx.emit({"profile": name, "aws_access_key_id": args.access_key_id.strip()}, text)
    return 0


def _import(ctx: CliContext, args: argparse.Namespace) -> int:
    profile = ctx.services.profiles.import_file(Path(args.file), name=args.name, overwrite=args.overwrite)
    ctx.emit(profile.to_dict(), f"Imported profile '{profile.name}'.")
    return 0


def _export(ctx: CliContext, args: argparse.Namespace) -> int:
    data = ctx.services.profiles.export(args.name)
    text = json.dumps(data, indent=2, sort_keys=True)
    if args.output:
        try:
            Path(args.output).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise ValidationError(f"Cannot write {args.output}: {exc}.") from exc
        ctx.info(f"Exported profile '{args.name}' to {args.output}.")
    else:
        print(text, file=ctx.stdout)
    return 0


def register(sub: Any) -> None:
    group = add_group(sub, "profile", "manage backend profiles (one per environment)")
    add = add_verb(group, "add", "add a profile", _add)
    add.add_argument("name")
    for f in fields(Profile):
        if f.name in _FIELD_HELP:
            add.add_argument(f"--{f.name.replace('_', '-')}", dest=f.name, help=_FIELD_HELP[f.name])
    add.add_argument(
        "--aws-credential-mode", dest="aws_credential_mode", choices=[m.value for m in AwsCredentialMode]
    )
    add.add_argument("--overwrite", action="store_true", help="replace a profile of the same name")
    add_verb(group, "list", "list profiles", _list)
    show = add_verb(group, "show", "show a profile (the active one by default)", _show)
    show.add_argument("name", nargs="?")
    use = add_verb(group, "use", "make a profile the active one", _use)
    use.add_argument("name")
    remove = add_verb(group, "remove", "remove a profile and its keyring entries", _remove)
    remove.add_argument("name")
    keys = add_verb(
        group,
        "aws-keys",
        "keep static AWS keys in the keyring (secret read from stdin or a hidden prompt)",
        _aws_keys,
    )
    keys.add_argument("name", nargs="?", help="profile (the active one by default)")
    keys.add_argument("--access-key-id", required=True)
    imp = add_verb(group, "import", "import an exported profile or a sandbox endpoints file", _import)
    imp.add_argument("file")
    imp.add_argument("--name", help="name of the new profile")
    imp.add_argument("--overwrite", action="store_true")
    exp = add_verb(group, "export", "export a profile as JSON (no secrets)", _export)
    exp.add_argument("name")
    exp.add_argument("-o", "--output", help="file to write (default: stdout)")
