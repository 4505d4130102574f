"""Logging to a rotating file in the log folder, every record redacted twice: its arguments before it
is formatted (`RedactingFilter`, structure-aware: header mappings, bytes), and the final text after
(`RedactingFormatter`: message, arguments and traceback together), so no path around the redaction
exists. Libraries (botocore, urllib3, httpx, ...) stay at WARNING even with `--log-level DEBUG`
unless `HYPEROTA_DEBUG_LIBRARIES=1` asks for their debug output too (still redacted)."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from hyperota_desktop.domain.redaction import redact, redact_value
from hyperota_desktop.domain.settings import LOG_LEVELS
from hyperota_desktop.stores.private import private_dir, private_opener

LOG_FILE = "hyperota.log"
LEVELS = LOG_LEVELS
LIBRARIES = ("botocore", "boto3", "urllib3", "httpx", "httpcore", "s3transfer", "werkzeug", "hpack", "moto")
LIBRARIES_ENV = "HYPEROTA_DEBUG_LIBRARIES"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are 0600 whatever the umask (each rotation opens a new file)."""

    def _open(self):  # type: ignore[no-untyped-def]
        return open(
            self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors, opener=private_opener
        )


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's arguments before formatting: a header mapping keeps its shape with
    `Authorization` masked, bytes become redacted text (a `b'…'` repr can no longer hide a value)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = redact_value(record.args)
        elif isinstance(record.msg, str | bytes):
            record.msg = redact_value(record.msg)  # with arguments the format string stays intact
        return True


class RedactingFormatter(logging.Formatter):
    """Redacts the final text (message, args and traceback), so no path around the filter exists."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(
    log_dir: Path, level: str = "INFO", *, stderr: bool = False, libraries: bool | None = None
) -> Path:
    """Log to `log_dir/hyperota.log`; `libraries` (default: the `HYPEROTA_DEBUG_LIBRARIES` variable)
    lets third-party loggers follow a DEBUG level instead of staying at WARNING."""
    private_dir(log_dir)
    path = log_dir / LOG_FILE
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_hyperota", False):
            root.removeHandler(handler)
            handler.close()
    redacting = RedactingFilter()
    file_handler = PrivateRotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    file_handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    file_handler.addFilter(redacting)
    file_handler._hyperota = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    if stderr:
        console = logging.StreamHandler()
        console.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
        console.addFilter(redacting)
        console.setLevel(logging.WARNING)
        console._hyperota = True  # type: ignore[attr-defined]
        root.addHandler(console)
    level = level.upper()
    root.setLevel(level)
    if libraries is None:
        libraries = os.environ.get(LIBRARIES_ENV, "").strip().lower() in ("1", "true", "yes", "all")
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(level if libraries and level == "DEBUG" else logging.WARNING)
    return path
