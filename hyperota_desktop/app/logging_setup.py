"""Logging to a rotating file in the log folder, with every record passed through the redaction filter."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from hyperota_desktop.domain.redaction import redact
from hyperota_desktop.stores.private import private_dir, private_opener

LOG_FILE = "hyperota.log"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are 0600 whatever the umask (each rotation opens a new file)."""

    def _open(self):  # type: ignore[no-untyped-def]
        return open(
            self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors, opener=private_opener
        )


class RedactingFormatter(logging.Formatter):
    """Redacts the final text (message, args and traceback), so no path around the filter exists."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(log_dir: Path, level: str = "INFO", *, stderr: bool = False) -> Path:
    private_dir(log_dir)
    path = log_dir / LOG_FILE
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_hyperota", False):
            root.removeHandler(handler)
            handler.close()
    formatter = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    file_handler = PrivateRotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    file_handler.setFormatter(formatter)
    file_handler._hyperota = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    if stderr:
        console = logging.StreamHandler()
        console.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
        console.setLevel(logging.WARNING)
        console._hyperota = True  # type: ignore[attr-defined]
        root.addHandler(console)
    root.setLevel(level.upper())
    # Third-party chatter stays out unless debugging.
    for noisy in ("botocore", "boto3", "urllib3", "httpx", "httpcore", "s3transfer", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING if level.upper() != "DEBUG" else logging.DEBUG)
    return path
