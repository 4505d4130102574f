"""Render the IAM documents of the S3-isolation setup for one deployment (see docs/aws-setup.md).

    python packaging/aws/render.py --account 123456789012 --issuer https://sso.example.com/realms/hyperota \
        --audience hyperota-desktop --bucket ota-files [--prefix P] [--kms-key ARN ...] [--slots 12] --out DIR

Writes trust-policy.json (the role's trust), read-policy.json and write-policy.json (attach both to the
role as managed policies), kms-policy.json (when --kms-key is given) and manifests-bucket-policy.json
(optional, for the bucket). The documents come from hyperota_desktop/domain/s3_isolation.py, the same
contract the Keycloak mapper (keycloak/hyperota-aws-tags.js) and the app follow.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hyperota_desktop.domain import s3_isolation as iso

MANAGED_POLICY_LIMIT = 6144  # characters, whitespace not counted (IAM quotas)


def documents(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    docs = {
        "trust-policy.json": iso.trust_policy(args.account, args.issuer, args.audience),
        "read-policy.json": iso.read_policy(args.bucket, args.prefix, args.slots),
        "write-policy.json": iso.write_policy(args.bucket, args.prefix, args.slots),
        "manifests-bucket-policy.json": iso.manifests_bucket_policy(args.bucket, args.prefix),
    }
    if args.kms_key:
        docs["kms-policy.json"] = iso.kms_policy(args.kms_key)
    return docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--account", required=True, help="AWS account id")
    parser.add_argument("--issuer", required=True, help="Keycloak realm URL (the token's iss)")
    parser.add_argument("--audience", default="hyperota-desktop", help="the token's aud (client id)")
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--prefix", default="", help="the profiles' key prefix, if any")
    parser.add_argument("--kms-key", action="append", default=[], help="KMS key ARN (repeat)")
    parser.add_argument(
        "--slots",
        type=int,
        default=iso.DEFAULT_SLOTS,
        choices=range(1, iso.MAX_SLOTS + 1),
        metavar=f"1..{iso.MAX_SLOTS}",
        help="tag slots (must match SLOTS in the mapper)",
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, doc in documents(args).items():
        (args.out / name).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out / name}")
        size = len(json.dumps(doc, separators=(",", ":")))
        if size > MANAGED_POLICY_LIMIT and name != "trust-policy.json":
            print(
                f"warning: {name} has {size} characters; a managed policy holds {MANAGED_POLICY_LIMIT}: "
                "use fewer --slots",
                file=sys.stderr,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
