"""Run every `benchmarks/bench_*.py` (or only those named: `python -m benchmarks sandbox_startup`)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
import traceback
from pathlib import Path


def discover() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))


def main(argv: list[str]) -> int:
    names = discover()
    wanted = {a.removeprefix("bench_") for a in argv}
    unknown = wanted - {n.removeprefix("bench_") for n in names}
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(sorted(unknown))}; have: {', '.join(names)}", file=sys.stderr
        )
        return 2
    failed = []
    for name in names:
        if wanted and name.removeprefix("bench_") not in wanted:
            continue
        print(f"== {name}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            result = importlib.import_module(f"benchmarks.{name}").main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        if isinstance(result, dict):
            print(json.dumps({"benchmark": name, **result}, sort_keys=True), flush=True)
            if result.get("ok") is False:
                failed.append(name)
        print(f"   ({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)
    if failed:
        print(f"failed or missed target: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
