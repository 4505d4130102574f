"""A moto S3/KMS/STS sandbox that enforces IAM, in its own process (moto's switch is process-global).

moto (5.2) enforces identity policies of IAM users and assumed roles once `INITIAL_NO_AUTH_ACTION_COUNT`
requests have passed (`/moto-api/reset-auth` sets it; moto/core/authorization.py). What it does not do,
and what this harness therefore does by hand or leaves untested (docs/aws-setup.md lists it):
  - policy variables: `${aws:PrincipalTag/…}` is matched literally. `resolve_policy` substitutes a
    person's session tags the way AWS documents it (a statement whose variable has no value does not
    apply) and each person gets a role with their resolved policy;
  - conditions other than StringEquals (`StringLike` on `s3:prefix`, `Null`) are ignored, so listing is
    NOT confined here;
  - AssumeRoleWithWebIdentity ignores the token and the trust policy, and fails with IAM enforcement
    on (it reads the Authorization header of an unsigned request): `UnsignedStsPassThrough` lets that
    one unsigned call through with enforcement off, as AWS does not sign it either.

Run as `python -m tests.support.iam_sandbox` with a JSON list of {name, tags} on stdin: prints one JSON
line {endpoint, roles: {name: arn}, signing_key_arn}, then serves until stdin closes.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any

_VARIABLE = re.compile(r"\$\{aws:PrincipalTag/([^}]+)\}")


def resolve_policy(policy: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    """`policy` as AWS evaluates it for a session with `tags`: variables replaced by the tag values,
    statements with a variable whose tag is missing dropped, `Null` checks on principal tags decided."""
    kept = []
    for statement in policy["Statement"]:
        text = json.dumps(statement)
        if any(name not in tags for name in _VARIABLE.findall(text)):
            continue
        resolved = json.loads(_VARIABLE.sub(lambda m: tags[m.group(1)], text))
        nulls = resolved.get("Condition", {}).pop("Null", {})
        if any(key.startswith("aws:PrincipalTag/") and (key.split("/", 1)[1] in tags) != (want == "false")
               for key, want in nulls.items()):  # fmt: skip
            continue
        if not resolved.get("Condition"):
            resolved.pop("Condition", None)
        kept.append(resolved)
    return {"Version": policy["Version"], "Statement": kept}


class UnsignedStsPassThrough:
    """WSGI middleware: the unsigned STS call runs with moto's IAM enforcement off (see above)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        import io

        from moto.core.authorization import disable_iam_authentication

        if "HTTP_AUTHORIZATION" in environ or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if b"Action=AssumeRoleWithWebIdentity" not in body:
            return self.app(environ, start_response)
        with disable_iam_authentication():
            return list(self.app(environ, start_response))


def _serve(people: list[dict[str, Any]]) -> None:
    import boto3
    import requests
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from hyperota_desktop.domain import s3_isolation as iso
    from hyperota_desktop.sandbox.aws import ACCOUNT_ID, AwsSandbox, S3ChecksumCheck
    from hyperota_desktop.sandbox.http import serve

    app = UnsignedStsPassThrough(S3ChecksumCheck(DomainDispatcherApplication(create_backend_app)))
    sandbox = AwsSandbox(server=serve(app, "aws-iam"))
    sandbox._seed()
    iam = sandbox.client("iam")
    kms = sandbox.client("kms")
    key_arns = [
        kms.describe_key(KeyId=k)["KeyMetadata"]["Arn"] for k in (sandbox.data_key, sandbox.signing_key)
    ]
    trust = iso.trust_policy(ACCOUNT_ID, "https://sso.example.com/realms/hyperota", "hyperota-desktop")
    roles = {}
    for person in people:
        role = f"hyperota-{person['name']}"
        arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        documents = {
            "read": iso.read_policy(sandbox.bucket, person.get("key_prefix", "")),
            "write": iso.write_policy(sandbox.bucket, person.get("key_prefix", "")),
            "kms": iso.kms_policy(key_arns),
        }
        for name, document in documents.items():
            resolved = resolve_policy(document, person["tags"])
            if resolved["Statement"]:
                iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(resolved))
        roles[person["name"]] = arn
    # an administrator (an IAM user with full S3 rights) to seed objects the people must not reach
    iam.create_user(UserName="admin")
    admin_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(admin_policy))
    admin = iam.create_access_key(UserName="admin")["AccessKey"]
    requests.post(f"{sandbox.endpoint}/moto-api/reset-auth", data=b"0", timeout=10)  # enforcement on
    answer = {
        "endpoint": sandbox.endpoint, "bucket": sandbox.bucket, "roles": roles,
        "admin": [admin["AccessKeyId"], admin["SecretAccessKey"]],
        "signing_key": sandbox.signing_key, "data_key": sandbox.data_key,
    }  # fmt: skip
    del boto3
    print(json.dumps(answer), flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin
    sandbox.server.stop()


if __name__ == "__main__":
    _serve(json.loads(sys.stdin.readline()))
