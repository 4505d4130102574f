"""Keycloak emulator: one realm with OIDC device flow, verification pages, Admin REST and Account API.

Fidelity to real Keycloak (26.x) is the point (status codes, JSON shapes, error bodies, headers, paging,
rights); see docs/sandbox-keycloak.md for the endpoints and what is not modelled. Rights are stock
Keycloak's, nothing invented:

- Admin roles of the `realm-management` client, read from the token (composites expanded, group role
  mappings included): `manage-users` manages every group and membership and creates top-level groups,
  `view-users` views them, `query-groups`/`query-users` only list (roles.py, permissions.py).
- Fine-grained admin permissions v2 (realm setting on by default here): group/user policies and scope
  permissions on the `admin-permissions` client, created through Keycloak's authz admin paths and
  evaluated as GroupPermissionsV2/UserPermissionsV2 (fgap.py, admin_authz.py).
- The seed (seed.py): alice realm-admin and owner of `demo`, bob reads it, dave writes it, carol has
  nothing; `demo` is delegated exactly as the desktop client delegates an organisation it creates.
- Everyone else gets 403 `{"error": "HTTP 403 Forbidden"}`; a missing/invalid token gets 401.
"""

from .emulator import KeycloakEmulator

__all__ = ["KeycloakEmulator"]
