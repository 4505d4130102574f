"""A release's history for support staff: every action (who, when, what, why) and its traffic over time.

Built from Superposition's audit log (`GET /audit`, table `experiments`: one entry per insert/update, with
the row before and after) and, where the log does not reach (it keeps what the operator keeps; the server
lists the last 7 days unless asked for more), from the experiment's own timestamps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hyperota_desktop.domain.releases import (
    CONTROL,
    Release,
    ReleaseStatus,
    parse_time,
    share_on_new,
)


@dataclass(frozen=True)
class RolloutEvent:
    at: datetime
    who: str
    what: str  # "created", "started at 20%", "ramped 20% → 30%", "paused", ...
    why: str  # the change reason given with the action
    status: ReleaseStatus
    percent: int  # share of the target's devices on the new package after the action
    source: str = "audit"  # "audit" or "experiment" (reconstructed from its timestamps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "who": self.who,
            "what": self.what,
            "why": self.why,
            "status": self.status.value,
            "percent": self.percent,
            "source": self.source,
        }


def _status(row: Mapping[str, Any]) -> ReleaseStatus | None:
    try:
        return ReleaseStatus(str(row.get("status")))
    except ValueError:
        return None


def _reverted(row: Mapping[str, Any]) -> bool:
    chosen = row.get("chosen_variant")
    for v in row.get("variants") or []:
        if isinstance(v, Mapping) and v.get("id") == chosen:
            return v.get("variant_type") == CONTROL
    return False


def _percent(row: Mapping[str, Any]) -> int:
    status = _status(row) or ReleaseStatus.CREATED
    traffic = row.get("traffic_percentage")
    return share_on_new(status, traffic if isinstance(traffic, int) else 0, _reverted(row))


def _describe(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    status, before = _status(new), _status(old) if old else None
    traffic = new.get("traffic_percentage")
    if old is None:
        return "created"
    if status is ReleaseStatus.CONCLUDED:
        return "reverted (concluded on control)" if _reverted(new) else "released to every device"
    if status is ReleaseStatus.DISCARDED:
        return "discarded"
    if status is ReleaseStatus.PAUSED:
        return "paused"
    if before is ReleaseStatus.PAUSED and status is ReleaseStatus.INPROGRESS:
        return f"resumed at {traffic}%"
    if before is ReleaseStatus.CREATED and status is ReleaseStatus.INPROGRESS:
        return f"started at {traffic}%"
    if old.get("traffic_percentage") != traffic:
        return f"ramped {old.get('traffic_percentage')}% → {traffic}%"
    if old.get("variants") != new.get("variants") or old.get("description") != new.get("description"):
        return "edited"
    return "updated"


def events_from_audit(release_id: str, entries: Iterable[Mapping[str, Any]]) -> list[RolloutEvent]:
    """The release's events from audit-log entries (any table, any experiment: filtered here), oldest
    first. The server's rows carry the id as a number, the API as a string: both match."""
    events: list[RolloutEvent] = []
    for entry in entries:
        if entry.get("table_name") != "experiments":
            continue
        old, new = entry.get("original_data"), entry.get("new_data")
        row = new if isinstance(new, Mapping) else None
        if row is None or str(row.get("id")) != release_id:
            continue
        at = parse_time(entry.get("timestamp"))
        status = _status(row)
        if at is None or status is None:
            continue
        events.append(
            RolloutEvent(
                at=at,
                who=str(entry.get("user_name") or row.get("last_modified_by") or ""),
                what=_describe(old if isinstance(old, Mapping) else None, row),
                why=str(row.get("change_reason") or ""),
                status=status,
                percent=_percent(row),
            )
        )
    events.sort(key=lambda e: e.at)
    return events


def events_from_release(release: Release) -> list[RolloutEvent]:
    """What the experiment itself tells when the audit log does not: creation, start, last change."""
    events: list[RolloutEvent] = []
    if release.created_at is not None:
        events.append(
            RolloutEvent(
                release.created_at, release.created_by, "created", "", ReleaseStatus.CREATED, 0, "experiment"
            )
        )
    if release.started_at is not None:
        events.append(
            RolloutEvent(
                release.started_at,
                release.started_by,
                "started",
                "",
                ReleaseStatus.INPROGRESS,
                release.traffic if release.status is ReleaseStatus.INPROGRESS else 0,
                "experiment",
            )
        )
    if release.last_modified is not None and release.last_modified not in (
        release.created_at,
        release.started_at,
    ):
        events.append(
            RolloutEvent(
                release.last_modified,
                release.last_modified_by,
                f"last change: {release.status_text}",
                release.change_reason,
                release.status,
                release.devices_percent,
                "experiment",
            )
        )
    return events


def merge_events(audit: Sequence[RolloutEvent], fallback: Sequence[RolloutEvent]) -> list[RolloutEvent]:
    """The audit's events, preceded by the experiment's own for what happened before the log reaches."""
    if not audit:
        return list(fallback)
    first = audit[0].at
    earlier = [e for e in fallback if e.at < first and e.what in ("created", "started")]
    if audit[0].what == "created":
        earlier = []
    return [*earlier, *audit]


def traffic_series(events: Sequence[RolloutEvent]) -> tuple[tuple[datetime, int], ...]:
    """Points of a step chart: the share of devices on the new package after each event."""
    return tuple((e.at, e.percent) for e in events)
