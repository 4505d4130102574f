"""The floor of a re-publish on botocore, as a process: what any client built on botocore (the AWS SDK
the project uses, and the one `aws s3 sync` runs on) must spend to publish one changed 50 KB file.

It imports botocore, builds an S3 client, and sends only the requests a re-publish cannot avoid: one
listing of the application's manifests, a GET of the newest one, a PUT of the changed file, a PUT of the
new manifest (the newest one's bytes) and a PUT of a tag. No sign-in, keyring, authorization, hashing,
journal or checks: those are what `hyperota package publish` adds above this floor.

Usage: p2_floor.py ENDPOINT BUCKET READ_PREFIX WRITE_PREFIX (credentials from the AWS_* environment).
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


if __name__ == "__main__":
    main(*sys.argv[1:5])
