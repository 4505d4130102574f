"""Keycloak emulator: one realm with OIDC device flow, verification pages, Admin REST and Account API.

Fidelity to real Keycloak is the point (status codes, JSON shapes, error bodies, headers, paging);
see docs/sandbox-keycloak.md for the endpoints and the permission rules, summarised here:

- Realm-wide admin rights come from `realm-management` client roles in the token (alice has
  `realm-admin`, `manage-users`, `view-users`, `query-groups`): list/view/manage every group and user.
- Organisation rights model fine-grained group permissions, evaluated against current memberships:
  a member of `/{org}/owner` or `/{org}/admin` may view `/{org}` and its subtree, update groups in it,
  create children, list members and add/remove members (only owners change `/{org}/owner`
  membership); org managers may also look users up (to add them). Deleting `/{org}` itself needs owner.
- Creating a top-level group needs `manage-users` or the realm role `org-creator` (alice, dave). The
  creator of a top-level group counts as its owner (a creator policy), so they can set it up.
- Everyone else gets 403 `{"error": "HTTP 403 Forbidden"}`; a missing/invalid token gets 401.
"""

from .emulator import KeycloakEmulator

__all__ = ["KeycloakEmulator"]
