"""Two people moving the same tag at once: every tag write is conditional on the pointer read
(`If-Match` its ETag, `If-None-Match: *` for a new tag), so one wins and the other gets a `Conflict`
naming who moved it where, never a silent overwrite (tag moves, `publish --tag`, their undos).
Stores without conditional writes: one ignoring the headers is last write wins (as before), one
refusing them (`501 NotImplemented`) gets the write again without them and a warning once.
Against moto over HTTP; the interleavings are made by holding one person's run after its read."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from hyperota_desktop.domain.errors import Conflict, NotFound
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.sandbox.http import RunningServer, serve
from hyperota_desktop.services.packages import PackageService
from hyperota_desktop.services.packages.tags import TagPointer
from hyperota_desktop.services.saga import SagaFailed
from hyperota_desktop.services.storage import conditional
from tests.services.test_tag_journal import _packages, _tag_moves, _tag_object
from tests.support import bundles
from tests.support.packages_env import app_for, make_service

pytestmark = pytest.mark.usefixtures("clear_faults")  # tests/services/conftest.py
T = TypeVar("T")


def _alice_and_bob(tmp_path: Path, endpoint: str) -> tuple[PackageService, PackageService]:
    """Two people, each with a home of their own (journal, cache), on the same store."""
    alice = make_service(tmp_path / "alice", endpoint, actor="alice")
    return alice, make_service(tmp_path / "bob", endpoint, actor="bob")


@asynccontextmanager
async def _held_after_read(
    service: PackageService, run: Coroutine[Any, Any, T], nth: int = 2
) -> AsyncIterator[asyncio.Future[T]]:
    """Starts `run` and holds it right after its `nth` read of a tag pointer while the block runs
    (another person acts between this person's read and write); yields the run, to await after it."""
    tags, read, go = service.catalogue.tags, asyncio.Event(), asyncio.Event()
    original, calls = tags.pointer, [0]

    async def pointer(org: str, app: str, tag: str) -> TagPointer | None:
        found = await original(org, app, tag)
        calls[0] += 1
        if calls[0] == nth:
            read.set()
            await go.wait()
        return found

    tags.pointer = pointer  # type: ignore[method-assign]
    held = asyncio.ensure_future(run)
    await read.wait()
    try:
        yield held
    finally:
        go.set()


async def test_two_people_move_the_same_tag_one_wins_the_other_is_told(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app = app_for(request, "cas")
    _packages(aws, app, 1, 2, 3)
    alice, bob = _alice_and_bob(tmp_path, aws.endpoint)
    await alice.tag("acme", app, 1, "production")
    # held after her 2nd read (1: the check that it moves at all; 2: the saga's): she has read version 1
    async with _held_after_read(alice, alice.tag("acme", app, 2, "production")) as moving:
        assert (await bob.tag("acme", app, 3, "production")).moved_from == 1  # bob moves it first
        bobs = _tag_object(aws, app, "production")
    with pytest.raises(SagaFailed) as failed:
        await moving
    assert isinstance(failed.value.cause, Conflict)
    assert failed.value.cause.message == (
        f"Tag 'production' of acme/{app} was moved to version 3 by bob meanwhile; nothing changed."
    )
    assert failed.value.hint == "Look at the tags again, then move it if you still want to."
    assert int(failed.value.exit_code) == int(Conflict.exit_code)
    assert _tag_object(aws, app, "production") == bobs  # bob's move, untouched
    assert (await alice.tags("acme", app)) == {"production": 3}
    record = _tag_moves(alice, app)[0]
    assert record.status == "rolled_back" and "moved to version 3 by bob" in record.error
    assert [s.status for s in record.steps] == ["compensated", "pending"]  # its undo found bob's: kept
    assert _tag_moves(bob, app)[0].status == "done"


async def test_a_new_tag_created_by_two_people_at_once(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """No tag yet: both read "none"; the second create (`If-None-Match: *`) is the conflict."""
    app = app_for(request, "cas")
    _packages(aws, app, 1, 2)
    alice, bob = _alice_and_bob(tmp_path, aws.endpoint)
    async with _held_after_read(alice, alice.tag("acme", app, 1, "beta")) as moving:
        await bob.tag("acme", app, 2, "beta")
    with pytest.raises(SagaFailed, match="was moved to version 2 by bob meanwhile; nothing changed"):
        await moving
    assert _tag_object(aws, app, "beta")["updated_by"] == "bob"


async def test_someone_moving_it_to_the_same_version_meanwhile_is_no_conflict(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app = app_for(request, "cas")
    _packages(aws, app, 1, 2)
    alice, bob = _alice_and_bob(tmp_path, aws.endpoint)
    await alice.tag("acme", app, 1, "beta")
    async with _held_after_read(alice, alice.tag("acme", app, 2, "beta")) as moving:
        await bob.tag("acme", app, 2, "beta")
        bobs = _tag_object(aws, app, "beta")
    assert (await moving).version == 2  # where alice wanted it: done, bob's pointer kept as he wrote it
    assert _tag_object(aws, app, "beta") == bobs
    assert _tag_moves(alice, app)[0].status == "done"


async def test_a_publish_with_a_tag_racing_a_tag_move_keeps_the_move(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app = app_for(request, "cas")
    alice, bob = _alice_and_bob(tmp_path, aws.endpoint)
    root = bundles.react_native(tmp_path / "rn")
    assert (await alice.publish("acme", app, [root], tag="beta")).version == 1
    (root / "index.android.bundle").write_bytes(b"second")
    assert (await alice.publish("acme", app, [root])).version == 2
    (root / "index.android.bundle").write_bytes(b"third")
    # held after its 1st read: the publish's tag step reads the pointer
    async with _held_after_read(alice, alice.publish("acme", app, [root], tag="beta"), 1) as publishing:
        await bob.tag("acme", app, 2, "beta")
        bobs = _tag_object(aws, app, "beta")
    with pytest.raises(SagaFailed) as failed:
        await publishing
    assert isinstance(failed.value.cause, Conflict)
    assert "was moved to version 2 by bob meanwhile" in failed.value.cause.message
    assert _tag_object(aws, app, "beta") == bobs
    assert (await bob.tags("acme", app)) == {"beta": 2}


async def test_an_undo_racing_someone_elses_move_leaves_their_move(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Our move lands, its check fails, and bob moves the tag between our undo's read and its write:
    the undo's conditional PUT fails and bob's pointer stays."""
    app = app_for(request, "cas")
    _packages(aws, app, 1, 2, 3)
    service = make_service(tmp_path / "home", aws.endpoint, actor="alice")
    await service.tag("acme", app, 1, "beta")
    await service.show("acme", app, 2)
    bobs = {"tag": "beta", "version": 3, "updated_by": "bob", "updated_at": "2026-01-02T00:00:00+00:00"}
    puts = [0]

    def bob_moves_before_the_undo_writes(_method: str, _path: str) -> None:
        puts[0] += 1
        if puts[0] == 2:  # 1: our move; 2: our undo
            aws.client("s3").put_object(
                Bucket=aws.bucket, Key=f"acme/{app}/tags/beta.json", Body=json.dumps(bobs).encode()
            )

    aws.server.faults.add(
        f"/acme/{app}/tags/beta.json$",
        method="PUT",
        status=0,
        times=2,
        on_hit=bob_moves_before_the_undo_writes,
    )
    aws.server.faults.add(f"/acme/{app}/packages/00000002.json$", method="HEAD", status=404, times=1)
    with pytest.raises(SagaFailed) as failed:
        await service.tag("acme", app, 2, "beta")
    assert isinstance(failed.value.cause, NotFound) and puts[0] == 2
    assert _tag_object(aws, app, "beta") == bobs
    assert _tag_moves(service, app)[0].status == "rolled_back"


# -- stores without conditional writes ---------------------------------------------------------------
_NOT_IMPLEMENTED = (
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code><Message>A header you '
    "provided implies functionality that is not implemented.</Message></Error>"
)


class _OlderStore:
    """An S3-compatible store from before conditional writes: `ignore` drops `If-Match`/`If-None-Match`
    (writes anyway), `refuse` answers them `501 NotImplemented` (S3's code for an unsupported header)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], mode: str) -> None:
        self.app, self.mode, self.refused, self.writes = app, mode, 0, 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        given = [h for h in ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH") if h in environ]
        self.writes += environ.get("REQUEST_METHOD") in ("PUT", "DELETE")
        if given and environ.get("REQUEST_METHOD") in ("PUT", "DELETE"):
            if self.mode == "refuse":
                self.refused += 1
                start_response("501 Not Implemented", [("Content-Type", "application/xml")])
                return [_NOT_IMPLEMENTED.encode()]
            for header in given:
                del environ[header]
        return self.app(environ, start_response)


def _older_store(mode: str) -> tuple[RunningServer, _OlderStore]:
    """moto behind `_OlderStore` on its own port (moto's state is the process's: the same bucket)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    store = _OlderStore(DomainDispatcherApplication(create_backend_app), mode)
    return serve(store, f"s3-{mode}"), store


async def test_a_store_ignoring_conditions_is_last_write_wins(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app = app_for(request, "cas")
    _packages(aws, app, 1, 2, 3)
    server, _store = _older_store("ignore")
    try:
        alice, bob = _alice_and_bob(tmp_path, server.url)
        await alice.tag("acme", app, 1, "beta")
        async with _held_after_read(alice, alice.tag("acme", app, 2, "beta")) as moving:
            await bob.tag("acme", app, 3, "beta")
        assert (await moving).version == 2  # the documented fallback: no error, the last write wins
        assert _tag_object(aws, app, "beta")["updated_by"] == "alice"
    finally:
        server.stop()


async def test_a_store_refusing_conditions_gets_the_write_again_and_one_warning(
    aws: AwsSandbox,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = app_for(request, "cas")
    _packages(aws, app, 1, 2)
    monkeypatch.setattr(conditional, "_warned", threading.Event())  # as in a fresh process
    server, store = _older_store("refuse")
    try:
        service = make_service(tmp_path / "home", server.url)
        with caplog.at_level(logging.WARNING, logger="hyperota.services.storage"):
            assert (await service.tag("acme", app, 1, "beta")).moved_from is None
            assert (await service.tag("acme", app, 2, "beta")).moved_from == 1
        assert store.refused == 2  # once per write: no retries of a 501, one plain write after each
        assert _tag_object(aws, app, "beta")["version"] == 2
        warnings = [r for r in caplog.records if "does not support conditional writes" in r.getMessage()]
        assert len(warnings) == 1
        assert [r.status for r in _tag_moves(service, app)] == ["done", "done"]
    finally:
        server.stop()


async def test_a_refused_condition_is_not_asked_again_for_the_store_s_lifetime(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Once the store answered 501 to a kind of conditional write (`If-Match` on a PUT), the same
    profile's next writes of that kind go without the condition: one request each, not two. Each kind
    is asked once (a store may know `If-None-Match` and not `If-Match`), and a new store asks again."""
    app = app_for(request, "cas")
    _packages(aws, app, 1, 2, 3)
    server, store = _older_store("refuse")
    try:
        service = make_service(tmp_path / "home", server.url)
        await service.tag("acme", app, 1, "beta")  # If-None-Match: refused, then written plainly
        await service.tag("acme", app, 2, "beta")  # If-Match: refused, then written plainly
        assert (store.refused, store.writes) == (2, 4)
        await service.tag("acme", app, 3, "beta")  # If-Match again: remembered, one plain write
        await service.tag("acme", app, 1, "beta")
        assert (store.refused, store.writes) == (2, 6)
        assert _tag_object(aws, app, "beta")["version"] == 1
        fresh = make_service(tmp_path / "home", server.url)  # another process: the store is asked again
        await fresh.tag("acme", app, 2, "beta")
        assert (store.refused, store.writes) == (3, 8)
    finally:
        server.stop()


async def test_a_damaged_tag_object_is_named_not_overwritten(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    app = app_for(request, "cas")
    _packages(aws, app, 1)
    key = f"acme/{app}/tags/beta.json"
    aws.client("s3").put_object(Bucket=aws.bucket, Key=key, Body=b"not json")
    service = make_service(tmp_path / "home", aws.endpoint)
    with pytest.raises(SagaFailed) as failed:
        await service.tag("acme", app, 1, "beta")
    assert isinstance(failed.value.cause, Conflict)
    assert f"Tag 'beta' of acme/{app} exists in S3 but cannot be read" in failed.value.message
    assert key in failed.value.hint
    assert aws.client("s3").get_object(Bucket=aws.bucket, Key=key)["Body"].read() == b"not json"


async def test_a_tag_deleted_between_the_read_and_the_write_is_said(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """`If-Match` on a key that is gone: S3 answers 404 NoSuchKey (moto too), a race answer like 412."""
    app = app_for(request, "cas")
    _packages(aws, app, 1, 2)
    service = make_service(tmp_path / "home", aws.endpoint)
    await service.tag("acme", app, 1, "beta")
    key = f"acme/{app}/tags/beta.json"

    def bob_deletes_it(_method: str, _path: str) -> None:
        aws.client("s3").delete_object(Bucket=aws.bucket, Key=key)

    aws.server.faults.add(f"/{key}$", method="PUT", status=0, times=1, on_hit=bob_deletes_it)
    with pytest.raises(SagaFailed) as failed:
        await service.tag("acme", app, 2, "beta")
    assert isinstance(failed.value.cause, Conflict)
    assert f"Tag 'beta' of acme/{app} was deleted meanwhile; nothing changed." in failed.value.message
    assert (await service.tags("acme", app)) == {}


async def test_a_conditional_request_conflict_is_retried(
    aws: AwsSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """`409 ConditionalRequestConflict` (two conditional writes raced inside S3): S3 says retry; the
    retried PUT, still conditional on what was read, lands."""
    app = app_for(request, "cas")
    _packages(aws, app, 1, 2)
    service = make_service(tmp_path / "home", aws.endpoint)
    await service.tag("acme", app, 1, "beta")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>ConditionalRequestConflict</Code>'
        "<Message>A conflicting operation occurred.</Message></Error>"
    )
    aws.server.faults.add(
        f"/acme/{app}/tags/beta.json$",
        method="PUT",
        status=409,
        times=1,
        body=body,
        content_type="application/xml",
    )
    assert (await service.tag("acme", app, 2, "beta")).moved_from == 1
    assert _tag_object(aws, app, "beta")["version"] == 2
