"""Sign a seeded sandbox user in to a profile without the device-flow wait, and give users levels.

The tokens come from the real device flow against the Keycloak emulator (auto-approved for that one
grant) and go to the keyring entries the app reads, so `AuthService` loads them as after a restart.
Memberships are made in the emulator directly: test set-up, not what is under test.
"""

from __future__ import annotations

from typing import Any

import httpx

from hyperota_desktop.services.auth.store import ACCESS_KEY, REFRESH_KEY
from hyperota_desktop.stores.secrets import SecretStore
from tests.support.org_env import DEVICE_GRANT


def tokens(sandbox: Any, username: str) -> tuple[str, str]:
    """(access token, refresh token) of `username`, through the device flow."""
    oidc = f"{sandbox.issuer}/protocol/openid-connect"
    client = sandbox.keycloak.client_id
    sandbox.keycloak.set_auto_approve(username)
    try:
        grant = httpx.post(
            f"{oidc}/auth/device", data={"client_id": client, "scope": "openid profile email"}
        ).json()
    finally:
        sandbox.keycloak.set_auto_approve(None)
    data = {"grant_type": DEVICE_GRANT, "client_id": client, "device_code": grant["device_code"]}
    response = httpx.post(f"{oidc}/token", data=data)
    response.raise_for_status()
    body = response.json()
    return str(body["access_token"]), str(body["refresh_token"])


def sign_in(sandbox: Any, profile: str, username: str) -> None:
    """Leave `username`'s tokens in the keyring for `profile`, as a sign-in before a restart would."""
    access, refresh = tokens(sandbox, username)
    secrets = SecretStore()
    secrets.set(profile, ACCESS_KEY, access)
    secrets.set(profile, REFRESH_KEY, refresh)


def grant(sandbox: Any, username: str, path: str) -> None:
    """Make `username` a member of the role group at `path` (e.g. /org/app/write), creating the groups."""
    realm = sandbox.keycloak.realm
    with realm.lock:
        user = realm.user_by_name(username)
        assert user is not None, username
        parent = None
        for name in path.strip("/").split("/"):
            found = next((g for g in realm.children(parent) if g.name == name), None)
            parent = found if found is not None else realm.add_group(name, parent)
        assert parent is not None
        user.groups.add(parent.id)


def revoke(sandbox: Any, username: str, path: str) -> None:
    realm = sandbox.keycloak.realm
    with realm.lock:
        user, group = realm.user_by_name(username), realm.by_path(path)
        if user is not None and group is not None:
            user.groups.discard(group.id)
