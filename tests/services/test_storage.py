"""S3 storage: what it refuses before talking to S3."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.services.storage import S3Storage
from hyperota_desktop.services.storage.objects import MiB, S3Objects
from hyperota_desktop.stores.upload_checkpoints import UploadCheckpoints


async def test_a_profile_without_a_bucket_gets_a_clear_error(tmp_path: Path) -> None:
    async def no_client() -> None:
        raise AssertionError("no S3 client is built without a bucket")

    storage = S3Storage(no_client, "", checkpoints=UploadCheckpoints(tmp_path / "c.sqlite3"))
    with pytest.raises(ValidationError, match="names no S3 bucket") as info:
        await storage.client()
    assert "Edit profile" in info.value.hint


async def test_a_cancelled_download_returns_only_once_its_thread_stopped_writing(
    aws: AwsSandbox, tmp_path: Path
) -> None:
    """An export deletes its scratch folder when a sibling download fails: no thread may still write there."""
    s3 = aws.client("s3")
    s3.put_object(Bucket=aws.bucket, Key="big.bin", Body=b"\x07" * (8 * MiB))

    async def clients() -> Any:
        return s3

    objects = S3Objects(clients, aws.bucket)
    first_chunk = asyncio.Event()
    loop = asyncio.get_running_loop()
    returned = threading.Event()
    late: list[int] = []

    def on_bytes(nbytes: int) -> None:  # in the download's thread
        if returned.is_set():
            late.append(nbytes)
        loop.call_soon_threadsafe(first_chunk.set)
        time.sleep(0.05)  # a slow disk: the cancel lands while the thread is mid-object

    task = asyncio.ensure_future(
        objects.download("big.bin", tmp_path / "big.bin", what="get", on_bytes=on_bytes)
    )
    await first_chunk.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    returned.set()
    await asyncio.sleep(0.5)  # a thread still running would report its next chunks meanwhile
    assert late == []
    assert (tmp_path / "big.bin").stat().st_size < 8 * MiB  # stopped at a chunk, not read to the end


async def test_a_download_cancelled_twice_writes_nothing_after_it_returns(
    aws: AwsSandbox, tmp_path: Path
) -> None:
    """A second cancel (the person cancels, then closes the window) must not end the wait for the
    download's thread: S3 holds the GET for a second, and the thread, still waiting for the answer,
    would then write into a folder the caller has already deleted."""
    s3 = aws.client("s3")
    s3.put_object(Bucket=aws.bucket, Key="held.bin", Body=b"\x07" * (2 * MiB))

    async def clients() -> Any:
        return s3

    objects = S3Objects(clients, aws.bucket)
    dest = tmp_path / "held.bin"
    hits = len(aws.server.faults.hits)
    aws.server.faults.add(f"/{aws.bucket}/held.bin$", method="GET", status=0, delay=1.0)
    try:
        task = asyncio.ensure_future(objects.download("held.bin", dest, what="get"))
        while len(aws.server.faults.hits) <= hits:  # the GET reached S3, which holds it for a second
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.sleep(0.05)  # the download is now waiting for its thread
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        on_return = dest.stat().st_size if dest.exists() else None
        await asyncio.sleep(1.5)  # past the held second: a thread still running writes meanwhile
        assert (dest.stat().st_size if dest.exists() else None) == on_return
        assert on_return is None  # the answer came after the cancel: the file was never opened
    finally:
        aws.server.faults.clear()
