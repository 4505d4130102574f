"""Issue 16 item 8: a tag change is journalled (`package.tag`, services/packages/tag_move.py) like a
workspace repair: who moved which tag to which version and from which one, failed attempts too, and a
failure puts the previous pointer back unless someone else moved the tag since. Against moto over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.domain.errors import IntegrityError, NotFound, PermissionDenied, ValidationError
from hyperota_desktop.domain.packages import Manifest, PackageFile
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.services.activity import outcome, recent_activity
from hyperota_desktop.services.packages import TAG_KIND, PackageService
from hyperota_desktop.services.saga import SagaFailed
from hyperota_desktop.stores.journal import SagaRecord
from tests.support.packages_env import app_for, make_service

pytestmark = pytest.mark.usefixtures("clear_faults")  # tests/services/conftest.py


def _packages(aws: AwsSandbox, app: str, *versions: int) -> None:
    """Manifests of these versions in S3 (what a publish leaves), without uploading bundles."""
    digest = hashlib.sha256(b"js").hexdigest()
    for v in versions:
        entry = PackageFile("index.android.bundle", f"https://cdn/{digest}", digest, 2)
        manifest = Manifest("acme", app, v, "index.android.bundle", (entry,), "2026-01-01", "alice")
        aws.client("s3").put_object(
            Bucket=aws.bucket, Key=f"acme/{app}/packages/{v:08d}.json", Body=manifest.to_json()
        )


def _tag_object(aws: AwsSandbox, app: str, tag: str) -> dict[str, Any]:
    body = aws.client("s3").get_object(Bucket=aws.bucket, Key=f"acme/{app}/tags/{tag}.json")["Body"]
    return dict(json.loads(body.read()))


def _tag_moves(service: PackageService, app: str) -> list[SagaRecord]:
    return [r for r in recent_activity(service.sagas.journal, org="acme", app=app) if r.kind == TAG_KIND]


async def test_a_tag_move_records_who_the_version_and_where_it_moved_from(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app = app_for(request, "tag")
    _packages(aws, app, 1, 2)
    service = make_service(tmp_path / "home", aws.endpoint, actor="alice")

    first = await service.tag("acme", app, 1, "beta")
    assert (first.version, first.moved_from, first.changed) == (1, None, True)
    assert first.describe() == f"Tag 'beta' of acme/{app} now points at version 1 (a new tag)."
    moved = await service.tag("acme", app, 2, "beta")
    assert (moved.version, moved.moved_from) == (2, 1)
    assert moved.describe().endswith("now points at version 2 (moved from version 1).")

    records = _tag_moves(service, app)
    assert [(r.status, r.actor, r.params["tag"], r.params["version"]) for r in records] == [
        ("done", "alice", "beta", 2),
        ("done", "alice", "beta", 1),
    ]
    assert records[0].title == f"Move tag 'beta' of acme/{app} to version 2"
    assert [s.status for s in records[0].steps] == ["done", "done"]
    assert outcome(records[0]) == "tag beta → version 2 (moved from version 1)"
    assert outcome(records[1]) == "tag beta → version 1 (a new tag)"
    stored = _tag_object(aws, app, "beta")
    assert (stored["version"], stored["updated_by"], stored["saga"]) == (2, "alice", records[0].id)
    assert (await service.tags("acme", app)) == {"beta": 2}

    # Pointing it where it already points changes nothing and journals nothing, and says so.
    again = await service.tag("acme", app, 2, "beta")
    assert not again.changed and "already points at version 2; nothing changed" in again.describe()
    assert len(_tag_moves(service, app)) == 2 and _tag_object(aws, app, "beta") == stored


async def test_a_refused_tag_change_writes_and_journals_nothing(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """What is checked before anything changes (like a repair of a healthy workspace): a typed error,
    no record, the tag as it was."""
    app = app_for(request, "tag")
    _packages(aws, app, 1)
    service = make_service(tmp_path / "home", aws.endpoint)
    await service.tag("acme", app, 1, "beta")
    before = _tag_object(aws, app, "beta")
    with pytest.raises(NotFound, match="Read package 9: not found"):
        await service.tag("acme", app, 9, "beta")
    with pytest.raises(ValidationError, match="not valid"):
        await service.tag("acme", app, 1, "no good")
    reader = make_service(tmp_path / "reader", aws.endpoint, actor="bob", paths=(f"/acme/{app}/read",))
    with pytest.raises(PermissionDenied):
        await reader.tag("acme", app, 1, "stable")
    assert len(_tag_moves(service, app)) == 1 and _tag_moves(reader, app) == []
    assert _tag_object(aws, app, "beta") == before


async def test_a_failed_write_is_recorded_as_failed_and_the_tag_is_unchanged(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app = app_for(request, "tag")
    _packages(aws, app, 1, 2)
    service = make_service(tmp_path / "home", aws.endpoint)
    await service.tag("acme", app, 1, "beta")
    before = _tag_object(aws, app, "beta")
    aws.server.faults.add(f"/acme/{app}/tags/beta.json$", method="PUT", status=403, times=1)
    with pytest.raises(SagaFailed, match="failed and was undone") as failed:
        await service.tag("acme", app, 2, "beta")
    assert isinstance(failed.value.cause, PermissionDenied)
    assert int(failed.value.exit_code) == int(failed.value.cause.exit_code)
    record = _tag_moves(service, app)[0]
    assert (record.status, record.params["version"], record.data["moved_from"]) == ("rolled_back", 2, 1)
    assert "access denied by S3" in record.error and outcome(record) == record.error
    assert _tag_object(aws, app, "beta") == before


async def test_a_failed_check_puts_the_previous_pointer_back_as_it_was(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The version's package vanishes while its tag moves: the move is undone, the pointer restored
    byte for byte (who moved it last and when), and the journal says what happened."""
    app = app_for(request, "tag")
    _packages(aws, app, 1, 2)
    first = make_service(tmp_path / "carol", aws.endpoint, actor="carol")
    await first.tag("acme", app, 1, "beta")
    before = _tag_object(aws, app, "beta")
    service = make_service(tmp_path / "home", aws.endpoint, actor="alice")
    await service.show("acme", app, 2)  # read (and cached) before it goes
    aws.server.faults.add(f"/acme/{app}/packages/00000002.json$", method="HEAD", status=404, times=1)
    with pytest.raises(SagaFailed, match="failed and was undone") as failed:
        await service.tag("acme", app, 2, "beta")
    assert isinstance(failed.value.cause, NotFound)
    assert _tag_object(aws, app, "beta") == before  # carol's pointer, as she left it
    record = _tag_moves(service, app)[0]
    assert record.status == "rolled_back" and "was deleted while its tag was moved" in record.error
    assert [s.status for s in record.steps] == ["compensated", "failed"]


async def test_an_undo_keeps_a_move_someone_else_made_meanwhile(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Bob moves the tag to 3 right after our PUT: our check fails, and our undo leaves his move alone
    (the pointer is no longer this run's), so the tag stays where the last person put it."""
    app = app_for(request, "tag")
    _packages(aws, app, 1, 2, 3)
    service = make_service(tmp_path / "home", aws.endpoint)
    await service.tag("acme", app, 1, "beta")
    bobs = {"tag": "beta", "version": 3, "updated_by": "bob", "updated_at": "2026-01-02T00:00:00+00:00"}

    def bob_moves_it(_method: str, _path: str) -> None:
        aws.client("s3").put_object(
            Bucket=aws.bucket, Key=f"acme/{app}/tags/beta.json", Body=json.dumps(bobs).encode()
        )

    aws.server.faults.add(
        f"/acme/{app}/tags/beta.json$", method="PUT", apply=True, status=0, on_hit=bob_moves_it
    )
    with pytest.raises(SagaFailed) as failed:
        await service.tag("acme", app, 2, "beta")
    assert isinstance(failed.value.cause, IntegrityError)
    assert "points at version 3 right after this move wrote it" in failed.value.message
    assert _tag_object(aws, app, "beta") == bobs
    assert (await service.tags("acme", app)) == {"beta": 3}
    assert _tag_moves(service, app)[0].status == "rolled_back"


async def test_a_move_cancelled_mid_put_is_undone_after_the_put_lands(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A quit or a profile switch cancels the move while S3 is still taking the PUT: the undo waits for
    it, so the tag ends where it was and the journal says rolled back (not a moved tag under an undone
    record)."""
    app = app_for(request, "tag")
    _packages(aws, app, 1, 2)
    service = make_service(tmp_path / "home", aws.endpoint)
    await service.tag("acme", app, 1, "beta")
    before = _tag_object(aws, app, "beta")
    hits = len(aws.server.faults.hits)
    aws.server.faults.add(f"/acme/{app}/tags/beta.json$", method="PUT", status=0, delay=1.0, times=1)
    moving = asyncio.ensure_future(service.tag("acme", app, 2, "beta"))
    while len(aws.server.faults.hits) == hits:  # the PUT has reached S3, which holds it for a second
        await asyncio.sleep(0.01)
    moving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await moving
    record = _tag_moves(service, app)[0]
    assert record.status == "rolled_back" and record.steps[0].status == "compensated", record
    for _ in range(20):  # past the held PUT's second: it landed before the undo, not after it
        assert _tag_object(aws, app, "beta") == before
        await asyncio.sleep(0.1)
