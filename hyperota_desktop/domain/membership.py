"""Access levels inside organisations and applications, and who may change whose membership.

Levels are role subgroups (keycloak.md): `/{org}/owner|admin|write|read` = 4|3|2|1 and
`/{org}/{app}/admin|write|read` = 3|2|1. App access is the higher of the app role and the org role,
with org owner capped to app admin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.errors import Conflict, PermissionDenied, ValidationError
from hyperota_desktop.domain.names import validate_app_name, validate_org_name


def parse_level(text: str) -> AccessLevel:
    """An access level from `owner|admin|write|read` (any case)."""
    level = AccessLevel.from_role(text.strip().lower())
    if level is None:
        raise ValidationError(f"Unknown access level '{text}': use owner, admin, write or read.")
    return level


ORG_LEVELS = (AccessLevel.OWNER, AccessLevel.ADMIN, AccessLevel.WRITE, AccessLevel.READ)
APP_LEVELS = (AccessLevel.ADMIN, AccessLevel.WRITE, AccessLevel.READ)


@dataclass(frozen=True)
class MemberScope:
    """An organisation (app == "") or one of its applications."""

    org: str
    app: str = ""

    def __post_init__(self) -> None:
        validate_org_name(self.org)
        if self.app:
            validate_app_name(self.app)

    @property
    def path(self) -> str:
        return f"/{self.org}/{self.app}" if self.app else f"/{self.org}"

    @property
    def levels(self) -> tuple[AccessLevel, ...]:
        return APP_LEVELS if self.app else ORG_LEVELS

    def describe(self) -> str:
        return f"application {self.org}/{self.app}" if self.app else f"organisation {self.org}"


def level_from_paths(paths: Iterable[str], scope: MemberScope) -> AccessLevel:
    """A user's effective level in `scope` from their group paths (e.g. from the Account API)."""
    org_level = AccessLevel.NONE
    app_level = AccessLevel.NONE
    for path in paths:
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == scope.org and parts[1].upper() in AccessLevel.__members__:
            org_level = max(org_level, AccessLevel[parts[1].upper()])
        elif (
            scope.app
            and len(parts) == 3
            and parts[:2] == [scope.org, scope.app]
            and parts[2] in ("admin", "write", "read")
        ):
            app_level = max(app_level, AccessLevel[parts[2].upper()])
    if not scope.app:
        return org_level
    return max(app_level, min(org_level, AccessLevel.ADMIN))


def check_change(
    scope: MemberScope,
    actor: AccessLevel,
    *,
    target_current: AccessLevel,
    target_new: AccessLevel,
    owners: int,
    actor_is_target: bool = False,
) -> None:
    """Raise unless `actor` may move a member of `scope` from `target_current` to `target_new`.

    `target_new` NONE means removal. `owners` = how many owners the organisation has now.
    """
    where = scope.describe()
    if target_new is not AccessLevel.NONE and target_new not in scope.levels:
        allowed = ", ".join(level.label for level in scope.levels)
        raise ValidationError(
            f"'{target_new.label}' is not a level of an {where.split()[0]} (use {allowed})."
        )
    if actor < AccessLevel.ADMIN and not (actor_is_target and target_new is AccessLevel.NONE):
        raise PermissionDenied(
            f"Changing members of {where} needs the admin or owner level; you have {actor.label}."
        )
    if target_new > actor:
        raise PermissionDenied(
            f"You cannot grant {target_new.label} on {where}: nobody grants above their own level "
            f"({actor.label})."
        )
    if target_new is AccessLevel.OWNER and actor is not AccessLevel.OWNER:
        raise PermissionDenied(f"Only owners of {where} can make owners.")
    if target_current > actor and not actor_is_target:
        raise PermissionDenied(
            f"You cannot change a member with level {target_current.label} on {where}: your level is "
            f"{actor.label}."
        )
    demoting_owner = target_current is AccessLevel.OWNER and target_new is not AccessLevel.OWNER
    if not scope.app and demoting_owner and owners <= 1:
        verb = "leave" if target_new is AccessLevel.NONE else "be demoted"
        raise Conflict(f"The last owner of {where} cannot {verb}.", hint="Make someone else an owner first.")


def refusal(
    scope: MemberScope,
    actor: AccessLevel,
    *,
    target_current: AccessLevel,
    target_new: AccessLevel,
    owners: int,
    actor_is_target: bool = False,
) -> str:
    """Why `check_change` would refuse this change, or "" when it is allowed (for the GUI to show)."""
    try:
        check_change(
            scope,
            actor,
            target_current=target_current,
            target_new=target_new,
            owners=owners,
            actor_is_target=actor_is_target,
        )
    except (PermissionDenied, Conflict, ValidationError) as exc:
        return exc.message
    return ""


def selectable_levels(
    scope: MemberScope,
    actor: AccessLevel,
    current: AccessLevel,
    *,
    owners: int,
    actor_is_target: bool = False,
) -> tuple[AccessLevel, ...]:
    """The levels a member's level selector offers: the current one and every one the guards allow."""
    return tuple(
        level
        for level in scope.levels
        if level is current
        or not refusal(
            scope,
            actor,
            target_current=current,
            target_new=level,
            owners=owners,
            actor_is_target=actor_is_target,
        )
    )
