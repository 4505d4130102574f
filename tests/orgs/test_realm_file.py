"""The shipped realm (packaging/keycloak/hyperota-realm.json, for `kc.sh import`) gives the client
what it needs, matches the sandbox's realm settings, and its `hyperota-administrator` role is enough to
create a delegated organisation and its applications end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.membership import MemberScope
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator
from hyperota_desktop.services.org_delegation import ORG_CREATOR_RIGHTS, permission_names
from tests.orgs.test_org_lifecycle import fresh

REALM_FILE = Path(__file__).resolve().parents[2] / "packaging/keycloak/hyperota-realm.json"


def realm() -> dict[str, Any]:
    return json.loads(REALM_FILE.read_text())


def test_the_realm_file_has_what_the_client_needs() -> None:
    rep = realm()
    assert rep["realm"] == "hyperota" and rep["enabled"] is True
    assert rep["adminPermissionsEnabled"] is True  # FGAP v2: organisations delegated to their owners
    (client,) = [c for c in rep["clients"] if c["clientId"] == "hyperota-desktop"]
    assert client["publicClient"] is True and "secret" not in client
    assert client["attributes"]["oauth2.device.authorization.grant.enabled"] == "true"
    assert not client["standardFlowEnabled"] and not client["directAccessGrantsEnabled"]
    assert client["fullScopeAllowed"] is True  # realm-management roles must reach the access token
    assert "offline_access" in client["optionalClientScopes"]  # the client asks for it
    (mapper,) = [
        m for m in client["protocolMappers"] if m["protocolMapper"] == "oidc-group-membership-mapper"
    ]
    assert mapper["config"]["full.path"] == "true" and mapper["config"]["claim.name"] == "groups"
    assert mapper["config"]["access.token.claim"] == "true"
    (role,) = [r for r in rep["roles"]["realm"] if r["name"] == "hyperota-administrator"]
    assert set(role["composites"]["client"]["realm-management"]) == set(ORG_CREATOR_RIGHTS)
    assert rep.get("groups", []) == []  # every top-level group would show as an organisation


def test_the_sandbox_realm_behaves_like_the_realm_file() -> None:
    rep, kc = realm(), KeycloakEmulator()
    assert kc.realm_name == rep["realm"] and kc.client_id == "hyperota-desktop"
    assert kc.realm.clients[kc.client_id].device_grant
    assert kc.device_code_lifespan == rep["oauth2DeviceCodeLifespan"]
    assert kc.poll_interval == rep["oauth2DevicePollingInterval"]
    assert kc.access_token_lifespan == rep["accessTokenLifespan"]
    assert kc.revoke_refresh_token is rep["revokeRefreshToken"]
    assert kc.realm.admin_permissions_enabled is rep["adminPermissionsEnabled"]


async def test_the_administrator_role_is_enough_to_create_delegated_organisations(
    as_user: Any, sb: Any
) -> None:
    rights = next(r for r in realm()["roles"]["realm"] if r["name"] == "hyperota-administrator")
    realm_model = sb.keycloak.realm
    with realm_model.lock:
        if realm_model.user_by_name("hank") is None:
            hank = realm_model.add_user("hank", "hank@example.com", "Hank", "Admin")
            hank.client_roles["realm-management"] = list(rights["composites"]["client"]["realm-management"])
    hank = as_user("hank")
    org = fresh("hanks")
    record = await hank.orgs.create_org(org)
    assert not record.data.get("warnings")
    assert realm_model.authz.by_name(permission_names(org)["view"]) is not None
    await hank.orgs.create_app(org, "web")
    await hank.members.add(MemberScope(org), "bob", AccessLevel.READ)
    bob = as_user("bob")
    assert [a.name for a in await bob.orgs.list_apps(org)] == ["web"]
    await hank.orgs.delete_org(org)
