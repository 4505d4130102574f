"""Scrub tokens and secrets out of text before it reaches a log file or a crash report."""

from __future__ import annotations

import re
import threading

_MASK = "[REDACTED]"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization headers and bearer values.
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(bearer|basic)?\s*[^\s'\",}]+"), r"\1" + _MASK),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer " + _MASK),
    # JWTs anywhere (header.payload.signature, base64url).
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), _MASK),
    # key=value / "key": "value" for secret-looking keys.
    (
        re.compile(
            r"(?i)((?:access_token|refresh_token|id_token|device_code|client_secret|password|secret|"
            r"aws_secret_access_key|SecretAccessKey|SessionToken|aws_session_token|token|"
            r"X-Amz-Signature|X-Amz-Security-Token|Plaintext)['\"]?\s*[:=]\s*['\"]?)[^\s'\"&,}]+"
        ),
        r"\1" + _MASK,
    ),
)


class SecretRegistry:
    """Literal secret values known at run time (e.g. a token just received) to mask wherever they appear."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str | None) -> None:
        if value and len(value) >= 8:
            with self._lock:
                self._values.add(value)

    def snapshot(self) -> list[str]:
        with self._lock:
            return sorted(self._values, key=len, reverse=True)


KNOWN_SECRETS = SecretRegistry()


def redact(text: str) -> str:
    for value in KNOWN_SECRETS.snapshot():
        text = text.replace(value, _MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
