"""The floor of a re-publish, as a process: what any client must spend to publish one changed 50 KB file.

It imports botocore, builds an S3 client, and sends only the requests a re-publish cannot avoid: one
listing of the application's manifests, a GET of the newest one, a PUT of the changed file, a PUT of the
new manifest (the newest one's bytes) and a PUT of a tag. No sign-in, keyring, authorization, hashing,
journal or checks: those are what `hyperota package publish` adds above this floor.

`--stack ISSUER` adds what a signed-in client on the project's stack cannot avoid either, still
without any code of ours: it imports the libraries the sign-in needs (httpx, joserfc, keyring, asyncio),
reads one keyring entry (the stored token) and makes one Keycloak request (who the person is) on an
asyncio loop, as `hyperota` does.

Usage: p2_floor.py ENDPOINT BUCKET READ_PREFIX WRITE_PREFIX [--stack ISSUER]
(credentials from the AWS_* environment).
"""

from __future__ import annotations

import os
import sys

import botocore.session
from botocore.config import Config


def main(endpoint: str, bucket: str, read_prefix: str, write_prefix: str) -> None:
    config = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1})
    s3 = botocore.session.get_session().create_client("s3", endpoint_url=endpoint, config=config)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=read_prefix)
    newest = max(o["Key"] for o in listed["Contents"])
    manifest = s3.get_object(Bucket=bucket, Key=newest)["Body"].read()
    s3.put_object(Bucket=bucket, Key=f"{write_prefix}file", Body=os.urandom(50 * 1024))
    s3.put_object(Bucket=bucket, Key=f"{write_prefix}manifest.json", Body=manifest)
    s3.put_object(Bucket=bucket, Key=f"{write_prefix}tag", Body=b"latest")


def signed_in(issuer: str) -> None:
    """The stack's share: imports, one keyring read, one Keycloak request (its answer is not checked)."""
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # as the app does (lean_imports)
    import asyncio

    import httpx
    import joserfc.jwt  # noqa: F401  # the stored token's signature is checked with it
    import keyring

    keyring.get_password("hyperota-p2-floor", "token")

    async def whoami() -> None:
        async with httpx.AsyncClient() as client:
            await client.get(f"{issuer}/account/groups")  # Keycloak's Account API, as `hyperota`

    asyncio.run(whoami())


if __name__ == "__main__":
    if "--stack" in sys.argv:
        signed_in(sys.argv[sys.argv.index("--stack") + 1])
    main(*sys.argv[1:5])
