"""A row of the Members page: what the person may change of a member's level, and why not."""

from __future__ import annotations

from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.membership import MemberScope, refusal, selectable_levels
from hyperota_desktop.services.members import EffectiveMember
from hyperota_desktop.ui.models.members import MemberRow


def member_row(
    scope: MemberScope, actor: AccessLevel, member: EffectiveMember, owners: int, me: bool
) -> MemberRow:
    """The guards apply to the level held in the scope itself; access only inherited from the
    organisation is changed on the organisation (the row says so)."""
    current = member.direct
    name = f"{member.user.first_name} {member.user.last_name}".strip()
    source = member.source(scope)
    if current is AccessLevel.NONE:
        where = f"organisation {scope.org}"
        return MemberRow(
            member.user.username, name, member.user.email, member.level.label, (member.level.label,),
            f"{member.user.username} has {member.level.label} through {where} "
            f"({member.org_level.label}): change it there, or add them here for a higher level.",
            f"Their access comes from {where}: remove them there.",
            source, "",
        )  # fmt: skip
    offered = selectable_levels(scope, actor, current, owners=owners, actor_is_target=me)
    locked = ""
    if len(offered) == 1:  # why not: the reason for the level just below (or above) the current one
        other = next(lvl for lvl in scope.levels if lvl is not current)
        locked = refusal(
            scope, actor, target_current=current, target_new=other, owners=owners, actor_is_target=me
        )
    removal = refusal(
        scope, actor, target_current=current, target_new=AccessLevel.NONE, owners=owners, actor_is_target=me
    )
    return MemberRow(
        member.user.username, name, member.user.email, member.level.label,
        tuple(lvl.label for lvl in offered), locked, removal, source, current.label,
    )  # fmt: skip
