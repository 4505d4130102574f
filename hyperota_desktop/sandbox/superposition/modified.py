"""`Last-Modified` / `If-Modified-Since` of the config endpoints, in the server's own formats.

The server formats with chrono 0.4.34 (Cargo.lock at v0.74.0, v0.87.0 and v0.117.1): a GET gets
`DateTime::to_rfc2822` ("Tue, 1 Jul 2025 10:52:37 +0000": the day is not padded, the zone is +0000), a
POST (the Smithy SDK's method) gets `to_rfc3339` (`SecondsFormat::AutoSi`, "+00:00"). 304 when the newest
change, cut to whole seconds, is not after If-Modified-Since (`is_not_modified`: config/handlers.rs on
v0.74/v0.87, service_utils/src/helpers.rs on v0.117).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from .builds import Build
    from .state import Workspace

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc2822(ts: datetime) -> str:
    """chrono `write_rfc2822`: the day of month without padding, `+0000` for UTC."""
    ts = ts.astimezone(UTC)
    return (
        f"{_DAYS[ts.weekday()]}, {ts.day} {_MONTHS[ts.month - 1]} {ts.year:04d} "
        f"{ts.hour:02d}:{ts.minute:02d}:{ts.second:02d} +0000"
    )


def rfc3339(ts: datetime) -> str:
    """chrono `to_rfc3339`: `SecondsFormat::AutoSi` (0, 3 or 6 fraction digits here) and `+00:00`."""
    ts = ts.astimezone(UTC)
    base = ts.strftime("%Y-%m-%dT%H:%M:%S")
    us = ts.microsecond
    fraction = "" if us == 0 else f".{us // 1000:03d}" if us % 1000 == 0 else f".{us:06d}"
    return f"{base}{fraction}+00:00"


def header_value(ts: datetime, *, smithy: bool) -> str:
    return rfc3339(ts) if smithy else rfc2822(ts)


def last_change(ws: Workspace, build: Build) -> datetime | None:
    """`get_max_created_at`: the newest config version (v0.117), or the newest event-log row of the
    contexts and default_configs tables (v0.74, v0.87). None when there is none (no header, no 304)."""
    if build.last_modified_from == "config_versions":
        stamps = [v["created_at"] for v in ws.versions]
    else:
        stamps = [a["timestamp"] for a in ws.audit if a["table_name"] in ("contexts", "default_configs")]
    return max(stamps) if stamps else None


def since(request: Request, *, rfc3339_form: bool) -> datetime | None:
    """If-Modified-Since as the server parses it (None when absent or unreadable), not truncated."""
    raw = request.headers.get("If-Modified-Since")
    if not raw:
        return None
    try:
        parsed = (
            datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
            if rfc3339_form
            else parsedate_to_datetime(raw)
        )
    except (TypeError, ValueError, IndexError):
        return None  # the server ignores a header it cannot parse
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def not_modified(latest: datetime | None, request: Request, build: Build) -> bool:
    if latest is None:
        return False
    smithy = request.method == "POST" and build.smithy_if_modified_since
    asked = since(request, rfc3339_form=smithy)
    if asked is None:
        return False
    return latest.astimezone(UTC).replace(microsecond=0) <= asked.replace(microsecond=0)


def is_smithy(request: Request) -> bool:
    return request.method == "POST"
