"""P1 and P2: `hyperota package publish` as a process vs `aws s3 sync` of the same folder, same S3.

The sandbox runs in its own process (`hyperota sandbox up`: moto for S3 on loopback); the CLI is signed
in as a user would be (device flow, tokens in a gnome-keyring on a private D-Bus session). The bundle is
one `BENCH_PUBLISH_BIG_MB` (200) MB index and `BENCH_PUBLISH_SMALL` (2,000) files of
`BENCH_PUBLISH_SMALL_KB` (50) KB, random bytes. Each of `BENCH_PUBLISH_RUNS` (5) runs:

  P1  a fresh publish (new application, hash cache deleted) and a fresh `aws s3 sync` (new prefix),
      in alternating order; wall time, CPU time and peak resident memory of each process, and the CPU
      time the sandbox (S3) spent meanwhile;
  P2  one 50 KB file rewritten (same size, new content and mtime), then the same publish again (warm
      hash cache) and the same sync again (its second run), in alternating order;
  P2 floor  in turn with those two: `p2_floor.py`, botocore's import, an S3 client and the five requests
      a re-publish cannot avoid, nothing else (no sign-in, keyring, authorization, hashing or journal):
      where the P2 goal stands against what botocore alone costs; then `p2_floor.py --stack`, which adds
      the sign-in's libraries (httpx, joserfc, keyring), one keyring read and one Keycloak request:
      what a signed-in client on the project's stack costs before any code of its own.

Between runs the run's objects are deleted (moto keeps them in memory). The app's modules are compiled
to bytecode first, as an installed package's are (`harness.compile_bytecode`). `aws` is the AWS CLI found
on PATH (`make bench` installs it into `.venv-awscli`). Goals: P1 ≤ 0.9x sync with ≤ 150 MB resident,
P2 ≤ 0.5x sync's second run.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from benchmarks.harness import (
    HYPEROTA,
    KeyringSession,
    ProcessResult,
    Samples,
    SandboxProcess,
    base_env,
    compile_bytecode,
    in_turn,
    make_bundle,
    median,
    rounded,
    run_process,
    temp_root,
)

P1_GOAL, P2_GOAL, RSS_GOAL_MB = 0.9, 0.5, 150.0


def main() -> dict[str, object]:
    runs = int(os.environ.get("BENCH_PUBLISH_RUNS", "5"))
    big_mb = int(os.environ.get("BENCH_PUBLISH_BIG_MB", "200"))
    small = int(os.environ.get("BENCH_PUBLISH_SMALL", "2000"))
    small_kb = int(os.environ.get("BENCH_PUBLISH_SMALL_KB", "50"))
    aws = shutil.which("aws")
    if aws is None:
        raise RuntimeError("the AWS CLI (`aws`) is needed for the comparison: run `make bench`")
    compile_bytecode()
    root = temp_root("bench-publish-")
    keyring = sandbox = None
    try:
        keyring = KeyringSession(root / "keyring")
        home = root / "home"
        env = {**base_env(home), **keyring.env}
        sandbox = SandboxProcess(root, env)
        sandbox.signed_in_home(home, env)
        aws_env = sandbox.aws_env(env)
        endpoint, bucket = sandbox.endpoints["s3_endpoint"], sandbox.endpoints["bucket"]
        bundle = root / "bundle"
        size = make_bundle(bundle, big_mb=big_mb, small_files=small, small_kb=small_kb)
        changing = bundle / "assets/a0/f0.png"
        p1, p2, rss, rss_peer = Samples(), Samples(), Samples(), Samples()
        cpu, cpu2 = Samples(), Samples()
        floor, floor_cpu, stack = Samples(), Samples(), Samples()
        served = Samples()  # the sandbox's CPU time during each P1 run: what S3 (moto) spent on it

        def publish(run: int) -> ProcessResult:
            argv = [HYPEROTA, "package", "publish", "--org", "demo", "--app", f"bench{run}", str(bundle)]
            return run_process([*argv, "--json"], env)

        def sync(run: int) -> ProcessResult:
            argv = [aws, "--endpoint-url", endpoint, "s3", "sync", str(bundle), f"s3://{bucket}/sync{run}/"]
            return run_process([*argv, "--only-show-errors"], aws_env)

        def ours_first(run: int) -> None:
            for stale in (home / "cache").glob("hashes.sqlite3*"):
                stale.unlink()  # a fresh bundle for the hash cache
            before = sandbox.cpu_seconds()
            result = publish(run)
            served.ours.append(sandbox.cpu_seconds() - before)
            p1.ours.append(result.seconds)
            rss.ours.append(result.peak_rss_mb)
            cpu.ours.append(result.cpu_seconds)

        def peer_first(run: int) -> None:
            before = sandbox.cpu_seconds()
            result = sync(run)
            served.peer.append(sandbox.cpu_seconds() - before)
            p1.peer.append(result.seconds)
            rss_peer.peer.append(result.peak_rss_mb)
            cpu.peer.append(result.cpu_seconds)

        def ours_again(run: int) -> None:
            result = publish(run)
            p2.ours.append(result.seconds)
            cpu2.ours.append(result.cpu_seconds)

        def peer_again(run: int) -> None:
            result = sync(run)
            p2.peer.append(result.seconds)
            cpu2.peer.append(result.cpu_seconds)

        def floor_again(run: int) -> None:
            script = str(Path(__file__).with_name("p2_floor.py"))
            argv = [sys.executable, script, endpoint, bucket, f"demo/bench{run}/packages/", f"floor{run}/"]
            result = run_process(argv, aws_env)
            floor.ours.append(result.seconds)
            floor_cpu.ours.append(result.cpu_seconds)
            stack.ours.append(run_process([*argv, "--stack", sandbox.endpoints["issuer"]], aws_env).seconds)

        for run in range(runs):
            in_turn(run, ours_first, peer_first)
            changing.write_bytes(os.urandom(small_kb * 1024))
            second = [ours_again, peer_again, floor_again]
            for measure in second[run % 3 :] + second[: run % 3]:  # each goes first in turn
                measure(run)
            sandbox.delete_prefix(f"demo/bench{run}/")
            sandbox.delete_prefix(f"sync{run}/")
            sandbox.delete_prefix(f"floor{run}/")
        peak = max(rss.ours)
        return {
            "runs": runs,
            "size_mb": round(size / 2**20, 1),
            "files": small + 1,
            "p1_publish_median_s": rounded(median(p1.ours), 2),
            "p1_sync_median_s": rounded(median(p1.peer), 2),
            "p1_ratio": rounded(p1.ratio, 2),
            "p1_publish_cpu_median_s": rounded(median(cpu.ours), 2),
            "p1_sync_cpu_median_s": rounded(median(cpu.peer), 2),
            "p1_sandbox_cpu_publish_median_s": rounded(median(served.ours), 2),
            "p1_sandbox_cpu_sync_median_s": rounded(median(served.peer), 2),
            "p1_publish_peak_rss_mb": round(peak, 1),
            "p1_publish_peak_rss_median_mb": round(median(rss.ours), 1),
            "p1_sync_peak_rss_mb": round(max(rss_peer.peer), 1),
            "p2_publish_median_s": rounded(median(p2.ours), 3),
            "p2_sync_median_s": rounded(median(p2.peer), 3),
            "p2_ratio": rounded(p2.ratio, 2),
            "p2_publish_cpu_median_s": rounded(median(cpu2.ours), 3),
            "p2_sync_cpu_median_s": rounded(median(cpu2.peer), 3),
            "p2_floor_median_s": rounded(median(floor.ours), 3),
            "p2_floor_cpu_median_s": rounded(median(floor_cpu.ours), 3),
            "p2_floor_ratio": rounded(median(floor.ours) / median(p2.peer), 2),
            "p2_floor_s": [rounded(x, 3) for x in floor.ours],
            "p2_stack_floor_median_s": rounded(median(stack.ours), 3),
            "p2_stack_floor_ratio": rounded(median(stack.ours) / median(p2.peer), 2),
            "p2_stack_floor_s": [rounded(x, 3) for x in stack.ours],
            "p1_publish_s": [rounded(x, 2) for x in p1.ours],
            "p1_sync_s": [rounded(x, 2) for x in p1.peer],
            "p2_publish_s": [rounded(x, 3) for x in p2.ours],
            "p2_sync_s": [rounded(x, 3) for x in p2.peer],
            "goals": {"p1_ratio": P1_GOAL, "p1_publish_peak_rss_mb": RSS_GOAL_MB, "p2_ratio": P2_GOAL},
            "ok": p1.ratio <= P1_GOAL and peak <= RSS_GOAL_MB and p2.ratio <= P2_GOAL,
        }
    finally:
        if sandbox is not None:
            sandbox.close()
        if keyring is not None:
            keyring.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
