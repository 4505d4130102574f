"""Scrub tokens and secrets out of text before it reaches a log file or a crash report.

Two layers, so that nothing depends on a secret having been seen before it is logged:

1. **Structure.** Values are masked by where they stand, whatever they are: the value of a secret key
   in a mapping (`redact_value`, used on log arguments before a record is formatted), in JSON or a
   Python repr (`"SessionToken": "…"`, `'Authorization': b'…'` — the `b` prefix included), in XML
   (`<SecretAccessKey>…</SecretAccessKey>`), in a query string or form body (`X-Amz-Signature=…`,
   `refresh_token=…`), in an HTTP header line (`x-amz-security-token:…`), plus every JWT and bearer
   value anywhere. Bytes are decoded first, so `b'…'` reprs are redacted like text.
2. **Known values.** Literal secrets registered at run time (`KNOWN_SECRETS.add`) are masked wherever
   they appear, even with no key next to them. The registry is bounded (oldest values leave first:
   they are expired tokens by then) and its pattern is compiled once per change, not per record.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

MASK = "[REDACTED]"
_MASK = MASK

# Keys whose values are secrets wherever they appear (compared case-insensitively, '-' == '_').
SECRET_KEYS = frozenset(
    k.lower().replace("-", "_")
    for k in (
        "authorization", "proxy-authorization", "cookie", "set-cookie",
        "access_token", "refresh_token", "id_token", "device_code", "client_secret", "password",
        "secret", "token", "code_verifier", "WebIdentityToken", "SAMLAssertion",
        "aws_secret_access_key", "aws_session_token", "SecretAccessKey", "SessionToken", "AccessKeyId",
        "X-Amz-Security-Token", "X-Amz-Signature", "X-Amz-Credential", "Signature",
        "Plaintext",  # KMS: data keys (GenerateDataKey/Decrypt) and what Encrypt protects
    )
)  # fmt: skip
_KEY_ALTERNATION = "|".join(
    sorted({re.escape(k).replace("_", "[_-]") for k in SECRET_KEYS}, key=len, reverse=True)
)
_K = rf"(?:{_KEY_ALTERNATION})"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # XML elements: <SecretAccessKey>…</SecretAccessKey> (STS answers), any namespace prefix.
    (re.compile(rf"(?is)(<(?:\w+:)?({_K})(?:\s[^>]*)?>)(.*?)(</(?:\w+:)?\2\s*>)"), rf"\1{_MASK}\4"),
    # Quoted values after a secret key, as JSON or a Python repr, with an optional b'' prefix:
    # "SessionToken": "…", 'Authorization': b'AWS4-HMAC-SHA256 Credential=…, Signature=…'.
    (
        re.compile(rf"(?i)([\"']?\b{_K}[\"']?\s*[:=]\s*b?)([\"'])((?:\\.|(?!\2).)*)\2"),
        rf"\1\2{_MASK}\2",
    ),
    # Header lines (raw HTTP, SigV4 canonical requests): `Authorization: AWS4-HMAC-SHA256 …` to the
    # end of the line; `x-amz-security-token:…`.
    (re.compile(rf"(?im)^(\s*{_K}\s*:[ \t]*)(?![\"'\s]).+$"), rf"\1{_MASK}"),
    # Unquoted key=value (query strings, form bodies, reprs): refresh_token=…&, X-Amz-Signature=….
    (re.compile(rf"(?i)(\b{_K}\s*=\s*)(?![\"'\s\[])[^\s'\"&,;}}<)]+"), rf"\1{_MASK}"),
    # botocore.auth logs the SigV4 signature on the line after "Signature:".
    (re.compile(r"(?i)(\bsignature:\s*\n\s*)[0-9a-f]{64}\b"), rf"\1{_MASK}"),
    # Bearer values and JWTs anywhere (header.payload.signature, base64url).
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer " + _MASK),
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), _MASK),
)


def _secret_key(key: object) -> bool:
    text = key.decode("latin-1") if isinstance(key, bytes) else key
    return isinstance(text, str) and text.lower().replace("-", "_") in SECRET_KEYS


class SecretRegistry:
    """Literal secret values known at run time (e.g. a token just received), masked wherever they appear.

    Bounded to `limit` values (least recently added leave first); the matching pattern is rebuilt only
    when the set changes."""

    def __init__(self, limit: int = 256) -> None:
        self._values: OrderedDict[str, None] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None
        self.rebuilds = 0  # how often the pattern was compiled (tests: once per change, not per record)

    def add(self, value: str | None) -> None:
        if not value or len(value) < 8:
            return
        with self._lock:
            if value in self._values:
                self._values.move_to_end(value)
                return
            self._values[value] = None
            while len(self._values) > self._limit:
                self._values.popitem(last=False)
            self._pattern = None

    def __len__(self) -> int:
        return len(self._values)

    def pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._values:
                ordered = sorted(self._values, key=len, reverse=True)  # longest first: no partial masks
                self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
                self.rebuilds += 1
            return self._pattern

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None


KNOWN_SECRETS = SecretRegistry()


def redact(text: str) -> str:
    """`text` with every secret masked (structure first, then registered values)."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    known = KNOWN_SECRETS.pattern()
    if known is not None:
        text = known.sub(_MASK, text)
    return text


def redact_value(value: Any, _depth: int = 0) -> Any:
    """A log argument made safe before formatting: mappings keep their shape with secret keys masked,
    bytes become redacted text, other objects their redacted `str()`; numbers stay numbers."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if _depth > 8:
        return _MASK
    if isinstance(value, Mapping):
        return {k: (_MASK if _secret_key(k) else redact_value(v, _depth + 1)) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(redact_value(v, _depth + 1) for v in value)
    if isinstance(value, list | set | frozenset):
        return [redact_value(v, _depth + 1) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return redact(bytes(value).decode("utf-8", "backslashreplace"))
    try:
        return redact(value if isinstance(value, str) else str(value))
    except Exception:  # a __str__ that fails must not break logging
        return f"<{type(value).__name__}>"
