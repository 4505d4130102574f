"""`hyperota secrets encrypt|decrypt`: the Hyper OTA server's `.env` secrets, KMS-encrypted.

Values are never printed unless `decrypt --show` asks for them (and never logged).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hyperota_desktop.cli.framework import CliContext, add_group, add_verb
from hyperota_desktop.domain.archive_seal import parse_context
from hyperota_desktop.domain.dotenv import suggested
from hyperota_desktop.domain.errors import ExitCode, ValidationError
from hyperota_desktop.services.server_secrets import ServerSecrets


def _service(ctx: CliContext) -> ServerSecrets:
    return ctx.profile().server_secrets


def _keys(text: str | None) -> list[str]:
    return [k.strip() for k in (text or "").split(",") if k.strip()]


async def _encrypt(ctx: CliContext, args: argparse.Namespace) -> int:
    service = _service(ctx)
    path = Path(args.env)
    keys = _keys(args.keys)
    if not keys:
        keys = suggested((await service.read(path)).entries)
        if not keys:
            raise ValidationError(f"No key of {path.name} looks secret.", hint="Name them with --keys A,B.")
        ctx.info(f"Encrypting the keys that look secret: {', '.join(keys)} (choose others with --keys).")
    context = parse_context(args.context or [])
    if context:
        ctx.info("Note: the Hyper OTA server decrypts without an encryption context; it needs the same "
                 "context to read these values.")  # fmt: skip
    result = await service.encrypt(
        path, keys, kms_key=args.key, context=context, out=Path(args.output) if args.output else None
    )
    ctx.emit(
        result.to_dict(),
        f"Wrote {result.path}: {', '.join(result.encrypted)} encrypted with {result.kms_key}.",
    )
    return 0


async def _decrypt(ctx: CliContext, args: argparse.Namespace) -> int:
    service = _service(ctx)
    context = parse_context(args.context) if args.context else None
    results = await service.decrypt(Path(args.env), keys=_keys(args.keys) or None, context=context)

    def text() -> str:
        lines = []
        for r in results:
            if not r.ok:
                lines.append(f"  FAIL  {r.key}: {r.problem}")
            elif args.show:
                lines.append(f"  ok    {r.key}={r.value}")
            else:
                lines.append(f"  ok    {r.key}: decrypts ({len(r.value)} characters; --show prints it)")
        return "\n".join(lines)

    ctx.emit({"values": [r.to_dict(show=args.show) for r in results]}, text)
    return 0 if all(r.ok for r in results) else int(ExitCode.INTEGRITY)


def register(subparsers: Any) -> None:
    sub = add_group(subparsers, "secrets", "the Hyper OTA server's .env secrets, encrypted with KMS")
    p = add_verb(sub, "encrypt", "Encrypt chosen keys of a .env into .env.encrypted (base64 ciphertexts).",
                 _encrypt)  # fmt: skip
    p.add_argument("env", help="the .env file")
    p.add_argument("--keys", metavar="A,B", help="keys to encrypt (default: those whose names look secret)")
    p.add_argument("--key", metavar="KMS_KEY", help="KMS key (default: the profile's data key)")
    p.add_argument("--context", action="append", metavar="NAME=VALUE", help="encryption context pair")
    p.add_argument("-o", "--output", metavar="FILE", help="default: <env>.encrypted")
    p = add_verb(
        sub, "decrypt", "Decrypt a .env.encrypted to check it (values hidden unless --show).", _decrypt
    )
    p.add_argument("env", help="the .env.encrypted file")
    p.add_argument("--keys", metavar="A,B", help="keys to decrypt (default: those the file marks encrypted)")
    p.add_argument("--context", action="append", metavar="NAME=VALUE", help="encryption context pair")
    p.add_argument("--show", action="store_true", help="print the decrypted values")
