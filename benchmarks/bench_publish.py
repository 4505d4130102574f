"""Publish throughput vs `aws s3 sync`, and the longest event-loop stall during a publish.

Both upload the same fresh folder (one 120 MB file + many 200 KB files, `BENCH_PUBLISH_MB` total,
default 200) to the same moto server, run as a separate process (`moto_server`), so the server does not
compete with the publisher for the GIL. Each publish uses a fresh profile folder (cold hash cache) and a
fresh app (nothing deduplicated); each sync a fresh prefix. A ticker coroutine sleeps 10 ms in a loop
during the publish and records how late it wakes: the longest lateness is the longest event-loop stall.
`aws` is the AWS CLI found on PATH (not a project dependency). Median of `BENCH_PUBLISH_RUNS` (3).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
KEY_ID, SECRET = "AKIABENCHHYPEROTA000", "bench-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _make_folder(root: Path, total_mb: int) -> int:
    root.mkdir(parents=True)
    big = min(120, total_mb // 2)
    (root / "index.android.bundle").write_bytes(os.urandom(big * 1024 * 1024))
    remaining = (total_mb - big) * 1024 * 1024
    i = 0
    while remaining > 0:
        size = min(200 * 1024, remaining)
        (root / f"assets/a{i // 100}").mkdir(parents=True, exist_ok=True)
        (root / f"assets/a{i // 100}/f{i}.png").write_bytes(os.urandom(size))
        remaining -= size
        i += 1
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


async def _publish(endpoint: str, home: Path, folder: Path, app: str) -> tuple[float, float]:
    sys.path.insert(0, str(ROOT))
    from tests.support.packages_env import make_service

    service = make_service(home, endpoint, key_id=KEY_ID, secret=SECRET, part_size=8 * 1024 * 1024,
                           multipart_threshold=16 * 1024 * 1024, concurrency=8,
                           paths=("/bench/owner",))  # fmt: skip
    worst = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        loop = asyncio.get_running_loop()
        while not done.is_set():
            before = loop.time()
            await asyncio.sleep(0.01)
            worst = max(worst, loop.time() - before - 0.01)

    tick = asyncio.create_task(ticker())
    started = time.perf_counter()
    await service.publish("bench", app, [folder])
    elapsed = time.perf_counter() - started
    done.set()
    await tick
    return elapsed, worst


def main() -> dict[str, object]:
    total_mb = int(os.environ.get("BENCH_PUBLISH_MB", "200"))
    runs = int(os.environ.get("BENCH_PUBLISH_RUNS", "3"))
    aws_cli = shutil.which("aws")
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    try:
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=KEY_ID,
                          aws_secret_access_key=SECRET)  # fmt: skip
        for _ in range(100):
            try:
                s3.create_bucket(Bucket="hyperota")
                break
            except Exception:
                time.sleep(0.1)
        folder = tmp / "bundle"
        size = _make_folder(folder, total_mb)
        publish_s, stalls, sync_s = [], [], []
        for run in range(runs):
            elapsed, stall = asyncio.run(_publish(endpoint, tmp / f"home{run}", folder, f"app{run}"))
            publish_s.append(elapsed)
            stalls.append(stall)
            if aws_cli:
                env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET,
                       "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
                started = time.perf_counter()
                subprocess.run(
                    [aws_cli, "--endpoint-url", endpoint, "s3", "sync", str(folder), f"s3://hyperota/sync{run}/",
                     "--only-show-errors"], check=True, env=env,
                )  # fmt: skip
                sync_s.append(time.perf_counter() - started)
        mb = size / 1024 / 1024
        result: dict[str, object] = {
            "size_mb": round(mb, 1),
            "files": sum(1 for p in folder.rglob("*") if p.is_file()),
            "publish_median_s": round(statistics.median(publish_s), 2),
            "publish_mb_per_s": round(mb / statistics.median(publish_s), 1),
            "longest_loop_stall_ms_median": round(1000 * statistics.median(stalls), 1),
            "longest_loop_stall_ms_max": round(1000 * max(stalls), 1),
        }
        if sync_s:
            result["aws_s3_sync_median_s"] = round(statistics.median(sync_s), 2)
            result["aws_s3_sync_mb_per_s"] = round(mb / statistics.median(sync_s), 1)
        return result
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    print(main())
