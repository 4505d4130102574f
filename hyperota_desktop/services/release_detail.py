"""The rollout inspection view of one release, and the four-eyes setting it shows.

Four-eyes is the workspace's `allow_experiment_self_approval` turned off: the server then refuses a ramp
out of CREATED by the release's author (`user_allowed_to_ramp`, experiments/handlers.rs v0.117.1), so a
created release waits for a second person. Servers before v0.77 have no such setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hyperota_desktop.domain.access import Action, Permission
from hyperota_desktop.domain.errors import HyperOtaError, ValidationError
from hyperota_desktop.domain.release_config import nest, problems
from hyperota_desktop.domain.release_drafts import (
    DownloadDiff,
    ValueChange,
    download_diff,
    effective_values,
    value_changes,
)
from hyperota_desktop.domain.releases import ALLOWED, Release, ReleaseAction, ReleaseStatus
from hyperota_desktop.domain.rollout import (
    RolloutEvent,
    events_from_audit,
    events_from_release,
    merge_events,
    traffic_series,
)
from hyperota_desktop.services.sp_workspace import WorkspaceApi


@dataclass(frozen=True)
class FourEyes:
    """The application setting "a release must be started by someone other than its author"."""

    supported: bool  # False on servers without it (before v0.77)
    required: bool
    server: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"supported": self.supported, "required": self.required, "server": self.server}


@dataclass(frozen=True)
class ReleaseDetail:
    """The rollout inspection view: the release, its history, what devices get, what you may do."""

    release: Release
    events: tuple[RolloutEvent, ...]
    traffic: tuple[tuple[datetime, int], ...]
    allowed: frozenset[ReleaseAction]  # for the caller, now
    blocked: dict[ReleaseAction, str]  # why an action the status allows is not allowed to the caller
    waiting_for_second_person: bool
    who_may_start: str
    device_config: dict[str, Any] | None  # devices in the release get this
    control_config: dict[str, Any] | None  # the others in the target keep this (None: no package)
    changes: tuple[ValueChange, ...] = ()
    download: DownloadDiff | None = None
    audit_problem: str = ""  # why the audit log could not be read (the history is then partial)
    config_problems: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        r = self.release
        return {
            "id": r.id,
            "name": r.name,
            "target": r.target.as_dict(),
            "status": r.status.value,
            "status_text": r.status_text,
            "traffic": r.traffic,
            "devices_percent": r.devices_percent,
            "package_version": r.package_version,
            "previous_version": r.previous_version,
            "created_at": r.created_at.isoformat() if r.created_at else None,
            "created_by": r.created_by,
            "started_by": r.started_by,
            "notes": r.notes,
            "events": [e.to_dict() for e in self.events],
            "allowed": sorted(a.value for a in self.allowed),
            "blocked": {a.value: why for a, why in self.blocked.items()},
            "waiting_for_second_person": self.waiting_for_second_person,
            "who_may_start": self.who_may_start,
            "device_config": self.device_config,
            "control_config": self.control_config,
            "changes": [c.to_dict() for c in self.changes],
            "download": self.download.to_dict() if self.download else None,
            "audit_problem": self.audit_problem,
        }


async def read_four_eyes(api: WorkspaceApi) -> FourEyes:
    flag = (await api.settings()).get("allow_experiment_self_approval")
    if not isinstance(flag, bool):
        return FourEyes(False, False, api.dialect.label)
    return FourEyes(True, not flag, api.dialect.label)


def waiting(release: Release, four: FourEyes) -> bool:
    return four.required and release.status is ReleaseStatus.CREATED


def who_may_start(release: Release, four: FourEyes, org: str, app: str) -> str:
    if release.status is not ReleaseStatus.CREATED:
        return ""
    if four.required:
        return (
            f"Waiting for a second person: anyone with write access to {org}/{app} other than "
            f"{release.created_by} may start it."
        )
    return f"Anyone with write access to {org}/{app} may start it."


def needed(action: ReleaseAction) -> Action:
    """What the authorizer is asked before `action`: editing a release not yet started is part of
    creating it; every other action changes a release."""
    return Action.CREATE_RELEASE if action is ReleaseAction.EDIT else Action.CHANGE_RELEASE


def allowed_for(
    release: Release, may: Mapping[ReleaseAction, Permission], four: FourEyes, mine: str
) -> tuple[frozenset[ReleaseAction], dict[ReleaseAction, str]]:
    """What the caller may do with the release now, and why not the rest its status allows. `may` is
    the authorizer's answer for each action (`needed(action)` asked of `services.authz`)."""
    possible = ALLOWED[release.status]
    blocked: dict[ReleaseAction, str] = {}
    for action in possible:
        if not may[action]:
            blocked[action] = may[action].reason
        elif action is ReleaseAction.RAMP and waiting(release, four) and release.created_by == mine:
            blocked[action] = "Four-eyes is on: someone other than you (the author) must start it."
    return frozenset(a for a in possible if a not in blocked), blocked


async def build_detail(
    api: WorkspaceApi,
    release: Release,
    may: Mapping[ReleaseAction, Permission],
    mine: str,
    org: str,
    app: str,
) -> ReleaseDetail:
    audit_problem = ""
    audited: list[RolloutEvent] = []
    since = (release.created_at or datetime.now(UTC)) - timedelta(minutes=1)
    try:
        entries = await api.audit(since, datetime.now(UTC) + timedelta(minutes=1))
        audited = events_from_audit(release.id, entries)
    except HyperOtaError as exc:
        audit_problem = exc.message
    events = tuple(merge_events(audited, events_from_release(release)))
    four = await read_four_eyes(api)
    allowed, blocked = allowed_for(release, may, four, mine)
    control = dict(release.control.overrides) if release.control else {}
    experimental = dict(release.experimental.overrides) if release.experimental else {}
    effective = effective_values(control, experimental)
    device_config = control_config = None
    config_problems: list[str] = []
    try:
        device_config = nest(effective)
        config_problems = problems(device_config)
    except ValidationError as exc:
        config_problems = [exc.message]
    if control.get("package.index") is not None:
        try:
            control_config = nest(control)
        except ValidationError as exc:
            config_problems.append(exc.message)
    return ReleaseDetail(
        release, events, traffic_series(events), allowed, blocked, waiting(release, four),
        who_may_start(release, four, org, app), device_config, control_config,
        value_changes(control, effective),
        download_diff(control if control_config else None, effective) if device_config else None,
        audit_problem, tuple(config_problems),
    )  # fmt: skip
