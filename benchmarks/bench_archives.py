"""Building and verifying an offline archive vs `tar -cf` + `sha256sum` of the same data, as whole processes.

Ours: `hyperota archive build DIR -o A.hota` then `hyperota archive verify A.hota` (offline, no profile),
each a separate process as a user runs them. The peer: `tar -cf A.tar -C DIR .` then `sha256sum A.tar`.
Runs alternate (ours, peer, ours, peer, ...) on the same folder (`BENCH_ARCHIVE_MB`, default 1024: one
file of half the size plus 256 KiB files), outputs deleted between runs; medians of `BENCH_ARCHIVE_RUNS`
(3). Peak memory is each process's own maximum resident set (`wait4`). Goals: our throughput at least
0.8x the peer's (build + verify against tar + sha256sum) and at most 150 MB resident.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1024 * 1024


def _make_folder(root: Path, total_mb: int) -> int:
    (root / "assets").mkdir(parents=True)
    big = total_mb // 2
    with (root / "index.android.bundle").open("wb") as fh:
        for _ in range(big):
            fh.write(os.urandom(CHUNK))
    for i in range((total_mb - big) * 4):
        folder = root / f"assets/a{i // 100}"
        folder.mkdir(exist_ok=True)
        (folder / f"f{i}.png").write_bytes(os.urandom(CHUNK // 4))
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak resident MB) of one process; its output goes to /dev/null."""
    devnull = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=devnull)
    _pid, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({os.waitstatus_to_exitcode(status)})")
    return elapsed, usage.ru_maxrss / 1024


def main() -> dict[str, object]:
    total_mb = int(os.environ.get("BENCH_ARCHIVE_MB", "1024"))
    runs = int(os.environ.get("BENCH_ARCHIVE_RUNS", "3"))
    hyperota = str(Path(sys.executable).parent / "hyperota")
    tar, sha256sum = shutil.which("tar"), shutil.which("sha256sum")
    if not (tar and sha256sum):
        raise RuntimeError("tar and sha256sum are needed for the comparison")
    tmp = Path(tempfile.mkdtemp(prefix="bench-archives-"))
    try:
        folder = tmp / "bundle"
        size = _make_folder(folder, total_mb)
        env = {**os.environ, "HYPEROTA_HOME": str(tmp / "home"), "SOURCE_DATE_EPOCH": "1735689600"}
        build, verify, tar_s, sha_s, rss = [], [], [], [], []
        for _ in range(runs):
            archive, tarball = tmp / "a.hota", tmp / "a.tar"
            seconds, peak = _run(
                [hyperota, "archive", "build", str(folder), "-o", str(archive), "--app", "bench"], env
            )
            build.append(seconds)
            rss.append(peak)
            seconds, peak = _run([hyperota, "archive", "verify", str(archive)], env)
            verify.append(seconds)
            rss.append(peak)
            archive.unlink()
            tar_s.append(_run([tar, "-cf", str(tarball), "-C", str(folder), "."], env)[0])
            sha_s.append(_run([sha256sum, str(tarball)], env)[0])
            tarball.unlink()
        mb = size / CHUNK
        ours = statistics.median(b + v for b, v in zip(build, verify, strict=True))
        peer = statistics.median(t + s for t, s in zip(tar_s, sha_s, strict=True))
        ratio = peer / ours
        peak_mb = max(rss)
        return {
            "size_mb": round(mb, 1),
            "files": sum(1 for p in folder.rglob("*") if p.is_file()),
            "runs": runs,
            "build_median_s": round(statistics.median(build), 2),
            "verify_median_s": round(statistics.median(verify), 2),
            "ours_median_s": round(ours, 2),
            "tar_median_s": round(statistics.median(tar_s), 2),
            "sha256sum_median_s": round(statistics.median(sha_s), 2),
            "peer_median_s": round(peer, 2),
            "ours_mb_per_s": round(mb / ours, 1),
            "peer_mb_per_s": round(mb / peer, 1),
            "throughput_vs_peer": round(ratio, 2),
            "peak_rss_mb": round(peak_mb, 1),
            "ok": ratio >= 0.8 and peak_mb <= 150,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    print(main())
