"""Credentials that end in the middle of an operation, as the person meets it: the real `hyperota`.

- The access token expires mid-saga (the server answers 401): renewed once, the work continues.
- The sign-in ends mid-saga (the refresh token revoked at the server, through the standard revocation
  endpoint, RFC 7009): the run stops without undoing anything (undoing needs the sign-in too), the
  person is told to sign in again, and after signing in the same command reconciles the stopped run
  and gives exactly one result.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.auth.store import REFRESH_KEY
from hyperota_desktop.stores.secrets import SERVICE
from tests.reliability.crash_env import CrashEnv, big_bundle
from tests.reliability.harness import PROFILE, Home
from tests.reliability.invariants import Expect
from tests.support import file_keyring

MEMBERSHIP = r"/users/[^/]+/groups/"  # `make the creator owner`, mid-way through `org create`


def _revoke_sign_in(sb: Sandbox, home: Home) -> None:
    """End the home's sign-in at Keycloak, as an administrator or a password change does."""
    refresh = file_keyring.FileKeyring(home.keyring).get_password(SERVICE, f"{PROFILE}/{REFRESH_KEY}")
    answer = httpx.post(
        f"{sb.issuer}/protocol/openid-connect/revoke",
        data={"token": refresh, "client_id": sb.keycloak.client_id, "token_type_hint": "refresh_token"},
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.slow
@pytest.mark.matrix
async def test_an_access_token_expiring_mid_saga_is_renewed(home: Home, sb: Sandbox, tmp_path: Path) -> None:
    env = CrashEnv(home, sb, tmp_path)
    faults = sb.servers["keycloak"].faults
    expired = {"error": "HTTP 401 Unauthorized"}
    faults.add(MEMBERSHIP, method="PUT", status=401, body=expired, headers={"WWW-Authenticate": "Bearer"})
    run = home.cli("org", "create", env.org, "--json")
    assert run.code == 0, run
    assert [h for h in faults.hits if h[0] == "PUT"], "the 401 was never answered"
    assert env.problems(Expect(apps=set(), members={f"/{env.org}/owner": {"alice"}})) == []


@pytest.mark.slow
async def test_a_sign_in_ended_mid_saga_stops_it_and_the_next_sign_in_reconciles(
    home: Home, sb: Sandbox, tmp_path: Path
) -> None:
    home.sign_in(sb, "alice")  # a session of this home alone: revoking it leaves the other tests theirs
    env = CrashEnv(home, sb, tmp_path)
    command = ("org", "create", env.org, "--json")
    faults = sb.servers["keycloak"].faults
    faults.add(
        MEMBERSHIP, method="PUT", status=401, body={"error": "HTTP 401 Unauthorized"},
        headers={"WWW-Authenticate": "Bearer"}, on_hit=lambda _m, _p: _revoke_sign_in(sb, home),
    )  # fmt: skip
    stopped = home.cli(*command)
    faults.clear()
    assert stopped.code != 0, stopped
    assert "sign in again" in stopped.err.lower() and "nothing is lost" in stopped.err.lower(), stopped
    assert "Traceback" not in stopped.err
    unfinished = [r for r in home.journal() if r.status not in ("done", "undone", "failed")]
    assert len(unfinished) == 1, [(r.kind, r.status) for r in home.journal()]  # left, not half-undone

    home.sign_in(sb, "alice")
    again = home.cli(*command)
    assert again.code == 0, again
    assert env.org in again.out, again
    assert env.problems(Expect(apps=set(), members={f"/{env.org}/owner": {"alice"}})) == []


# S3's answer to a request signed with STS credentials past their end
EXPIRED = "<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>"


@pytest.mark.slow
async def test_storage_credentials_expiring_mid_upload_stop_it_and_it_resumes(
    home: Home, sb: Sandbox, tmp_path: Path
) -> None:
    """The upload stops at the part S3 refused, the person is told to sign in again, nothing is lost:
    the same command finishes the interrupted publish and answers with its version (one version)."""
    env = CrashEnv(home, sb, tmp_path)
    await env.create("shop")
    root = big_bundle(tmp_path / "bundle")
    command = ("package", "publish", "--org", env.org, "--app", "shop", str(root), "--json")
    sb.aws.server.faults.add(r"/files/sha256/", method="PUT", status=400,
                             body=EXPIRED, content_type="application/xml", times=1)  # fmt: skip
    stopped = home.cli(*command)
    sb.aws.server.faults.clear()
    assert stopped.code != 0 and "storage credentials have expired" in stopped.err, stopped
    assert "nothing is lost" in stopped.err.lower() and "Traceback" not in stopped.err, stopped
    again = home.cli(*command)
    assert again.code == 0, again
    assert again.json()["version"] == 1, again
    assert env.problems(Expect(apps={"shop"}, packages={"shop": [1]})) == []
