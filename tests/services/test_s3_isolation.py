"""Issue 17.2: where S3 itself refuses. The contract of hyperota_desktop/domain/s3_isolation.py is
checked three ways: the shipped Keycloak script mapper (run in an ES5 engine, like Keycloak's Nashorn)
computes exactly its session tags; the shipped example policies are what `render.py` makes and fit
IAM's size limits; and moto, enforcing IAM in a process of its own, lets the app publish where the
person's tags allow and refuses the rest. What moto cannot check is listed in docs/aws-setup.md."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import dukpy
import pytest
from botocore.config import Config
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperota_desktop.domain import s3_isolation as iso
from hyperota_desktop.domain.access import Identity
from hyperota_desktop.domain.errors import PermissionDenied
from hyperota_desktop.domain.profiles import AwsCredentialMode, Profile
from hyperota_desktop.services.authz import Authorizer
from hyperota_desktop.services.aws_credentials import AwsCredentials
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.saga import SagaFailed, SagaRunner
from hyperota_desktop.services.storage import S3Storage, client_config
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.stores.hash_cache import HashCache
from hyperota_desktop.stores.journal import Journal
from hyperota_desktop.stores.secrets import SecretStore
from hyperota_desktop.stores.upload_checkpoints import UploadCheckpoints
from tests.support import bundles
from tests.support.iam_sandbox import resolve_policy

ROOT = Path(__file__).resolve().parents[2]
MAPPER = ROOT / "packaging" / "aws" / "keycloak" / "hyperota-aws-tags.js"
EXAMPLE = ROOT / "packaging" / "aws" / "example"
MiB = 1024 * 1024

# A fake Keycloak UserModel for the script: groups with getName()/getParent(), as GroupModel has.
_FAKE_USER = """
function makeGroup(name, parent) { return { getName: function () { return name; },
                                            getParent: function () { return parent; } }; }
var made = {};
function group(path) {
  if (made[path]) { return made[path]; }
  var cut = path.lastIndexOf("/");
  var parent = cut > 0 ? group(path.substring(0, cut)) : null;
  made[path] = makeGroup(path.substring(cut + 1), parent);
  return made[path];
}
var user = { getGroupsStream: function () { return { forEach: function (fn) {
  var paths = dukpy["paths"]; for (var i = 0; i < paths.length; i++) { fn(group(paths[i])); } } }; } };
"""


def run_mapper(paths: list[str]) -> dict[str, Any]:
    return json.loads(dukpy.evaljs([_FAKE_USER, MAPPER.read_text(encoding="utf-8")], paths=paths))


def test_the_mapper_uses_the_default_slot_count() -> None:
    assert f"var SLOTS = {iso.DEFAULT_SLOTS};" in MAPPER.read_text(encoding="utf-8")


def test_the_mapper_names_read_and_write_roots() -> None:
    paths = ["/demo/write", "/demo/web/admin", "/shop/web/read", "/shop/app2/write", "/ops/read",
             "/..\n/owner", "/bad name/write", "/org-creators"]  # fmt: skip
    tags = run_mapper(paths)
    assert tags == iso.session_tags(paths)
    assert tags["principal_tags"] == {
        "hyperota-r1": ["demo"], "hyperota-r2": ["ops"], "hyperota-r3": ["shop/app2"],
        "hyperota-r4": ["shop/web"], "hyperota-w1": ["demo"], "hyperota-w2": ["shop/app2"],
    }  # fmt: skip


def test_more_roots_than_slots_are_cut_and_flagged() -> None:
    paths = [f"/org{i:02d}/read" for i in range(iso.DEFAULT_SLOTS + 3)]
    tags = run_mapper(paths)["principal_tags"]
    assert tags["hyperota-more"] == ["true"] and f"hyperota-r{iso.DEFAULT_SLOTS + 1}" not in tags
    view = iso.token_isolation({iso.TAGS_CLAIM: {"principal_tags": tags}})
    assert view is not None and view.truncated and len(view.read) == iso.DEFAULT_SLOTS


_names = st.sampled_from(["demo", "shop", "a.b", "x_y", "owner", "web", "app-2", "..", "Bad", "", "é"])
_paths = st.lists(
    st.one_of(
        st.tuples(_names, st.sampled_from(["owner", "admin", "write", "read", "other"])).map(
            "/{0[0]}/{0[1]}".format
        ),
        st.tuples(_names, _names, st.sampled_from(["admin", "write", "read", "owner"])).map(
            "/{0[0]}/{0[1]}/{0[2]}".format
        ),
        _names.map("/{}".format),
    ),
    max_size=14,
)


@settings(max_examples=120, deadline=None)
@given(paths=_paths)
def test_the_mapper_and_the_python_contract_agree(paths: list[str]) -> None:
    assert run_mapper(paths) == iso.session_tags(paths)


def test_the_shipped_examples_are_what_render_makes(tmp_path: Path) -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/EXAMPLE-"
    args = ["--account", "123456789012", "--issuer", "https://sso.example.com/realms/hyperota",
            "--bucket", "example-ota-files", "--kms-key", f"{key}SIGNING", "--kms-key", f"{key}DATA",
            "--out", str(tmp_path)]  # fmt: skip
    result = subprocess.run([sys.executable, str(ROOT / "packaging/aws/render.py"), *args],
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert "warning" not in result.stderr
    shipped = sorted(p.name for p in EXAMPLE.glob("*.json"))
    assert shipped == sorted(p.name for p in tmp_path.glob("*.json"))
    for name in shipped:
        assert json.loads((EXAMPLE / name).read_text()) == json.loads((tmp_path / name).read_text()), name


@pytest.mark.parametrize("slots", [1, iso.DEFAULT_SLOTS])
def test_policies_fit_a_managed_policy_and_tags_fit_a_session(slots: int) -> None:
    for policy in (iso.read_policy("b" * 63, "p/q", slots), iso.write_policy("b" * 63, "p/q", slots)):
        assert len(json.dumps(policy, separators=(",", ":"))) <= 6144  # IAM managed policy quota
    tags = iso.session_tags([f"/org{i:02d}/owner" for i in range(40)], slots)["principal_tags"]
    assert len(tags) <= 50 and all(len(k) <= 128 and len(v[0]) <= 256 for k, v in tags.items())


def test_resolving_drops_statements_of_missing_tags() -> None:
    policy = iso.write_policy("bkt", "", 3)
    resolved = resolve_policy(policy, {"hyperota-w1": "demo"})
    resources = [s["Resource"] for s in resolved["Statement"]]
    assert resources == ["arn:aws:s3:::bkt", "arn:aws:s3:::bkt/demo/*"]
    assert resolve_policy(policy, {})["Statement"] == []


# -- moto enforcing IAM, in its own process --------------------------------------------------------
PEOPLE = {
    "alice": ["/demo/owner", "/shared/read"],  # owns demo, reads shared
    "bob": ["/demo/read", "/shared/web/write"],  # reads demo, writes one app of shared
}


@pytest.fixture(scope="module")
def iam_sandbox() -> Iterator[dict[str, Any]]:
    people = [{"name": n, "tags": {k: v[0] for k, v in iso.session_tags(p)["principal_tags"].items()}}
              for n, p in PEOPLE.items()]  # fmt: skip
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.support.iam_sandbox"], cwd=ROOT, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(json.dumps(people) + "\n")
    child.stdin.flush()
    line = child.stdout.readline()
    assert line, "the IAM sandbox did not start"
    yield json.loads(line)
    child.stdin.close()
    child.wait(timeout=30)
    child.stdout.close()


def _service(env: dict[str, Any], person: str, home: Path) -> tuple[PackageService, AwsCredentials]:
    profile = Profile(
        name=person, issuer="https://sso.example.com/realms/hyperota", s3_endpoint=env["endpoint"],
        bucket=env["bucket"], aws_credential_mode=AwsCredentialMode.WEB_IDENTITY,
        aws_role_arn=env["roles"][person],
    )  # fmt: skip
    creds = AwsCredentials(
        profile, SecretStore(), web_token=lambda: f"token-of-{person}", configs={"s3": client_config()}
    )
    dirs = AppDirs.under(home).ensure()
    storage = S3Storage(
        lambda: creds.aclient("s3"), env["bucket"],
        checkpoints=UploadCheckpoints(dirs.data / "upload_checkpoints.sqlite3"),
        part_size=5 * MiB, multipart_threshold=5 * MiB,
    )  # fmt: skip
    # The client lets everyone everywhere here (a realm administrator to its authorizer): what is
    # tested is that S3 itself refuses, whatever the client thinks.
    trusted = Identity(
        f"sub-{person}", person, "", realm_rights=frozenset({"realm-admin"}), is_realm_admin=True
    )

    async def load() -> Identity:
        return trusted

    service = PackageService(
        storage, SagaRunner(Journal(dirs.data / "journal.sqlite3"), actor=person),
        HashCache(dirs.cache / "hashes.sqlite3"), cache_dir=dirs.cache, authz=Authorizer(load),
    )  # fmt: skip
    return service, creds


def _admin_s3(env: dict[str, Any]) -> Any:
    key, secret = env["admin"]
    return boto3.session.Session().client(
        "s3", endpoint_url=env["endpoint"], region_name="us-east-1", aws_access_key_id=key,
        aws_secret_access_key=secret, config=Config(s3={"addressing_style": "path"}),
    )  # fmt: skip


def _bundle(tmp_path: Path, name: str, big: bool = False) -> Path:
    root = bundles.react_native(tmp_path / name)
    if big:
        (root / "raw" / "big.bin").write_bytes(b"\x02" * (6 * MiB))  # a multipart upload
    return root


async def test_s3_lets_a_person_publish_only_where_their_tags_allow(
    iam_sandbox: dict[str, Any], tmp_path: Path
) -> None:
    admin = _admin_s3(iam_sandbox)
    admin.put_object(Bucket=iam_sandbox["bucket"], Key="secret/web/packages/00000001.json", Body=b"{}")
    alice, _ = _service(iam_sandbox, "alice", tmp_path / "alice")
    bob, _ = _service(iam_sandbox, "bob", tmp_path / "bob")

    # alice owns demo: single and multipart uploads, the conditional manifest and a tag all pass
    result = await alice.publish("demo", "web", [_bundle(tmp_path, "a1", big=True)], tag="beta")
    assert result.version == 1
    assert (await alice.show("demo", "web", 1)).version == 1

    # bob only reads demo: S3 refuses his publish there, whatever the client thinks
    with pytest.raises(SagaFailed) as refused:
        await bob.publish("demo", "web", [_bundle(tmp_path, "b1")])
    assert isinstance(refused.value.cause, PermissionDenied)
    assert (await bob.show("demo", "web", 1)).version == 1  # but he can read it

    # bob writes shared/web, not the rest of shared
    assert (await bob.publish("shared", "web", [_bundle(tmp_path, "b2")])).version == 1
    with pytest.raises(SagaFailed) as elsewhere:
        await bob.publish("shared", "other", [_bundle(tmp_path, "b3")])
    assert isinstance(elsewhere.value.cause, PermissionDenied)

    # nobody reaches an organisation they are not in, not even to read one object
    for person in (alice, bob):
        with pytest.raises(PermissionDenied):
            await person.storage.get_bytes("secret/web/packages/00000001.json")
        with pytest.raises(SagaFailed):
            await person.publish("secret", "web", [_bundle(tmp_path, f"s-{id(person)}")])
    listed = admin.list_objects_v2(Bucket=iam_sandbox["bucket"], Prefix="secret/")
    assert [o["Key"] for o in listed.get("Contents", [])] == ["secret/web/packages/00000001.json"]
    bob_wrote = admin.list_objects_v2(Bucket=iam_sandbox["bucket"], Prefix="shared/other/")
    assert bob_wrote.get("KeyCount") == 0
