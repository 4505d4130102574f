"""Members of an organisation or application: list with levels, add, change level, remove.

A level is membership of a role subgroup. Changes run as sagas (journalled, compensated): a level
change adds the new role first, then removes the old ones, so a failure never leaves the person
without access. The caller's level comes from the authorizer (`services.authz`, fresh for every
change); the guards are `domain.membership`: changing members needs admin (leaving needs nothing),
nobody grants above their own level, only owners make owners, the last owner cannot leave or be
demoted. Listing needs read access. Keycloak enforces its own rights as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hyperota_desktop.domain.access import REALM_ADMINISTRATOR, AccessLevel, Action
from hyperota_desktop.domain.errors import Conflict, MissingRight, NotFound, PermissionDenied
from hyperota_desktop.domain.membership import MemberScope, check_change
from hyperota_desktop.services.keycloak_admin import KcUser, KeycloakAdmin
from hyperota_desktop.services.orgs import OrgService
from hyperota_desktop.services.saga import SagaContext, SagaDefinition, SagaRunner, Step
from hyperota_desktop.stores.journal import SagaRecord

MEMBER_ADD, MEMBER_SET, MEMBER_REMOVE = "member.add", "member.set", "member.remove"


@dataclass(frozen=True)
class Member:
    user: KcUser
    level: AccessLevel

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.user.id,
            "username": self.user.username,
            "email": self.user.email,
            "name": f"{self.user.first_name} {self.user.last_name}".strip(),
            "level": self.level.label,
        }


@dataclass(frozen=True)
class EffectiveMember:
    """Someone's access to a scope and where it comes from: `direct` is the level held in the scope
    itself, `inherited` what an application gets from the organisation role (owner capped to admin,
    `domain.membership.level_from_paths`); `level` is the higher of the two."""

    user: KcUser
    direct: AccessLevel
    inherited: AccessLevel = AccessLevel.NONE
    org_level: AccessLevel = AccessLevel.NONE  # the organisation role behind `inherited`

    @property
    def level(self) -> AccessLevel:
        return max(self.direct, self.inherited)

    def source(self, scope: MemberScope) -> str:
        """Where the access comes from, in words ("application", "organisation (owner)", or both)."""
        parts = []
        if self.direct:
            parts.append("application" if scope.app else "organisation")
        if self.inherited:
            parts.append(f"organisation ({self.org_level.label})")
        return " + ".join(parts)


@dataclass(frozen=True)
class EffectiveMembers:
    """Everyone with access to a scope; `incomplete` says why inherited access could not be read."""

    members: list[EffectiveMember]
    incomplete: str = ""


class MemberService:
    def __init__(self, orgs: OrgService, runner: SagaRunner) -> None:
        self.orgs = orgs
        self.runner = runner

    @property
    def _kc(self) -> KeycloakAdmin:
        return self.orgs.backends.keycloak

    async def role_groups(self, scope: MemberScope) -> dict[AccessLevel, str]:
        """Group id of each level's role subgroup of `scope`."""
        group = await self._kc.group_by_path(scope.path)
        children = {c.name: c.id for c in await self._kc.children(group.id)}
        missing = [lvl.label for lvl in scope.levels if lvl.label not in children]
        if missing:
            raise NotFound(
                f"{scope.describe().capitalize()} lacks its role groups ({', '.join(missing)}).",
                hint="It was not created by HyperOTA; an administrator must add those groups.",
            )
        return {lvl: children[lvl.label] for lvl in scope.levels}

    async def list_members(self, scope: MemberScope) -> list[Member]:
        """Every member with the highest level they hold directly in `scope`, by username."""
        await self.orgs.authz.require(Action.VIEW_APP if scope.app else Action.VIEW_ORG, scope.org, scope.app)
        try:
            groups = await self.role_groups(scope)
        except NotFound as exc:  # a member, yet Keycloak hides the group (group-by-path answers 404)
            raise MissingRight(
                self.orgs.hidden_reason(
                    scope.org, "view rights on its groups", f"the members of {scope.describe()}"
                ),
                right="view rights on the organisation's groups",
                granted_by=REALM_ADMINISTRATOR,
            ) from exc
        best: dict[str, Member] = {}
        for level, group_id in groups.items():
            for user in await self._kc.members(group_id):
                if user.id not in best or best[user.id].level < level:
                    best[user.id] = Member(user, level)
        return sorted(best.values(), key=lambda m: m.user.username)

    async def effective_members(self, scope: MemberScope) -> EffectiveMembers:
        """Everyone with access to `scope`: for an application, its own members and the organisation's
        (who reach it through their organisation role), each with the effective level and its source.
        When Keycloak refuses the organisation's member lists, the application's own are still shown."""
        direct = await self.list_members(scope)
        found = {m.user.id: EffectiveMember(m.user, m.level) for m in direct}
        if not scope.app:
            return EffectiveMembers(sorted(found.values(), key=lambda m: m.user.username))
        incomplete = ""
        try:
            org_members = await self.list_members(MemberScope(scope.org))
        except PermissionDenied as exc:
            org_members = []
            incomplete = f"Access inherited from organisation {scope.org} is not shown: {exc.message}"
        for member in org_members:
            inherited = min(member.level, AccessLevel.ADMIN)
            held = found.get(member.user.id)
            found[member.user.id] = EffectiveMember(
                member.user, held.direct if held else AccessLevel.NONE, inherited, member.level
            )
        return EffectiveMembers(sorted(found.values(), key=lambda m: m.user.username), incomplete)

    async def _current(
        self, scope: MemberScope, user: KcUser
    ) -> tuple[dict[AccessLevel, str], list[AccessLevel], int]:
        groups = await self.role_groups(scope)
        held = []
        owners = 0
        for level, group_id in groups.items():
            members = await self._kc.members(group_id)
            if any(m.id == user.id for m in members):
                held.append(level)
            if level is AccessLevel.OWNER:
                owners = len(members)
        return groups, held, owners

    async def _target(self, scope: MemberScope, who: str, new: AccessLevel) -> tuple[KcUser, AccessLevel]:
        """The person to change and the caller's level; refused before any lookup when the caller may
        not change members of `scope` (only leaving needs no level)."""
        me = await self.orgs.me()
        is_self = who.strip().lower() in {me.username.lower(), me.email.lower()} - {""}
        actor = await self.orgs.level(scope, fresh=True)
        if actor < AccessLevel.ADMIN and not (is_self and new is AccessLevel.NONE):
            have = actor.label if actor else "no access"
            raise PermissionDenied(
                f"Changing members of {scope.describe()} needs the admin or owner level; you have {have}."
            )
        return (me if is_self else await self._kc.find_user(who)), actor

    async def _check(
        self, scope: MemberScope, who: str, new: AccessLevel
    ) -> tuple[KcUser, dict[AccessLevel, str], list[AccessLevel]]:
        user, actor = await self._target(scope, who, new)
        me = await self.orgs.me()
        groups, held, owners = await self._current(scope, user)
        current = max(held, default=AccessLevel.NONE)
        check_change(
            scope,
            actor,
            target_current=current,
            target_new=new,
            owners=owners,
            actor_is_target=me.id == user.id,
        )
        return user, groups, held

    async def add(self, scope: MemberScope, who: str, level: AccessLevel) -> SagaRecord:
        user, groups, held = await self._check(scope, who, level)
        if held:
            raise Conflict(
                f"{user.username} is already a member of {scope.describe()} ({max(held).label}).",
                hint="Change their level instead.",
            )
        return await self._run(
            MEMBER_ADD,
            scope,
            user,
            add=[groups[level]],
            remove=[],
            what=f"Add {user.username} as {level.label}",
        )

    async def set_level(self, scope: MemberScope, who: str, level: AccessLevel) -> SagaRecord:
        user, groups, held = await self._check(scope, who, level)
        if not held:
            raise NotFound(
                f"{user.username} is not a member of {scope.describe()}.", hint="Add them instead."
            )
        add = [] if level in held else [groups[level]]
        remove = [groups[lvl] for lvl in held if lvl is not level]
        return await self._run(
            MEMBER_SET, scope, user, add=add, remove=remove, what=f"Make {user.username} {level.label}"
        )

    async def remove(self, scope: MemberScope, who: str) -> SagaRecord:
        user, groups, held = await self._check(scope, who, AccessLevel.NONE)
        if not held:
            raise NotFound(f"{user.username} is not a member of {scope.describe()}.")
        remove = [groups[lvl] for lvl in held]
        return await self._run(
            MEMBER_REMOVE, scope, user, add=[], remove=remove, what=f"Remove {user.username}"
        )

    async def recover(self) -> list[SagaRecord]:
        """Finish or undo the membership changes a crash or quit left unfinished."""
        return await self.runner.reconcile(kinds=(MEMBER_ADD, MEMBER_SET, MEMBER_REMOVE))

    async def _run(
        self, kind: str, scope: MemberScope, user: KcUser, *, add: list[str], remove: list[str], what: str
    ) -> SagaRecord:
        """Run the change; the memberships are read afresh afterwards whatever happened."""
        params = {
            "org": scope.org,
            "app": scope.app,
            "user_id": user.id,
            "username": user.username,
            "add": add,
            "remove": remove,
        }
        try:
            return await self.runner.run(kind, params, f"{what} on {scope.describe()}")
        finally:
            self.orgs.forget_memberships()


def member_steps(kc: KeycloakAdmin, params: dict[str, Any]) -> list[Step]:
    user_id = params["user_id"]

    async def add(ctx: SagaContext) -> None:
        for group_id in params["add"]:
            await kc.add_member(user_id, group_id)

    async def undo_add(ctx: SagaContext) -> None:
        for group_id in params["add"]:
            await kc.remove_member(user_id, group_id)

    async def remove(ctx: SagaContext) -> None:
        for group_id in params["remove"]:
            await kc.remove_member(user_id, group_id)

    async def undo_remove(ctx: SagaContext) -> None:
        for group_id in params["remove"]:
            await kc.add_member(user_id, group_id)

    steps = []
    if params["add"]:
        steps.append(Step("add the new role", add, undo_add))
    if params["remove"]:
        steps.append(Step("remove the old role(s)", remove, undo_remove))
    return steps


def register_member_sagas(runner: SagaRunner, keycloak: Callable[[], KeycloakAdmin]) -> None:
    for kind in (MEMBER_ADD, MEMBER_SET, MEMBER_REMOVE):
        runner.register(SagaDefinition(kind, lambda params: member_steps(keycloak(), params)))
