"""Who may do what with releases and dimensions, and which workspace an application uses.

`authorize` is the one place the release and dimension services ask for a level (read to inspect, write
to create or change a release, admin for dimensions and application settings). It asks `OrgService`
today; when the service-level authorizer lands it is the one line to change.

An application's workspace is recorded on its Keycloak group (`superposition_workspace`, never inferred).
Every member of the organisation may read that group: the organisation's FGAP v2 permission "members may
view" covers all its groups, applications included, for every member of `/{org}` and its subgroups
(docs/keycloak-setup.md; Keycloak 26.2+, GroupPermissionsV2 `canView`). Where the realm has no such
permission (FGAP v2 off, or an organisation nobody delegated), Keycloak refuses the read and the caller
is told who can fix it.
"""

from __future__ import annotations

from hyperota_desktop.domain.access import AccessLevel, Action
from hyperota_desktop.domain.errors import PermissionDenied
from hyperota_desktop.domain.membership import MemberScope
from hyperota_desktop.services.orgs import OrgService


async def authorize(orgs: OrgService, org: str, app: str, action: Action) -> AccessLevel:
    """The caller's level on org/app if it allows `action`, else PermissionDenied saying what is needed."""
    _scope, needed = action.requirement
    have = await orgs.level(MemberScope(org, app), fresh=needed > AccessLevel.READ)
    if have < needed:
        held = f"you have {have.label} access" if have else "you have no access"
        raise PermissionDenied(
            f"To {action.value} in {org}/{app} you need {needed.label} access; {held}.",
            hint=f"Ask an admin of {org} for {needed.label} access to {app}.",
        )
    return have


async def me(orgs: OrgService) -> str:
    """The caller as Superposition records them (`created_by`, `started_by`): the e-mail address."""
    user = await orgs.me()
    return str(user.email or user.username)


class WorkspaceLocator:
    """org/app → workspace name, from Keycloak, remembered for the session."""

    def __init__(self, orgs: OrgService) -> None:
        self.orgs = orgs
        self._known: dict[tuple[str, str], str] = {}

    async def workspace(self, org: str, app: str) -> str:
        key = (org, app)
        if key not in self._known:
            self._known[key] = await self._find(org, app)
        return self._known[key]

    async def _find(self, org: str, app: str) -> str:
        try:
            return await self.orgs.workspace_of(org, app)
        except PermissionDenied as exc:
            raise PermissionDenied(
                f"Keycloak does not let you read which Superposition workspace {org}/{app} uses "
                f"({exc.message})",
                hint=f"The members of {org} may read its applications once the organisation is delegated: "
                f"ask a realm administrator to run 'hyperota org delegate {org}' (Keycloak 26.2+ with "
                "Admin Permissions on; docs/keycloak-setup.md).",
            ) from exc
