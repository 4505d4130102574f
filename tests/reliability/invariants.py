"""What must hold in the backends after any crash, fault or race, read from the emulators themselves.

`audit(sandbox, org, ...)` returns the problems found for one organisation (empty = all is well):
  - Keycloak: the organisation's group tree is whole (role groups; every application bound to a
    workspace) or entirely gone; its admin permissions exist exactly while it does;
  - Superposition: no enabled workspace of the organisation that no application group names; in the
    workspaces of the organisation, no variant context whose experiment does not exist and at most
    one unfinished release per target;
  - S3: no unfinished multipart upload below the organisation; every manifest names files S3 holds
    with their sizes; every tag points at a package that exists; no multipart part stored twice,
    except those a kill may have caught between S3 storing them and the client recording them;
  - the journal of the home: nothing unfinished, nothing stuck.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hyperota_desktop.domain.names import APP_ROLES, ORG_ROLES
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.org_sagas import WORKSPACE_ATTRIBUTE
from hyperota_desktop.stores.journal import SagaRecord
from tests.reliability.harness import SETTINGS


@dataclass
class Expect:
    """What the intents of a test should have left: exactly these applications (None = the org is
    gone), these package versions per application, this many unfinished releases per application."""

    apps: set[str] | None = field(default_factory=set)
    packages: dict[str, list[int]] = field(default_factory=dict)
    unfinished_releases: dict[str, int] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)  # role group path -> usernames


def stem(org: str) -> str:
    """Workspace names of an organisation's applications start with this (domain.names)."""
    return re.sub(r"[^a-zA-Z0-9]", "", org)


def groups_below(sandbox: Sandbox, org: str) -> dict[str, Any]:
    realm = sandbox.keycloak.realm
    with realm.lock:
        return {
            realm.path(g): g
            for g in realm.groups.values()
            if realm.path(g) == f"/{org}" or realm.path(g).startswith(f"/{org}/")
        }


def workspaces_of(sandbox: Sandbox, org: str) -> dict[str, Any]:
    sp = sandbox.superposition
    with sp.lock:
        return {
            name: ws
            for (org_id, name), ws in sp.workspaces.items()
            if org_id == sandbox.org_id and name.startswith(stem(org)) and not name[len(stem(org))].isdigit()
        }


def audit(
    sandbox: Sandbox,
    org: str,
    expect: Expect | None = None,
    *,
    journal: list[SagaRecord] | None = None,
    checkpointed: set[tuple[str, str, int]] = frozenset(),  # type: ignore[assignment]
    resend_allowed: int = int(SETTINGS["upload/parallel_parts"]),
) -> list[str]:
    """`checkpointed`: parts the client had recorded as stored when it was killed (never to be sent
    again); `resend_allowed`: how many other parts may be stored twice (in flight at the kill: S3
    stored them, the client never heard). Up to `parallel_parts` can be: a finished part frees its slot
    before its checkpoint is written, so the next part may already be on its way when the kill comes."""
    problems: list[str] = []
    problems += _keycloak(sandbox, org, expect)
    bound = {
        g.attributes.get(WORKSPACE_ATTRIBUTE, [""])[0]
        for path, g in groups_below(sandbox, org).items()
        if path.count("/") == 2 and g.name not in ORG_ROLES
    }
    problems += _superposition(sandbox, org, bound, expect)
    problems += _s3(sandbox, org, expect, checkpointed, resend_allowed)
    if journal is not None:
        for record in journal:
            if record.status not in ("done", "rolled_back"):
                problems.append(f"journal: {record.kind} '{record.title}' is {record.status}")
    return problems


def _keycloak(sandbox: Sandbox, org: str, expect: Expect | None) -> list[str]:
    problems = []
    groups = groups_below(sandbox, org)
    realm = sandbox.keycloak.realm
    with realm.lock:
        prefix = f"hyperota org {org}:"
        policies = [p.name for p in realm.authz.policies.values() if p.name.startswith(prefix)]
    if not groups:
        if expect is not None and expect.apps is not None:
            problems.append(f"keycloak: /{org} is missing")
        if policies:
            problems.append(f"keycloak: admin permissions of the deleted /{org} remain: {policies}")
        return problems
    if expect is not None and expect.apps is None:
        problems.append(f"keycloak: /{org} still exists: {sorted(groups)}")
    missing = [r for r in ORG_ROLES if f"/{org}/{r}" not in groups]
    if missing:
        problems.append(f"keycloak: /{org} lacks its role groups {missing}")
    apps = {p.split("/")[2] for p in groups if p.count("/") == 2 and p.split("/")[2] not in ORG_ROLES}
    if expect is not None and expect.apps is not None and apps != expect.apps:
        problems.append(f"keycloak: apps of /{org} are {sorted(apps)}, expected {sorted(expect.apps)}")
    for app in apps:
        lacking = [r for r in APP_ROLES if f"/{org}/{app}/{r}" not in groups]
        if lacking:
            problems.append(f"keycloak: /{org}/{app} lacks its role groups {lacking}")
        if not groups[f"/{org}/{app}"].attributes.get(WORKSPACE_ATTRIBUTE):
            problems.append(f"keycloak: /{org}/{app} names no workspace")
    if expect is not None:
        with realm.lock:
            for path, usernames in expect.members.items():
                group = groups.get(path)
                have = {u.username for u in realm.users.values() if group and group.id in u.groups}
                if have != usernames:
                    problems.append(f"keycloak: {path} has {sorted(have)}, expected {sorted(usernames)}")
    return problems


def _superposition(sandbox: Sandbox, org: str, bound: set[str], expect: Expect | None) -> list[str]:
    problems = []
    sp = sandbox.superposition
    for name, ws in workspaces_of(sandbox, org).items():
        with sp.lock:
            status = ws.status
            experiments = {str(e["id"]): dict(e) for e in ws.experiment_rows.values()}
            contexts = [dict(c) for c in ws.contexts.values()]
        if status == "ENABLED" and name not in bound:
            problems.append(f"superposition: workspace {name} is enabled but no application names it")
        if name in bound and status != "ENABLED":
            problems.append(f"superposition: workspace {name} of an application is {status}")
        for ctx in contexts:
            variant = (ctx.get("condition") or {}).get("variantIds")
            if isinstance(variant, str) and variant.rsplit("-", 1)[0] not in experiments:
                problems.append(f"superposition: context {ctx.get('id')} of {name} belongs to no experiment")
        unfinished = Counter(
            json.dumps(e.get("context"), sort_keys=True)
            for e in experiments.values()
            if e.get("status") in ("CREATED", "INPROGRESS", "PAUSED")
        )
        for target, count in unfinished.items():
            if count > 1:
                problems.append(f"superposition: {count} unfinished releases in {name} for target {target}")
        if expect is not None and name in bound:
            app = next(
                (g.name for p, g in groups_below(sandbox, org).items()
                 if g.attributes.get(WORKSPACE_ATTRIBUTE, [""])[0] == name),
                "",
            )  # fmt: skip
            want = expect.unfinished_releases.get(app)
            if want is not None and sum(unfinished.values()) != want:
                have = sum(unfinished.values())
                problems.append(f"superposition: {have} unfinished release(s) of {org}/{app}, not {want}")
    return problems


def _s3(
    sandbox: Sandbox, org: str, expect: Expect | None, checkpointed: set[tuple[str, str, int]], allowed: int
) -> list[str]:
    problems = []
    s3, bucket = sandbox.aws.client("s3"), sandbox.aws.bucket
    uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix=f"{org}/").get("Uploads", [])
    if uploads:
        problems.append(f"s3: {len(uploads)} unfinished multipart upload(s): {[u['Key'] for u in uploads]}")
    objects: dict[str, int] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{org}/"):
        objects.update({o["Key"]: int(o["Size"]) for o in page.get("Contents", [])})
    versions: dict[str, list[int]] = {}
    for key in sorted(objects):
        parts = key.split("/")
        if len(parts) == 4 and parts[2] == "packages" and key.endswith(".json"):
            manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            versions.setdefault(parts[1], []).append(int(manifest["version"]))
            for f in manifest["files"]:
                want = f"{org}/{parts[1]}/files/sha256/{f['checksum'][:2]}/{f['checksum']}"
                if objects.get(want) != f["size"]:
                    problems.append(f"s3: {key} names {f['file_path']}, which S3 does not hold as written")
        if len(parts) == 4 and parts[2] == "tags":
            tag = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            if f"{org}/{parts[1]}/packages/{int(tag['version']):08d}.json" not in objects:
                problems.append(f"s3: tag {key} points at a package that does not exist")
    if expect is not None:
        for app, wanted in expect.packages.items():
            if sorted(versions.get(app, [])) != sorted(wanted):
                problems.append(f"s3: packages of {org}/{app} are {versions.get(app, [])}, expected {wanted}")
        if expect.apps is None and objects:
            problems.append(f"s3: {len(objects)} object(s) of the deleted {org} remain")
    counts = sandbox.aws.parts.counts(f"{bucket}/{org}/")
    again = [p for p in checkpointed if counts.get(p, 0) > 1]
    if again:
        problems.append(f"s3: {len(again)} finished part(s) were sent again: {sorted(again)}")
    others = [p for p, n in counts.items() if n > 1 and p not in checkpointed]
    if len(others) > allowed:
        problems.append(f"s3: {len(others)} part(s) stored twice (at most {allowed} in flight): {others}")
    return problems


def experiments(sandbox: Sandbox, org: str, app: str) -> list[dict[str, Any]]:
    """The experiments (releases) of an application's workspace, oldest first."""
    group = groups_below(sandbox, org).get(f"/{org}/{app}")
    name = group.attributes.get(WORKSPACE_ATTRIBUTE, [""])[0] if group else ""
    sp = sandbox.superposition
    with sp.lock:
        ws = sp.workspaces.get((sandbox.org_id, name))
        rows = [dict(e) for e in ws.experiment_rows.values()] if ws else []
    return sorted(rows, key=lambda e: int(e["id"]))


def members(sandbox: Sandbox, path: str) -> set[str]:
    realm = sandbox.keycloak.realm
    with realm.lock:
        group = realm.by_path(path)
        return {u.username for u in realm.users.values() if group is not None and group.id in u.groups}
