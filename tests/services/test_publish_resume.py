"""A publisher killed mid-upload (SIGKILL) resumes at the next start without re-sending finished parts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.stores.upload_checkpoints import UploadCheckpoints
from tests.support import bundles
from tests.support.packages_env import WireCounter, make_service

MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
async def test_killed_publisher_resumes_without_resending_parts(aws: AwsSandbox, tmp_path: Path) -> None:
    app, home = "resume-app", tmp_path / "home"
    size = 40 * MiB
    root = bundles.write(tmp_path / "h", {"app.hbc": bundles.HERMES_MAGIC + os.urandom(size - 8)})
    # Every part upload takes 0.3 s more, so the kill lands mid-upload.
    aws.server.faults.add(f"/{aws.bucket}/acme/{app}/files/", method="PUT", status=0, delay=0.3, times=1000)
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.support.publish_child", str(home), aws.endpoint, "acme", app,
         str(root)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert child.stdout is not None
        for line in child.stdout:
            phase, done, _total = line.split()
            if phase == "uploading" and int(done) >= 3 * 5 * MiB:
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    aws.server.faults.clear()
    key_prefix = f"acme/{app}/files/"
    s3 = aws.client("s3")
    assert s3.list_multipart_uploads(Bucket=aws.bucket, Prefix=key_prefix).get("Uploads")
    store = UploadCheckpoints(home / "data" / "upload_checkpoints.sqlite3")
    (key,) = store.upload_ids(aws.bucket, key_prefix).values()
    checkpoint = store.get(aws.bucket, key)
    assert checkpoint is not None and len(checkpoint.parts) >= 3
    finished = len(checkpoint.parts)
    store.close()

    counter = WireCounter()
    service = make_service(home, aws.endpoint, counter=counter, concurrency=1)
    (record,) = await service.sagas.reconcile()
    assert record.status == "done" and record.data["version"] == 1
    total_parts = -(-size // (5 * MiB))
    assert counter.calls["UploadPart"] == total_parts - finished
    assert counter.bytes["UploadPart"] == size - finished * 5 * MiB
    # what it reports is what it sent, not the whole file (issue 17.8)
    assert record.data["bytes_uploaded"] == size - finished * 5 * MiB
    assert record.data["bytes_skipped"] == finished * 5 * MiB
    assert counter.calls["CreateMultipartUpload"] == 0
    assert not s3.list_multipart_uploads(Bucket=aws.bucket, Prefix=key_prefix).get("Uploads")
    body = s3.get_object(Bucket=aws.bucket, Key=key)["Body"].read()
    assert body == (root / "app.hbc").read_bytes()
