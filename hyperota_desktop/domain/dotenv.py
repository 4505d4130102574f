"""`.env` files of the Hyper OTA server and their KMS-encrypted twin, `.env.encrypted`.

The server reads `KEY=<base64 KMS ciphertext>` for its secrets and decrypts each with KMS
(juspay/hyper-ota `server/src/utils/kms/mod.rs`, commit d2369144: `Decrypt` of the base64-decoded value,
with no encryption context), every other line passing through unchanged — the layout of the server's
own `encrypt_env.sh`. We write exactly that, plus one comment line saying which keys are encrypted, with
which KMS key and context, so `decrypt` can check it later. Pure text handling: no values are logged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from hyperota_desktop.domain.errors import ValidationError

HEADER_PREFIX = "# hyperota-secrets: "
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_SENSITIVE_RE = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL)", re.IGNORECASE)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$"}


@dataclass(frozen=True)
class EnvEntry:
    """One line (or a multi-line quoted value) of a `.env` file; `key` None for comments and blanks."""

    raw: str = field(repr=False)  # the original text, newline excluded (holds the value)
    key: str | None = None
    value: str = field(default="", repr=False)
    export: bool = False


@dataclass(frozen=True)
class SecretsHeader:
    kms_key: str
    context: dict[str, str]
    keys: tuple[str, ...]

    def line(self) -> str:
        body = {"context": self.context, "key": self.kms_key, "keys": list(self.keys)}
        return HEADER_PREFIX + json.dumps(body, sort_keys=True, separators=(",", ":"))

    @classmethod
    def parse(cls, line: str) -> SecretsHeader | None:
        if not line.startswith(HEADER_PREFIX):
            return None
        try:
            data: Any = json.loads(line[len(HEADER_PREFIX) :])
            return cls(str(data["key"]), {str(k): str(v) for k, v in data["context"].items()},
                       tuple(str(k) for k in data["keys"]))  # fmt: skip
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ValidationError("The hyperota-secrets header line is damaged.") from None


def _unquote(text: str) -> str:
    quote = text[0]
    if quote == "'":
        return text[1:-1]
    out: list[str] = []
    i = 1
    while i < len(text) - 1:
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) - 1:
            nxt = text[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def parse_env(text: str) -> list[EnvEntry]:
    """Every line of a `.env` file, keys and values decoded (ValidationError with the line number)."""
    entries: list[EnvEntry] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        stripped = raw.strip()
        i += 1
        if not stripped or stripped.startswith("#"):
            entries.append(EnvEntry(raw))
            continue
        body = stripped
        export = body.startswith("export ")
        if export:
            body = body[len("export ") :].lstrip()
        key, sep, rest = body.partition("=")
        key = key.strip()
        if not sep or not _KEY_RE.match(key):
            raise ValidationError(f".env line {i}: expected NAME=VALUE.")
        rest = rest.strip()
        if rest[:1] in ("'", '"'):
            quote, start = rest[0], i
            while not _closed(rest, quote):
                if i >= len(lines):
                    raise ValidationError(f".env line {start}: the quoted value of {key} never ends.")
                rest += "\n" + lines[i]
                raw += "\n" + lines[i]
                i += 1
            end = _closing(rest, quote)
            value = _unquote(rest[: end + 1])
        else:
            value = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
        entries.append(EnvEntry(raw, key, value, export))
    return entries


def _closing(text: str, quote: str) -> int:
    i = 1
    while i < len(text):
        if text[i] == "\\" and quote == '"':
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    return -1


def _closed(text: str, quote: str) -> bool:
    return len(text) > 1 and _closing(text, quote) > 0


def keys_of(entries: list[EnvEntry]) -> list[str]:
    return [e.key for e in entries if e.key is not None]


def suggested(entries: list[EnvEntry]) -> list[str]:
    """Keys whose names say they hold secrets (what the Secrets page ticks by default)."""
    return [k for k in keys_of(entries) if _SENSITIVE_RE.search(k)]


def header_of(entries: list[EnvEntry]) -> SecretsHeader | None:
    for entry in entries:
        if entry.key is None and entry.raw.startswith(HEADER_PREFIX):
            return SecretsHeader.parse(entry.raw)
    return None


def render_encrypted(entries: list[EnvEntry], ciphertexts: dict[str, str], header: SecretsHeader) -> str:
    """The `.env.encrypted` text: the header, then every line as it was except the encrypted keys."""
    lines = [header.line()]
    for entry in entries:
        if entry.key is None and entry.raw.startswith(HEADER_PREFIX):
            continue  # an older header is replaced
        if entry.key is not None and entry.key in ciphertexts:
            lines.append(f"{'export ' if entry.export else ''}{entry.key}={ciphertexts[entry.key]}")
        else:
            lines.append(entry.raw)
    return "\n".join(lines) + "\n"
