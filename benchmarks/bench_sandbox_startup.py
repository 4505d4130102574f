"""Whole-sandbox start-up: Keycloak + Superposition + AWS (moto) ready on their ports.

moto's state is process-global and imports dominate, so every run is a fresh interpreter:
  - `in_process`: from before `import hyperota_desktop.sandbox.runtime` to `Sandbox.start()` returning
    (imports + every server listening + Superposition org + bucket/KMS seeding), measured inside it;
  - `cli_to_endpoints_file`: wall time from spawning `hyperota sandbox up --endpoints-file F` to F
    existing (adds interpreter start-up and the CLI).
Median of `BENCH_SANDBOX_RUNS` (default 5) runs each. Target: in-process median < 3 s.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 3.0

_CHILD = """
import json, time
t0 = time.perf_counter()
from hyperota_desktop.sandbox.runtime import Sandbox
t1 = time.perf_counter()
sandbox = Sandbox.start()
t2 = time.perf_counter()
sandbox.stop()
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "start": t2 - t1, "total": t2 - t0, "stop": t3 - t2}))
"""


def _in_process() -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _cli_to_endpoints_file() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "endpoints.json"
        env = {**os.environ, "HYPEROTA_HOME": str(Path(tmp) / "home")}
        command = [sys.executable, "-m", "hyperota_desktop.app.cli_entry", "sandbox", "up"]
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*command, "--endpoints-file", str(path)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while not path.exists():
                if proc.poll() is not None:
                    raise RuntimeError(f"sandbox up exited with {proc.returncode}")
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        return elapsed


def main() -> dict[str, object]:
    runs = int(os.environ.get("BENCH_SANDBOX_RUNS", "5"))
    samples = [_in_process() for _ in range(runs)]
    cli = [_cli_to_endpoints_file() for _ in range(runs)]

    def med(key: str) -> float:
        return round(statistics.median(s[key] for s in samples), 3)

    median_total = med("total")
    return {
        "runs": runs,
        "in_process_median_s": median_total,
        "import_median_s": med("import"),
        "start_median_s": med("start"),
        "stop_median_s": med("stop"),
        "in_process_max_s": round(max(s["total"] for s in samples), 3),
        "cli_to_endpoints_file_median_s": round(statistics.median(cli), 3),
        "target_s": TARGET_SECONDS,
        "ok": median_total < TARGET_SECONDS,
    }
