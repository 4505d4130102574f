"""The sandbox realm's starting content: users, the `demo` organisation and its delegation.

alice is a realm administrator (the realm-management client role `realm-admin`, a composite of every
admin role) and owner of `/demo`; bob reads `demo`, dave writes it, carol belongs to nothing. Nobody else
holds an admin role: what bob and dave may see of `demo` comes from the fine-grained admin permissions
(FGAP v2) the desktop client creates when a realm administrator creates an organisation — seeded here
for `demo` exactly as docs/keycloak-setup.md lays them out (a test checks the client plans the same).
"""

from __future__ import annotations

from .fgap import GROUPS, USERS, Policy
from .model import Group, Realm
from .roles import REALM_MANAGEMENT

ORG_SUBGROUPS = ("owner", "admin", "write", "read")
MANAGERS_POLICY = "hyperota: organisation managers"
FIND_PEOPLE = "hyperota: organisation managers may find and add people"


def seed(realm: Realm, *, delegation: bool = True) -> dict[str, str]:
    """Seed users and the `demo` organisation (with its FGAP objects when the realm has admin
    permissions); return the passwords by username."""
    alice = realm.add_user("alice", "alice@example.com", "Alice", "Admin")
    bob = realm.add_user("bob", "bob@example.com", "Bob", "Reader")
    realm.add_user("carol", "carol@example.com", "Carol", "Nobody")
    dave = realm.add_user("dave", "dave@example.com", "Dave", "Writer")
    alice.client_roles[REALM_MANAGEMENT] = ["realm-admin"]
    demo = realm.add_group("demo")
    roles = {name: realm.add_group(name, demo) for name in ORG_SUBGROUPS}
    alice.groups.add(roles["owner"].id)
    dave.groups.add(roles["write"].id)
    bob.groups.add(roles["read"].id)
    if delegation:
        delegate_org(realm, demo)
    return {name: f"{name}-sandbox" for name in ("alice", "bob", "carol", "dave")}


def _policy(realm: Realm, name: str, **fields: object) -> Policy:
    return realm.authz.add(Policy(realm.authz.new_id(), name, **fields))  # type: ignore[arg-type]


def delegate_org(realm: Realm, org: Group) -> None:
    """The permissions a realm administrator's `org create` makes (docs/keycloak-setup.md)."""
    subtree = [org, *realm.descendants(org)]
    owner = realm.sibling_named(org.id, "owner")
    admin = realm.sibling_named(org.id, "admin")
    assert owner is not None and admin is not None
    prefix = f"hyperota org {org.name}"
    members = _policy(
        realm, f"{prefix}: members", type="group", groups=[{"id": org.id, "extendChildren": True}]
    )
    managers = _policy(
        realm,
        f"{prefix}: managers",
        type="group",
        groups=[{"id": owner.id, "extendChildren": False}, {"id": admin.id, "extendChildren": False}],
    )
    owners = _policy(
        realm, f"{prefix}: owners", type="group", groups=[{"id": owner.id, "extendChildren": False}]
    )
    _policy(
        realm,
        f"{prefix}: members may view",
        type="scope",
        resource_type=GROUPS,
        resources=[g.id for g in subtree],
        scopes=["view", "view-members"],
        policies=[members.id],
    )
    _policy(
        realm,
        f"{prefix}: managers may manage",
        type="scope",
        resource_type=GROUPS,
        resources=[g.id for g in subtree if g.id != owner.id],
        scopes=["manage", "manage-membership"],
        policies=[managers.id],
    )
    _policy(
        realm,
        f"{prefix}: owners may manage owners",
        type="scope",
        resource_type=GROUPS,
        resources=[owner.id],
        scopes=["manage", "manage-membership"],
        policies=[owners.id],
    )
    everyone = realm.authz.by_name(MANAGERS_POLICY) or _policy(realm, MANAGERS_POLICY, type="group")
    everyone.groups += [{"id": owner.id, "extendChildren": False}, {"id": admin.id, "extendChildren": False}]
    if realm.authz.by_name(FIND_PEOPLE) is None:
        _policy(
            realm,
            FIND_PEOPLE,
            type="scope",
            resource_type=USERS,
            scopes=["view", "manage-group-membership"],
            policies=[everyone.id],
        )
    org.client_roles[REALM_MANAGEMENT] = {"query-groups", "query-users"}
