"""Which Superposition workspace an application uses, and who the caller is as Superposition records them.

Who may do what with releases and dimensions is the authorizer's (`services.authz`): read to inspect,
write (`Action.CREATE_RELEASE` / `CHANGE_RELEASE`) to create or change a release, admin for dimensions
(`EDIT_DIMENSIONS`) and the application's settings (`CHANGE_APP_SETTINGS`).

An application's workspace is recorded on its Keycloak group (`superposition_workspace`, never inferred).
Every member of the organisation may read that group: the organisation's FGAP v2 permission "members may
view" covers all its groups, applications included, for every member of `/{org}` and its subgroups
(docs/keycloak-setup.md; Keycloak 26.2+, GroupPermissionsV2 `canView`). Where the realm has no such
permission (FGAP v2 off, or an organisation nobody delegated), Keycloak refuses the read and the caller
is told who can fix it.
"""

from __future__ import annotations

from hyperota_desktop.domain.errors import PermissionDenied
from hyperota_desktop.services.orgs import OrgService


async def me(orgs: OrgService) -> str:
    """The caller as Superposition records them (`created_by`, `started_by`): the e-mail address."""
    user = await orgs.me()
    return str(user.email or user.username)


class WorkspaceLocator:
    """org/app → workspace name, from Keycloak, remembered until someone else signs in."""

    def __init__(self, orgs: OrgService) -> None:
        self.orgs = orgs
        self._known: dict[tuple[str, str], str] = {}

    def forget(self) -> None:
        self._known.clear()

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
                gui_hint=f"The members of {org} may read its applications once the organisation is "
                "delegated: ask a realm administrator to delegate it.",
            ) from exc
