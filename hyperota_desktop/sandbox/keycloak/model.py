"""In-memory realm state of the Keycloak emulator: users, groups, clients, device grants, sessions.

Every read and write of this state happens under `Realm.lock` (the server is threaded).
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from .fgap import AuthzStore

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # Keycloak style: no vowels, no digits
ACCOUNT_ROLES = ["manage-account", "manage-account-links", "view-profile"]
DEFAULT_REALM_ROLES = ["offline_access", "uma_authorization"]


@dataclass
class User:
    id: str
    username: str
    email: str
    first_name: str
    last_name: str
    created: int
    enabled: bool = True
    email_verified: bool = True
    realm_roles: list[str] = field(default_factory=list)
    client_roles: dict[str, list[str]] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)  # group ids


@dataclass
class Group:
    id: str
    name: str
    parent_id: str | None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    client_roles: dict[str, set[str]] = field(default_factory=dict)  # role mappings, by client id


@dataclass
class Client:
    client_id: str
    device_grant: bool
    id: str = field(default_factory=lambda: str(uuid.uuid4()))  # the internal id admin URLs use


@dataclass
class DeviceGrant:
    device_code: str
    user_code: str
    client_id: str
    scope: str
    expires_at: float
    interval: int
    last_poll: float | None = None
    status: str = "pending"  # pending | approved | denied | redeemed
    user_id: str | None = None


@dataclass
class Session:
    """A user session (or offline session) and the refresh-token family issued in it."""

    id: str
    user_id: str
    client_id: str
    scope: str
    offline: bool
    started: float
    current_refresh: str | None = None  # jti of the only refresh token still accepted
    used_refresh: set[str] = field(default_factory=set)
    alive: bool = True


class Realm:
    """All mutable state of one realm. Methods named `_...` expect the caller to hold `lock`."""

    def __init__(self, name: str, clock: Callable[[], float] = time.time) -> None:
        self.name = name
        self.clock = clock
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.clients: dict[str, Client] = {}
        self.device_grants: dict[str, DeviceGrant] = {}  # by device_code
        self.sessions: dict[str, Session] = {}
        self.revoked_access: set[str] = set()  # access-token jtis revoked through RFC 7009
        # Realm setting "Admin Permissions" (FGAP v2, feature admin-fine-grained-authz:v2, 26.2+); its
        # policies and permissions live on the `admin-permissions` client's resource server.
        self.admin_permissions_enabled = False
        self.authz = AuthzStore()

    def client_by_uuid(self, client_uuid: str) -> Client | None:
        return next((c for c in self.clients.values() if c.id == client_uuid), None)

    # users ------------------------------------------------------------------------------------------
    def add_user(self, username: str, email: str, first: str, last: str) -> User:
        user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"hyperota-sandbox/{self.name}/{username}"))
        user = User(user_id, username, email, first, last, int(self.clock() * 1000))
        user.realm_roles = [f"default-roles-{self.name}", *DEFAULT_REALM_ROLES]
        user.client_roles = {"account": list(ACCOUNT_ROLES)}
        self.users[user_id] = user
        return user

    def user_by_name(self, username: str) -> User | None:
        wanted = username.strip().lower()
        return next((u for u in self.users.values() if u.username == wanted), None)

    def sorted_users(self) -> list[User]:
        return sorted(self.users.values(), key=lambda u: u.username)

    # groups -----------------------------------------------------------------------------------------
    def add_group(self, name: str, parent: Group | None = None, attributes: dict | None = None) -> Group:
        group = Group(str(uuid.uuid4()), name, parent.id if parent else None, dict(attributes or {}))
        self.groups[group.id] = group
        return group

    def children(self, group: Group | None) -> list[Group]:
        parent_id = group.id if group else None
        return sorted((g for g in self.groups.values() if g.parent_id == parent_id), key=lambda g: g.name)

    def path(self, group: Group) -> str:
        names = [g.name.replace("/", "~/") for g in reversed(self.ancestry(group))]
        return "/" + "/".join(names)

    def ancestry(self, group: Group) -> list[Group]:
        """The group, its parent, ..., up to its top-level group."""
        chain = [group]
        while chain[-1].parent_id is not None:
            chain.append(self.groups[chain[-1].parent_id])
        return chain

    def top_level(self, group: Group) -> Group:
        return self.ancestry(group)[-1]

    def descendants(self, group: Group) -> list[Group]:
        found = []
        for child in self.children(group):
            found.append(child)
            found.extend(self.descendants(child))
        return found

    def by_path(self, path: str) -> Group | None:
        names = [n for n in path.strip("/").split("/") if n]
        current: Group | None = None
        for name in names:
            current = next((g for g in self.children(current) if g.name == name), None)
            if current is None:
                return None
        return current

    def sibling_named(self, parent_id: str | None, name: str, exclude: str | None = None) -> Group | None:
        return next(
            (
                g
                for g in self.groups.values()
                if g.parent_id == parent_id and g.name == name and g.id != exclude
            ),
            None,
        )

    def delete_group(self, group: Group) -> None:
        for doomed in [group, *self.descendants(group)]:
            self.groups.pop(doomed.id, None)
            self.authz.forget_resource(doomed.id)  # GroupRemovedEvent -> removeResourceObject
            for user in self.users.values():
                user.groups.discard(doomed.id)

    def members(self, group: Group) -> list[User]:
        return [u for u in self.sorted_users() if group.id in u.groups]

    def user_group_paths(self, user: User) -> list[str]:
        return sorted(self.path(self.groups[gid]) for gid in user.groups if gid in self.groups)

    # device grants ----------------------------------------------------------------------------------
    def new_device_grant(self, client_id: str, scope: str, lifespan: int, interval: int) -> DeviceGrant:
        codes = {g.user_code for g in self.device_grants.values()}
        while True:
            raw = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
            user_code = f"{raw[:4]}-{raw[4:]}"
            if user_code not in codes:
                break
        grant = DeviceGrant(
            device_code=secrets.token_urlsafe(32),
            user_code=user_code,
            client_id=client_id,
            scope=scope,
            expires_at=self.clock() + lifespan,
            interval=interval,
        )
        self.device_grants[grant.device_code] = grant
        return grant

    def grant_by_user_code(self, user_code: str) -> DeviceGrant | None:
        wanted = normalize_user_code(user_code)
        return next(
            (g for g in self.device_grants.values() if normalize_user_code(g.user_code) == wanted), None
        )

    # sessions ---------------------------------------------------------------------------------------
    def new_session(self, user: User, client_id: str, scope: str, offline: bool) -> Session:
        session = Session(str(uuid.uuid4()), user.id, client_id, scope, offline, self.clock())
        self.sessions[session.id] = session
        return session

    def end_session(self, session: Session) -> None:
        session.alive = False
        session.current_refresh = None


def normalize_user_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())
