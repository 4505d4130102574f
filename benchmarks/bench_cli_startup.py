"""`hyperota --version` and `hyperota --help` as processes, vs the bare interpreter they run on.

Each is the installed console script (`.venv/bin/hyperota`), spawned `BENCH_CLI_RUNS` (15) times in
alternation with the peer, `python -c pass` of the same virtual environment (what any Python command
costs before its first line). Also measured: which heavy modules `--version` imports. Goal: ≤ 0.15 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from benchmarks.harness import HYPEROTA, Samples, base_env, in_turn, median, rounded, run_process, temp_root

GOAL_S = 0.15
HEAVY = ("boto3", "botocore", "httpx", "PySide6", "keyring", "joserfc", "jsonschema", "moto")


def _modules(argv: list[str], env: dict[str, str]) -> list[str]:
    """Heavy modules loaded by the time `hyperota ARGV` exits."""
    probe = (
        "import atexit, sys, json\n"
        f"atexit.register(lambda: print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]),"
        " file=sys.__stderr__))\n"
        "from hyperota_desktop.app.cli_entry import main\n"
        f"sys.argv = ['hyperota', *{argv!r}]\n"
        "sys.exit(main())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    return list(json.loads(done.stderr.strip().splitlines()[-1]))


def main() -> dict[str, object]:
    runs = int(os.environ.get("BENCH_CLI_RUNS", "15"))
    root = temp_root("bench-cli-")
    env = base_env(root / "home")
    result: dict[str, object] = {"runs": runs}
    worst = 0.0
    for flag in ("--version", "--help"):
        samples = Samples()

        def ours(_run: int, flag: str = flag, samples: Samples = samples) -> None:
            samples.ours.append(run_process([HYPEROTA, flag], env).seconds)

        def peer(_run: int, samples: Samples = samples) -> None:
            samples.peer.append(run_process([sys.executable, "-c", "pass"], env).seconds)

        for run in range(runs):
            in_turn(run, ours, peer)
        name = flag.strip("-")
        result[f"{name}_median_s"] = rounded(median(samples.ours))
        result[f"{name}_python_median_s"] = rounded(median(samples.peer))
        result[f"{name}_heavy_modules"] = _modules([flag], env)
        worst = max(worst, median(samples.ours))
    result["goals"] = {"version_median_s": GOAL_S, "help_median_s": GOAL_S}
    result["ok"] = worst <= GOAL_S
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
