"""Server secrets: encrypt chosen keys of the Hyper OTA server's `.env` with KMS, and decrypt to check.

`encrypt` writes `.env.encrypted` (each chosen value → base64 KMS ciphertext; see `domain.dotenv`);
`decrypt` reads one back for whoever's AWS credentials may decrypt. Values never reach a log: they are
registered with the log redaction as soon as they are read, are not part of any error message, and the
callers show them only when asked to.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.dotenv import (
    EnvEntry,
    SecretsHeader,
    header_of,
    keys_of,
    parse_env,
    render_encrypted,
)
from hyperota_desktop.domain.errors import HyperOtaError, ValidationError
from hyperota_desktop.domain.redaction import KNOWN_SECRETS
from hyperota_desktop.services.kms import Kms

MAX_PLAINTEXT = 4096  # KMS Encrypt takes at most 4 KB


@dataclass(frozen=True)
class EnvFile:
    path: Path
    entries: list[EnvEntry]

    @property
    def keys(self) -> list[str]:
        return keys_of(self.entries)

    @property
    def header(self) -> SecretsHeader | None:
        return header_of(self.entries)


@dataclass(frozen=True)
class EncryptResult:
    path: Path
    kms_key: str  # ARN
    context: dict[str, str]
    encrypted: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "kms_key": self.kms_key, "context": self.context,
                "encrypted": list(self.encrypted)}  # fmt: skip


@dataclass(frozen=True)
class DecryptedValue:
    key: str
    ok: bool
    value: str = field(default="", repr=False)
    problem: str = ""

    def to_dict(self, *, show: bool) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "ok": self.ok, "problem": self.problem}
        if show and self.ok:
            data["value"] = self.value
        return data


def _read(path: Path) -> EnvFile:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValidationError(f"{path} is not a UTF-8 text file.") from None
    except OSError as exc:
        raise ValidationError(f"Could not read {path} ({exc.strerror or exc}).") from None
    return EnvFile(path, parse_env(text))


def _write_private(path: Path, text: str) -> None:
    """Atomically, readable only by the owner (it sits next to secrets)."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


class ServerSecrets:
    def __init__(self, kms: Kms | None, default_key: str = "") -> None:
        self.kms = kms
        self.default_key = default_key

    def _kms(self) -> Kms:
        if self.kms is None:
            raise ValidationError("Server secrets need KMS: no profile is active.", hint="Choose a profile.")
        return self.kms

    async def read(self, path: Path) -> EnvFile:
        return await asyncio.to_thread(_read, path)

    async def encrypt(
        self,
        path: Path,
        keys: list[str],
        *,
        kms_key: str | None = None,
        context: Mapping[str, str] | None = None,
        out: Path | None = None,
    ) -> EncryptResult:
        """Encrypt `keys` of the `.env` at `path` into `out` (default: `<path>.encrypted`)."""
        key = kms_key or self.default_key
        if not key:
            raise ValidationError(
                "Which KMS key encrypts?",
                hint="Give --key, or set the profile's data key.",
                gui_hint="Fill in the KMS key that encrypts, or set the profile's data key (Edit profile…).",
            )
        env = await self.read(path)
        values = {e.key: e.value for e in env.entries if e.key is not None}
        unknown = [k for k in keys if k not in values]
        if unknown:
            raise ValidationError(f"{path.name} has no {', '.join(unknown)}.")
        if not keys:
            raise ValidationError(
                "Choose the keys to encrypt.",
                hint="e.g. --keys DB_PASSWORD,KEYCLOAK_SECRET",
                gui_hint="Tick the keys to encrypt in the file's list.",
            )
        ctx = dict(context or {})
        kms = self._kms()
        ciphertexts: dict[str, str] = {}
        arn = ""
        for name in keys:
            KNOWN_SECRETS.add(values[name])  # from now on masked in every log line
            plain = values[name].encode()
            if len(plain) > MAX_PLAINTEXT:
                raise ValidationError(f"The value of {name} is larger than KMS encrypts (4096 bytes).")
            arn, blob = await kms.encrypt(key, plain, ctx, what=f"Encrypt {name}")
            ciphertexts[name] = base64.b64encode(blob).decode("ascii")
        target = out or path.with_name(path.name + ".encrypted")
        header = SecretsHeader(arn, ctx, tuple(keys))
        await asyncio.to_thread(_write_private, target, render_encrypted(env.entries, ciphertexts, header))
        return EncryptResult(target, arn, ctx, tuple(keys))

    async def decrypt(
        self, path: Path, *, keys: list[str] | None = None, context: Mapping[str, str] | None = None
    ) -> list[DecryptedValue]:
        """Decrypt the encrypted values of a `.env.encrypted`: the keys its header names, or `keys`, or
        (a file without our header) every value that looks like base64. One result per key."""
        env = await self.read(path)
        header = env.header
        wanted = keys or (list(header.keys) if header else [])
        ctx = dict(context if context is not None else (header.context if header else {}))
        values = {e.key: e.value for e in env.entries if e.key is not None}
        if not wanted:
            wanted = [k for k, v in values.items() if _looks_encrypted(v)]
        if not wanted:
            raise ValidationError(
                f"{path.name} holds no encrypted values.",
                hint="Name them with --keys.",
                gui_hint="Open the .env.encrypted file this app wrote: its header names the encrypted keys.",
            )
        kms = self._kms()
        results: list[DecryptedValue] = []
        for name in wanted:
            if name not in values:
                results.append(DecryptedValue(name, False, problem="not in the file"))
                continue
            try:
                blob = base64.b64decode(values[name], validate=True)
            except (binascii.Error, ValueError):
                results.append(DecryptedValue(name, False, problem="not base64: not encrypted"))
                continue
            try:
                plain = await kms.decrypt(
                    blob, ctx, key=header.kms_key if header else "", what=f"Decrypt {name}"
                )
            except HyperOtaError as exc:
                results.append(DecryptedValue(name, False, problem=exc.user_text()))
                continue
            try:
                text = plain.decode("utf-8")
            except UnicodeDecodeError:
                results.append(DecryptedValue(name, False, problem="decrypted, but not UTF-8 text"))
                continue
            KNOWN_SECRETS.add(text)
            results.append(DecryptedValue(name, True, text))
        return results


def _looks_encrypted(value: str) -> bool:
    if len(value) < 40:
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
