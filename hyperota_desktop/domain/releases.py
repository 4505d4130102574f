"""Releases: one Superposition experiment each (releases-and-storage.md).

Variant `control` holds what the target resolved to when the release was made, `experimental` the new
package and config. The server's `traffic_percentage` is *per variant*: at N, N % of the devices in the
target get the experimental variant (and another N % are held on control), so N is also the share of
devices on the new package, capped at 100 / number of variants while the release ramps. Concluding on
experimental gives it to every device in the target; concluding on control reverts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from hyperota_desktop.domain.errors import IntegrityError, ValidationError
from hyperota_desktop.domain.targeting import Target, flat_condition

CONTROL, EXPERIMENTAL = "CONTROL", "EXPERIMENTAL"


class ReleaseStatus(StrEnum):
    CREATED = "CREATED"
    INPROGRESS = "INPROGRESS"
    PAUSED = "PAUSED"
    CONCLUDED = "CONCLUDED"
    DISCARDED = "DISCARDED"

    @property
    def unfinished(self) -> bool:
        return self in (ReleaseStatus.CREATED, ReleaseStatus.INPROGRESS, ReleaseStatus.PAUSED)

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ReleaseStatus.CREATED: "created",
    ReleaseStatus.INPROGRESS: "ramping",
    ReleaseStatus.PAUSED: "paused",
    ReleaseStatus.CONCLUDED: "concluded",
    ReleaseStatus.DISCARDED: "discarded",
}


def parse_status(text: str) -> ReleaseStatus:
    wanted = text.strip().upper()
    for status in ReleaseStatus:
        if wanted in (status.value, status.label.upper()):
            return status
    names = ", ".join(s.label for s in ReleaseStatus)
    raise ValidationError(f"Unknown release status '{text}': use {names}.")


class ReleaseAction(StrEnum):
    EDIT = "edit"
    RAMP = "ramp"
    PAUSE = "pause"
    RESUME = "resume"
    CONCLUDE = "conclude"
    REVERT = "revert"
    DISCARD = "discard"


# The server's transitions (NOTES.md): ramp in CREATED/INPROGRESS, overrides only in CREATED, conclude only
# in INPROGRESS, discard in CREATED/INPROGRESS/PAUSED.
ALLOWED: dict[ReleaseStatus, frozenset[ReleaseAction]] = {
    ReleaseStatus.CREATED: frozenset({ReleaseAction.EDIT, ReleaseAction.RAMP, ReleaseAction.DISCARD}),
    ReleaseStatus.INPROGRESS: frozenset(
        {
            ReleaseAction.RAMP,
            ReleaseAction.PAUSE,
            ReleaseAction.CONCLUDE,
            ReleaseAction.REVERT,
            ReleaseAction.DISCARD,
        }
    ),
    ReleaseStatus.PAUSED: frozenset({ReleaseAction.RESUME, ReleaseAction.DISCARD}),
    ReleaseStatus.CONCLUDED: frozenset(),
    ReleaseStatus.DISCARDED: frozenset(),
}


def check_allowed(status: ReleaseStatus, action: ReleaseAction, release_id: str) -> None:
    if action not in ALLOWED[status]:
        can = ", ".join(sorted(a.value for a in ALLOWED[status])) or "nothing"
        raise ValidationError(
            f"Release {release_id} is {status.label}: it cannot be {_PAST[action]} (it can: {can})."
        )


_PAST = {
    ReleaseAction.EDIT: "edited",
    ReleaseAction.RAMP: "ramped",
    ReleaseAction.PAUSE: "paused",
    ReleaseAction.RESUME: "resumed",
    ReleaseAction.CONCLUDE: "concluded",
    ReleaseAction.REVERT: "reverted",
    ReleaseAction.DISCARD: "discarded",
}


# -- ramp: "% of devices in the target" ↔ the server's per-variant percentage ---------------------------
def ramp_cap(variant_count: int) -> int:
    """The largest per-variant percentage the server accepts (`check_max_allowed`)."""
    return 100 if variant_count < 2 else 100 // variant_count


def per_variant_traffic(percent_of_devices: Any, variant_count: int = 2) -> int:
    """The per-variant percentage that puts `percent_of_devices` % of the target on the new package."""
    if isinstance(percent_of_devices, bool) or not isinstance(percent_of_devices, int):
        raise ValidationError(
            f"The share of devices is a whole percentage, not {percent_of_devices!r}.",
            hint="Superposition only takes whole percentages (e.g. 20).",
        )
    cap = ramp_cap(variant_count)
    if not 0 <= percent_of_devices <= 100:
        raise ValidationError(f"{percent_of_devices}% is not a share of devices (0 to 100).")
    if percent_of_devices > cap:
        raise ValidationError(
            f"While a release ramps, at most {cap}% of the devices in its target can get it "
            f"(Superposition keeps an equal share on each of the {variant_count} variants).",
            hint="Conclude the release to give it to every device in the target.",
        )
    return percent_of_devices


# -- parsed experiments --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    id: str
    kind: str  # CONTROL | EXPERIMENTAL
    overrides: Mapping[str, Any]

    @property
    def package_version(self) -> int | None:
        return _int_or_none(self.overrides.get("package.version"))


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


@dataclass(frozen=True)
class Release:
    id: str
    name: str
    target: Target
    status: ReleaseStatus
    traffic: int  # per variant, as the server keeps it
    variants: tuple[Variant, ...]
    created_at: datetime | None
    created_by: str
    last_modified: datetime | None = None
    last_modified_by: str = ""
    started_at: datetime | None = None
    started_by: str = ""
    chosen_variant: str = ""
    notes: str = ""  # the experiment description: release notes (Markdown)
    change_reason: str = ""
    group_id: str = ""

    @property
    def control(self) -> Variant | None:
        return next((v for v in self.variants if v.kind == CONTROL), None)

    @property
    def experimental(self) -> Variant | None:
        return next((v for v in self.variants if v.kind == EXPERIMENTAL), None)

    @property
    def package_version(self) -> int | None:
        return self.experimental.package_version if self.experimental else None

    @property
    def previous_version(self) -> int | None:
        """The package the target had when the release was made (0 = none)."""
        return self.control.package_version if self.control else None

    @property
    def reverted(self) -> bool:
        chosen = next((v for v in self.variants if v.id == self.chosen_variant), None)
        return self.status is ReleaseStatus.CONCLUDED and chosen is not None and chosen.kind == CONTROL

    @property
    def devices_percent(self) -> int:
        """The share of the target's devices that get the new package now."""
        return share_on_new(self.status, self.traffic, self.reverted)

    @property
    def status_text(self) -> str:
        if self.status is ReleaseStatus.CONCLUDED:
            return "reverted" if self.reverted else "released"
        if self.status is ReleaseStatus.INPROGRESS:
            return f"ramping ({self.traffic}%)"
        if self.status is ReleaseStatus.PAUSED:
            return f"paused (at {self.traffic}%)"
        return self.status.label

    def variant_kind(self, variant_id: str) -> str:
        return next((v.kind for v in self.variants if v.id == variant_id), "")


def share_on_new(status: ReleaseStatus, traffic: int, reverted: bool = False) -> int:
    if status is ReleaseStatus.INPROGRESS:
        return traffic
    if status is ReleaseStatus.CONCLUDED and not reverted:
        return 100
    return 0


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _variants(data: dict[str, Any]) -> tuple[Variant, ...]:
    raw = data.get("variants") or []
    if not isinstance(raw, list):
        raise IntegrityError(f"Experiment {data['id']} has variants that are not a list.")
    found = []
    for v in raw:
        if not isinstance(v, dict):
            continue
        overrides = v.get("overrides") or {}
        if not isinstance(overrides, dict):
            raise IntegrityError(f"Experiment {data['id']} has a variant whose overrides are not an object.")
        found.append(Variant(str(v.get("id", "")), str(v.get("variant_type", "")), overrides))
    return tuple(found)


def release_from_experiment(data: Any) -> Release:
    """A `Release` from an experiment as the server sends it (either dialect)."""
    if not isinstance(data, dict) or data.get("id") is None:
        raise IntegrityError("Superposition sent an experiment without an id.")
    try:
        status = ReleaseStatus(str(data.get("status")))
    except ValueError:
        raise IntegrityError(
            f"Experiment {data['id']} has an unknown status {data.get('status')!r}."
        ) from None
    variants = _variants(data)
    try:
        target = Target.of(flat_condition(data.get("context") or {}))
    except ValidationError as exc:
        raise IntegrityError(f"Experiment {data['id']}: {exc.message}") from None
    traffic = data.get("traffic_percentage")
    return Release(
        id=str(data["id"]),
        name=str(data.get("name") or ""),
        target=target,
        status=status,
        traffic=traffic if isinstance(traffic, int) and not isinstance(traffic, bool) else 0,
        variants=variants,
        created_at=parse_time(data.get("created_at")),
        created_by=str(data.get("created_by") or ""),
        last_modified=parse_time(data.get("last_modified")),
        last_modified_by=str(data.get("last_modified_by") or ""),
        started_at=parse_time(data.get("started_at")),
        started_by=str(data.get("started_by") or ""),
        chosen_variant=str(data.get("chosen_variant") or ""),
        notes=str(data.get("description") or ""),
        change_reason=str(data.get("change_reason") or ""),
        group_id=str(data.get("experiment_group_id") or ""),
    )


@dataclass(frozen=True, slots=True)
class ReleaseSummary:
    """One row of the Releases page: what a 10,000-row table keeps per release (no file lists)."""

    id: str
    target: Target
    status: ReleaseStatus
    traffic: int
    package_version: int | None
    previous_version: int | None
    created_at: datetime | None
    created_by: str
    last_modified: datetime | None
    notes: str
    reverted: bool = False
    started_by: str = ""
    search_text: str = field(default="", repr=False, compare=False)

    @classmethod
    def of(cls, release: Release) -> ReleaseSummary:
        text = " ".join(
            (
                release.id,
                release.target.short(),
                f"v{release.package_version}" if release.package_version is not None else "",
                release.status_text,
                release.created_by,
                release.notes,
            )
        ).lower()
        return cls(
            release.id, release.target, release.status, release.traffic, release.package_version,
            release.previous_version, release.created_at, release.created_by, release.last_modified,
            release.notes, release.reverted, release.started_by, text,
        )  # fmt: skip

    @property
    def devices_percent(self) -> int:
        return share_on_new(self.status, self.traffic, self.reverted)

    @property
    def status_text(self) -> str:
        if self.status is ReleaseStatus.CONCLUDED:
            return "reverted" if self.reverted else "released"
        if self.status in (ReleaseStatus.INPROGRESS, ReleaseStatus.PAUSED):
            return f"{self.status.label} ({self.traffic}%)"
        return self.status.label

    def matches(self, needle: str) -> bool:
        return needle in self.search_text

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "target": self.target.as_dict(),
            "status": self.status.value,
            "status_text": self.status_text,
            "traffic": self.traffic,
            "devices_percent": self.devices_percent,
            "package_version": self.package_version,
            "previous_version": self.previous_version,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "created_by": self.created_by,
            "last_modified": self.last_modified.isoformat() if self.last_modified else None,
            "notes": self.notes,
        }


# -- who an action affects (for confirmations) ---------------------------------------------------------
@dataclass(frozen=True)
class Impact:
    release_id: str
    action: ReleaseAction
    target: Target
    before_percent: int  # share of the target's devices on the new package before the action
    after_percent: int
    lines: tuple[str, ...]

    @property
    def affects_devices(self) -> bool:
        return self.before_percent != self.after_percent

    def to_dict(self) -> dict[str, Any]:
        return {
            "release": self.release_id,
            "action": self.action.value,
            "target": self.target.as_dict(),
            "before_percent": self.before_percent,
            "after_percent": self.after_percent,
            "lines": list(self.lines),
        }


def _version(v: int | None) -> str:
    return "no package" if not v else f"package {v}"


def already_there(release: Release, action: ReleaseAction, percent: int | None = None) -> bool:
    """The release already is where `action` leads (the request is repeated, e.g. after its answer was
    lost): asking again changes nothing, and is answered as done."""
    status = release.status
    if action is ReleaseAction.RAMP:
        return status is ReleaseStatus.INPROGRESS and percent is not None and release.traffic == percent
    return {
        ReleaseAction.PAUSE: status is ReleaseStatus.PAUSED,
        ReleaseAction.RESUME: status is ReleaseStatus.INPROGRESS,
        ReleaseAction.CONCLUDE: status is ReleaseStatus.CONCLUDED and not release.reverted,
        ReleaseAction.REVERT: status is ReleaseStatus.CONCLUDED and release.reverted,
        ReleaseAction.DISCARD: status is ReleaseStatus.DISCARDED,
    }.get(action, False)


def impact_of(release: Release, action: ReleaseAction, percent: int | None = None) -> Impact:
    """Who `action` affects, worded for a confirmation; ValidationError if the status forbids it.
    A release already where the action leads is affected by nothing (`already_there`)."""
    if already_there(release, action, percent):
        now = release.devices_percent
        done = f"Release {release.id} is already {release.status_text}: nothing changes."
        return Impact(release.id, action, release.target, now, now, (done,))
    check_allowed(release.status, action, release.id)
    new, old = _version(release.package_version), _version(release.previous_version)
    who = release.target.describe()
    before = release.devices_percent
    lines: list[str]
    if action is ReleaseAction.RAMP:
        after = per_variant_traffic(percent, len(release.variants) or 2)
        lines = [f"{after}% of {who} get {new} (now {before}%)."]
        if after:
            lines.append(f"Another {after}% stay on {old} as the comparison group; the rest keep {old}.")
    elif action is ReleaseAction.PAUSE:
        after = 0
        lines = [f"The {before}% of {who} on {new} go back to {old} at their next config check."]
    elif action is ReleaseAction.RESUME:
        after = release.traffic
        lines = [f"{after}% of {who} get {new} again."]
    elif action is ReleaseAction.CONCLUDE:
        after = 100
        lines = [f"Every one of {who} gets {new}, permanently (the release ends)."]
    elif action is ReleaseAction.REVERT:
        after = 0
        lines = [f"Every one of {who} keeps {old}; the {before}% on {new} go back to it. The release ends."]
    elif action is ReleaseAction.DISCARD:
        after = 0
        lines = (
            [f"The release is dropped; the {before}% of {who} on {new} go back to {old}."]
            if before
            else ["The release is dropped; no device has it, so no device is affected."]
        )
    else:  # EDIT
        after = before
        lines = ["The release is not started: editing it affects no device."]
    return Impact(release.id, action, release.target, before, after, tuple(lines))
