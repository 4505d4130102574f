"""`docs/benchmarks.json` (every figure of the last run of each benchmark) and `docs/benchmarks.md`
(the table people read), written by `python -m benchmarks` after it ran."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from benchmarks.harness import ROOT, machine

JSON_PATH = ROOT / "docs" / "benchmarks.json"
MD_PATH = ROOT / "docs" / "benchmarks.md"

# figure, benchmark, ours (key, unit), peer, ratio key, goal text, met?
ROWS: list[tuple[str, str, str, str, str, str, Callable[[dict[str, Any]], bool]]] = [
    ("P1 `package publish` of a fresh 300 MB bundle vs `aws s3 sync`", "bench_publish",
     "p1_publish_median_s|s", "p1_sync_median_s|s", "p1_ratio", "≤ 0.9x", lambda r: r["p1_ratio"] <= 0.9),
    ("P1 peak resident memory (publish vs sync)", "bench_publish", "p1_publish_peak_rss_mb|MB",
     "p1_sync_peak_rss_mb|MB", "", "≤ 150 MB", lambda r: r["p1_publish_peak_rss_mb"] <= 150),
    ("P1 CPU time of the sandbox's S3 (moto) serving the publish vs serving sync", "bench_publish",
     "p1_sandbox_cpu_publish_median_s|s", "p1_sandbox_cpu_sync_median_s|s", "", "—", lambda r: True),
    ("P2 the same publish after one 50 KB file changed vs sync's second run", "bench_publish",
     "p2_publish_median_s|s", "p2_sync_median_s|s", "p2_ratio", "≤ 0.5x", lambda r: r["p2_ratio"] <= 0.5),
    ("P2 floor: botocore alone (import, S3 client, the 5 requests a re-publish needs) vs the same",
     "bench_publish", "p2_floor_median_s|s", "p2_sync_median_s|s", "p2_floor_ratio", "—", lambda r: True),
    ("P2 stack floor: the above plus httpx, joserfc and keyring imported, one keyring read and one "
     "Keycloak request (no code of ours) vs the same",
     "bench_publish", "p2_stack_floor_median_s|s", "p2_sync_median_s|s", "p2_stack_floor_ratio", "—",
     lambda r: True),
    ("P3 longest GUI event-loop stall during P1 (worst run; peer: the idle loop)", "bench_gui",
     "p3_longest_stall_ms_max|ms", "p3_idle_longest_stall_ms_median|ms", "", "≤ 50 ms",
     lambda r: r["p3_longest_stall_ms_max"] <= 50),
    ("P5 cold start to a visible main window vs a bare PySide6 window", "bench_gui",
     "p5_app_first_paint_median_s|s", "p5_bare_first_paint_median_s|s", "p5_ratio", "≤ 1.5x",
     lambda r: r["p5_ratio"] <= 1.5),
    ("`hyperota --version` (peer: `python -c pass`)", "bench_cli_startup", "version_median_s|s",
     "version_python_median_s|s", "", "≤ 0.15 s", lambda r: r["version_median_s"] <= 0.15),
    ("`hyperota --help` (peer: `python -c pass`)", "bench_cli_startup", "help_median_s|s",
     "help_python_median_s|s", "", "≤ 0.15 s", lambda r: r["help_median_s"] <= 0.15),
    ("10,000 releases: first load vs the same pages with bare httpx", "bench_releases",
     "first_load_median_s|s", "peer_fetch_median_s|s", "load_vs_peer", "—", lambda r: True),
    ("10,000 releases: one search keystroke (peer: a bare substring scan)", "bench_releases",
     "keystroke_median_ms|ms", "peer_scan_median_ms|ms", "", "≤ 30 ms",
     lambda r: r["keystroke_median_ms"] <= 30),
    ("1 GB archive build + verify vs `tar` + `sha256sum` (throughput)", "bench_archives",
     "ours_mb_per_s|MB/s", "peer_mb_per_s|MB/s", "throughput_vs_peer", "≥ 0.8x, ≤ 150 MB",
     lambda r: r["throughput_vs_peer"] >= 0.8 and r["peak_rss_mb"] <= 150),
    ("Sandbox start-up in-process (Keycloak, Superposition, S3/KMS ready)", "bench_sandbox_startup",
     "in_process_median_s|s", "", "", "< 3 s", lambda r: r["in_process_median_s"] < 3),
]  # fmt: skip


# The figures of issue 11 before its work (same machine, same benchmarks, before the lazy start-up and
# the publish changes): kept on the page so every run can be read against them.
BEFORE: list[tuple[str, str]] = [
    ("P1 publish vs `aws s3 sync` (fresh 300 MB)", "1.17x; peak RSS 191 MB vs 100 MB"),
    ("P2 re-publish after one 50 KB change vs sync's second run", "1.84x"),
    ("P3 longest GUI event-loop stall during P1", "101 to 121 ms at worst"),
    ("P5 cold start to a visible window vs a bare PySide6 window", "4.8x"),
    ("`hyperota --version`, `hyperota --help`", "0.50 s"),
]


def update(results: dict[str, dict[str, Any]], started: datetime) -> None:
    """Merge this run's results into the JSON file (benchmarks not run keep their last figures) and
    write the Markdown page from it."""
    data: dict[str, Any] = {}
    if JSON_PATH.exists():
        data = json.loads(JSON_PATH.read_text())
    stamp = {"date": started.astimezone(UTC).isoformat(timespec="seconds"), "machine": machine()}
    for name, result in results.items():
        data.setdefault("benchmarks", {})[name] = {**stamp, **result}
    JSON_PATH.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    MD_PATH.write_text(render(data))


def _value(result: dict[str, Any], spec: str) -> str:
    if not spec:
        return "—"
    key, unit = spec.split("|")
    value = result.get(key)
    return "—" if value is None else f"{value} {unit}"


def render(data: dict[str, Any]) -> str:
    benchmarks: dict[str, dict[str, Any]] = data.get("benchmarks", {})
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks`; one benchmark: `python -m benchmarks publish`).",
        "Every figure is a whole process as a user runs it (the `hyperota` CLI, `hyperota-desktop` under",
        "Xvfb), measured against its peer in the same run, in alternating order, on the same sandbox",
        "(`hyperota sandbox up` in its own process: moto for S3 on loopback) and the same data;",
        "medians, ratios = ours / peer. How each is measured: the docstring of its `benchmarks/bench_*.py`.",
        "The raw figures, with every sample: [`benchmarks.json`](benchmarks.json).",
        "",
        "| figure | ours | peer | ratio | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for figure, name, ours, peer, ratio, goal, met in ROWS:
        result = benchmarks.get(name)
        if result is None:
            lines.append(f"| {figure} | not run | | | {goal} | |")
            continue
        ratio_text = f"{result[ratio]}x" if ratio and ratio in result else "—"
        try:
            ok = "yes" if met(result) else "**no**"
        except (KeyError, TypeError):
            ok = "?"
        lines.append(
            f"| {figure} | {_value(result, ours)} | {_value(result, peer)} | {ratio_text} | {goal} | {ok} |"
        )
    lines += ["", "## Before issue 11", "", "| figure | before |", "|---|---|"]
    lines += [f"| {figure} | {value} |" for figure, value in BEFORE]
    lines += ["", "## Where and when", ""]
    for name, result in sorted(benchmarks.items()):
        m = result.get("machine", {})
        lines.append(
            f"- `{name}`: {result.get('date', '?')}, {m.get('cpu', '?')} ({m.get('cores', '?')} cores, "
            f"{m.get('memory_gb', '?')} GB), {m.get('os', '?')}, Python {m.get('python', '?')}, load "
            f"average at the end {m.get('load_average', '?')} (the machine is shared: see the samples)."
        )
    lines += ["", "## Every figure", ""]
    for name, result in sorted(benchmarks.items()):
        lines.append(f"### {name}")
        lines.append("")
        for key, value in sorted(result.items()):
            if key not in ("machine", "date"):
                lines.append(f"- `{key}`: {json.dumps(value)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
