"""A publish the person paused (Pause and quit, Pause and sign out) waits for them: the journal marks it
paused, a reconciliation asked to (`recover(paused=False)`, the window's) leaves it, and the person
resumes it (finished where it stopped) or cancels it (undone: its files and unfinished multipart uploads
gone from S3). A crash-interrupted publish (not paused) is still finished by that same reconciliation;
the CLI's `recover()` finishes paused ones too. Against moto over HTTP."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.domain.errors import PermissionDenied
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.services.activity import recent_activity
from hyperota_desktop.services.packages import PackageService, PublishUndone
from hyperota_desktop.services.packages.publish import PUBLISH_KIND
from hyperota_desktop.services.saga import SagaRuntime
from hyperota_desktop.services.transfer import ProgressSnapshot, TransferControl
from hyperota_desktop.stores.journal import SagaRecord
from tests.support import bundles
from tests.support.packages_env import app_for, make_service

MiB = 1024 * 1024


def _stored(aws: AwsSandbox, app: str) -> set[str]:
    s3 = aws.client("s3")
    listed = s3.list_objects_v2(Bucket=aws.bucket, Prefix=f"acme/{app}/")
    uploads = s3.list_multipart_uploads(Bucket=aws.bucket, Prefix=f"acme/{app}/")
    return {o["Key"] for o in listed.get("Contents", [])} | {u["Key"] for u in uploads.get("Uploads", [])}


def _service(home: Path, aws: AwsSandbox, actor: str = "alice") -> PackageService:
    return make_service(home, aws.endpoint, concurrency=1, actor=actor)


async def _interrupted(service: PackageService, tmp_path: Path, app: str) -> SagaRecord:
    """A publish of a small and a 20 MiB file, interrupted (its task cancelled, as a quit does) after
    the big file's first part: unfinished in the journal, something in S3."""
    root = bundles.write(
        tmp_path / app, {"index.android.bundle": b"small", "raw/big.bin": os.urandom(20 * MiB)}
    )
    control = TransferControl()
    sent = asyncio.Event()

    def progress(snap: Any) -> None:
        if isinstance(snap, ProgressSnapshot) and snap.phase == "uploading" and snap.done >= 5 * MiB:
            control.pause()  # no new part: the cancel below finds it between two parts
            sent.set()

    task = asyncio.ensure_future(service.publish("acme", app, [root], runtime=SagaRuntime(progress, control)))
    await asyncio.wait_for(sent.wait(), 60)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    [record] = [r for r in service.sagas.journal.list(app=app) if r.kind == PUBLISH_KIND]
    assert record.status == "running" and not record.paused, record
    return record


async def test_a_paused_publish_waits_and_its_cancel_undoes_it(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app, home = app_for(request, "pp"), tmp_path / "home"
    service = _service(home, aws)
    record = await _interrupted(service, tmp_path, app)
    assert _stored(aws, app), "the small file and the big one's upload are in S3"

    marked = await service.pause_interrupted("acme", app, "paused at quit, 25 % sent")
    assert marked is not None and marked.id == record.id and marked.paused == "paused at quit, 25 % sent"
    assert await service.recover(paused=False) == []  # the window's: left for the person
    [seen] = recent_activity(service.sagas.journal, app=app)  # Activity, `hyperota activity`
    assert seen.status == "paused" and seen.error.startswith("paused at quit, 25 % sent; resume"), seen
    assert [r.id for r in await service.paused_publishes()] == [record.id]
    again = service.sagas.journal.get(record.id)
    assert again is not None and again.status == "running" and again.paused
    paused = again

    bob = _service(home, aws, "bob")  # same profile and journal, another person
    assert await bob.paused_publishes() == []
    with pytest.raises(PermissionDenied, match="started by alice"):
        await bob.cancel_publish(record.id)

    events: list[PublishUndone] = []
    undone = await service.cancel_publish(
        record.id, SagaRuntime(lambda e: events.append(e) if isinstance(e, PublishUndone) else None)
    )
    assert undone.status == "rolled_back" and not undone.paused, undone
    # the amounts: every file it sent and its bytes (as journalled when sent), every unfinished upload
    created, unsent = paused.data["created"], paused.data["unsent"]
    size = sum(paused.data["sizes"][key] for key in created)
    assert created and unsent and size > 0, paused.data
    assert events[0] == PublishUndone(0, len(created), 0, size, 0, len(unsent)), events
    assert events[-1] == PublishUndone(len(created), len(created), size, size, len(unsent), len(unsent))
    assert [e.uploads_done for e in events] == sorted(e.uploads_done for e in events)  # only forward
    assert undone.data["deleted_files"] == len(created) and undone.data["deleted_bytes"] == size
    assert undone.data["aborted_uploads"] == len(unsent)
    assert "cancelled while paused" in undone.error
    assert _stored(aws, app) == set(), "its files and its unfinished multipart upload are gone"
    assert await service.paused_publishes() == []


async def test_a_paused_publish_resumes_where_it_stopped_on_request(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app, home = app_for(request, "pp"), tmp_path / "home"
    service = _service(home, aws)
    record = await _interrupted(service, tmp_path, app)
    await service.pause_interrupted("acme", app, "paused at sign-out")
    seen: list[ProgressSnapshot] = []
    result = await service.resume_publish(
        record.id, SagaRuntime(lambda s: seen.append(s) if isinstance(s, ProgressSnapshot) else None)
    )
    assert result.version == 1 and result.bytes_uploaded < 20 * MiB  # the first part was not sent again
    assert any(s.phase == "uploading" for s in seen)
    final = service.sagas.journal.get(record.id)
    assert final is not None and final.status == "done" and not final.paused


async def test_a_crash_interrupted_publish_is_still_finished_and_the_cli_finishes_paused_ones(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app, home = app_for(request, "pp"), tmp_path / "home"
    service = _service(home, aws)
    crashed = await _interrupted(service, tmp_path, app)
    [done] = await service.recover(paused=False)  # not paused by anyone: finished as after a crash
    assert done.id == crashed.id and done.status == "done"

    other = await _interrupted(service, tmp_path, app + "b")
    await service.pause_interrupted("acme", app + "b", "paused at quit")
    [finished] = await service.recover()  # the CLI's: every unfinished run of the person
    assert finished.id == other.id and finished.status == "done"


async def test_an_undo_interrupted_mid_way_is_finished_by_the_next_start(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Cancel publish, then the app quits during the undo: the run is no longer paused (the person chose
    to undo it), so the next start's reconciliation finishes the undo instead of offering it again."""
    app, home = app_for(request, "pp"), tmp_path / "home"
    service = _service(home, aws)
    record = await _interrupted(service, tmp_path, app)
    await service.pause_interrupted("acme", app, "paused at quit")
    undo: asyncio.Task[Any] | None = None

    def progress(event: object) -> None:
        if isinstance(event, PublishUndone) and undo is not None:
            undo.cancel()  # the quit, as the undo starts deleting

    undo = asyncio.ensure_future(service.cancel_publish(record.id, SagaRuntime(progress)))
    await asyncio.gather(undo, return_exceptions=True)
    assert undo.cancelled()
    mid = service.sagas.journal.get(record.id)
    assert mid is not None and mid.status == "compensating" and not mid.paused, mid
    assert _stored(aws, app), "interrupted before it deleted everything"
    service.sagas.journal.close()  # the process ends

    again = _service(home, aws)  # the next start
    assert await again.paused_publishes() == []  # not offered again: it is being undone
    [done] = await again.recover(paused=False)
    assert done.id == record.id and done.status == "rolled_back", done
    assert _stored(aws, app) == set()
