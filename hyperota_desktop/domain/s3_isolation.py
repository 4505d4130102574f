"""Where S3 itself refuses: per-person STS credentials confined to the prefixes of their organisations.

The client's checks are convenience; anyone holding shared AWS keys can write every organisation's
prefix. With `aws_credential_mode = web-identity` each person's credentials come from STS
`AssumeRoleWithWebIdentity` with their Keycloak access token, and the token carries **session tags**
(claim `https://aws.amazon.com/tags`) that name the key prefixes they may read and write. One role
policy, written with `${aws:PrincipalTag/…}` variables, then confines every person to their own tags.

AWS session tags are single-valued (a list is refused) and at most 50 per session, and a policy
variable cannot be split, so each prefix gets its own numbered *slot* tag: `hyperota-r1..rN` for the
roots a person may read, `hyperota-w1..wN` for the roots they may write. A root is `org` (an org role)
or `org/app` (an application role only). This module is the single definition of that contract:
the Keycloak script mapper in `packaging/aws/keycloak/` computes the same tags (a test runs the
JavaScript and compares), `packaging/aws/render.py` renders these policies, and the app reads the
tags back to show a person what S3 will let them do. See docs/aws-setup.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TAGS_CLAIM = "https://aws.amazon.com/tags"
READ_TAG = "hyperota-r"
WRITE_TAG = "hyperota-w"
MORE_TAG = "hyperota-more"  # "true" when a person has more roots than slots (the rest is refused)
DEFAULT_SLOTS = 12  # 2 x 12 + 1 = 25 tags, half of AWS's 50; raise with care (policy size grows too)
MAX_SLOTS = 24
_NAME = re.compile(r"[a-z0-9._-]{1,50}")  # domain/names.py; also safe as a tag value and in an ARN
_ORG_ROLES = {"owner": 4, "admin": 3, "write": 2, "read": 1}
_APP_ROLES = {"admin": 3, "write": 2, "read": 1}
WRITE = 2


def _valid(name: str) -> bool:
    return bool(_NAME.fullmatch(name)) and name not in (".", "..")


def s3_roots(group_paths: Iterable[str]) -> tuple[list[str], list[str]]:
    """(read roots, write roots) from Keycloak group paths, sorted; an app root is left out when its
    organisation's root already covers it. Paths with names that are not valid names are ignored."""
    org_level: dict[str, int] = {}
    app_level: dict[tuple[str, str], int] = {}
    for path in group_paths:
        parts = path.removeprefix("/").split("/")  # "//x" has an empty first name: not ours
        if not all(_valid(p) for p in parts):
            continue
        if len(parts) == 2 and parts[1] in _ORG_ROLES:
            org_level[parts[0]] = max(org_level.get(parts[0], 0), _ORG_ROLES[parts[1]])
        elif len(parts) == 3 and parts[2] in _APP_ROLES and parts[1] not in _ORG_ROLES:
            key = (parts[0], parts[1])
            app_level[key] = max(app_level.get(key, 0), _APP_ROLES[parts[2]])

    def roots(least: int) -> list[str]:
        orgs = {o for o, level in org_level.items() if level >= least}
        apps = {f"{o}/{a}" for (o, a), level in app_level.items() if level >= least and o not in orgs}
        return sorted(orgs | apps)

    return roots(1), roots(WRITE)


def session_tags(group_paths: Iterable[str], slots: int = DEFAULT_SLOTS) -> dict[str, Any]:
    """The `https://aws.amazon.com/tags` claim value for a person in these groups (AWS's format:
    every tag value is a one-element list)."""
    read, write = s3_roots(group_paths)
    tags: dict[str, list[str]] = {}
    for prefix, found in ((READ_TAG, read), (WRITE_TAG, write)):
        for i, root in enumerate(found[:slots], start=1):
            tags[f"{prefix}{i}"] = [root]
    if len(read) > slots or len(write) > slots:
        tags[MORE_TAG] = ["true"]
    return {"principal_tags": tags}


@dataclass(frozen=True)
class TokenIsolation:
    """What the session tags in a person's token let S3 grant them."""

    read: tuple[str, ...]
    write: tuple[str, ...]
    truncated: bool

    def describe(self) -> str:
        if not self.read and not self.write:
            return "S3 grants nothing: the sign-in token names no organisation"
        read, write = ", ".join(self.read) or "nothing", ", ".join(self.write) or "nothing"
        text = f"S3 lets you read {read}; write {write}"
        return text + (" (more memberships than tag slots: the rest is refused)" if self.truncated else "")


def token_isolation(claims: dict[str, Any]) -> TokenIsolation | None:
    """The roots named by a token's session tags; None when the token carries no tags claim."""
    claim = claims.get(TAGS_CLAIM)
    tags = claim.get("principal_tags") if isinstance(claim, dict) else None
    if not isinstance(tags, dict):
        return None

    def values(prefix: str) -> tuple[str, ...]:
        found = []
        for key, value in tags.items():
            if isinstance(key, str) and key.startswith(prefix) and key[len(prefix) :].isdigit():
                item = value[0] if isinstance(value, list) and value else value
                if isinstance(item, str):
                    found.append((int(key[len(prefix) :]), item))
        return tuple(v for _, v in sorted(found))

    more = tags.get(MORE_TAG)
    return TokenIsolation(values(READ_TAG), values(WRITE_TAG), more in (["true"], "true"))


# -- IAM policies ---------------------------------------------------------------------------------
def _prefix(key_prefix: str) -> str:
    p = key_prefix.strip("/")
    return f"{p}/" if p else ""


def read_policy(bucket: str, key_prefix: str = "", slots: int = DEFAULT_SLOTS) -> dict[str, Any]:
    """Read slots: list and get objects under each `P/{root}/`. One statement per slot on purpose: a
    statement whose tag is missing does not apply at all (AWS: an unresolvable variable makes the
    statement not match), so a person with two roots never gets the statements of slot 3."""
    p = _prefix(key_prefix)
    statements: list[dict[str, Any]] = []
    for i in range(1, slots + 1):
        tag = f"${{aws:PrincipalTag/{READ_TAG}{i}}}"
        statements.append({
            "Sid": f"ListRead{i}", "Effect": "Allow", "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{bucket}",
            "Condition": {"StringLike": {"s3:prefix": [f"{p}{tag}/", f"{p}{tag}/*"]}},
        })  # fmt: skip
        statements.append({
            "Sid": f"GetRead{i}", "Effect": "Allow", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/{p}{tag}/*",
        })  # fmt: skip
    return {"Version": "2012-10-17", "Statement": statements}


WRITE_ACTIONS = ("s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")


def write_policy(bucket: str, key_prefix: str = "", slots: int = DEFAULT_SLOTS) -> dict[str, Any]:
    """Write slots: put (single and multipart), delete, abort and list parts under each `P/{root}/`,
    plus the one bucket-wide listing S3 cannot confine to a prefix (unfinished multipart uploads)."""
    p = _prefix(key_prefix)
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ListUnfinishedUploads", "Effect": "Allow", "Action": "s3:ListBucketMultipartUploads",
            "Resource": f"arn:aws:s3:::{bucket}",
            "Condition": {"Null": {f"aws:PrincipalTag/{WRITE_TAG}1": "false"}},
        }
    ]  # fmt: skip
    for i in range(1, slots + 1):
        tag = f"${{aws:PrincipalTag/{WRITE_TAG}{i}}}"
        statements.append({
            "Sid": f"Write{i}", "Effect": "Allow", "Action": list(WRITE_ACTIONS),
            "Resource": f"arn:aws:s3:::{bucket}/{p}{tag}/*",
        })  # fmt: skip
    return {"Version": "2012-10-17", "Statement": statements}


def kms_policy(key_arns: Iterable[str]) -> dict[str, Any]:
    """Signing and envelope encryption with the profile's keys (KMS cannot be confined per org)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "UseHyperotaKeys",
                "Effect": "Allow",
                "Action": ["kms:Sign", "kms:Verify", "kms:GetPublicKey", "kms:DescribeKey",
                           "kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"],
                "Resource": sorted(key_arns),
            }
        ],
    }  # fmt: skip


def trust_policy(account_id: str, issuer: str, audience: str) -> dict[str, Any]:
    """Who may assume the role: tokens of this Keycloak realm issued for `audience`; `sts:TagSession`
    is required because the token carries session tags (AWS refuses the call without it)."""
    provider = issuer.split("://", 1)[-1].rstrip("/")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "HyperotaPeople",
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{account_id}:oidc-provider/{provider}"},
                "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                "Condition": {"StringEquals": {f"{provider}:aud": audience}},
            }
        ],
    }


def manifests_bucket_policy(bucket: str, key_prefix: str = "") -> dict[str, Any]:
    """Optional bucket policy: a package manifest can only be created, never overwritten (S3's
    `s3:if-none-match` condition key); the client already writes manifests with `If-None-Match: *`."""
    p = _prefix(key_prefix)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ManifestsAreWrittenOnce",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/{p}*/packages/*",
                "Condition": {"Null": {"s3:if-none-match": "true"}},
            }
        ],
    }
