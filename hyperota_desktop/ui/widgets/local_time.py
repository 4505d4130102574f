"""The one way the app shows a point in time: the local date and time with the zone
("2026-11-30 16:05 CET"), whatever it was stored as (an aware or UTC datetime, an ISO 8601 text as the
servers and manifests write it, or seconds since the epoch). Every page uses it, so the same moment reads
the same on the Packages, Releases, Activity and Archives pages."""

from __future__ import annotations

from datetime import UTC, datetime

FORMAT = "%Y-%m-%d %H:%M %Z"


def local_time(at: datetime | str | float | None) -> str:
    """`at` in the local zone; "" for nothing, and a text that is no time is shown as it is."""
    if at is None or at == "":
        return ""
    if isinstance(at, str):
        try:
            moment = datetime.fromisoformat(at.strip().replace("Z", "+00:00"))
        except ValueError:
            return at
    elif isinstance(at, datetime):
        moment = at
    else:
        moment = datetime.fromtimestamp(float(at), UTC)
    if moment.tzinfo is None:  # the servers write UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime(FORMAT)
