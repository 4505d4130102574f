"""Run every `benchmarks/bench_*.py` (or only those named: `python -m benchmarks sandbox_startup`), then
write their figures to `docs/benchmarks.json` and `docs/benchmarks.md` (`--no-write`: only print them)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path


def discover() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))


def main(argv: list[str]) -> int:
    from benchmarks.report import update

    write = "--no-write" not in argv
    argv = [a for a in argv if a != "--no-write"]
    names = discover()
    wanted = {a.removeprefix("bench_") for a in argv}
    unknown = wanted - {n.removeprefix("bench_") for n in names}
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(sorted(unknown))}; have: {', '.join(names)}", file=sys.stderr
        )
        return 2
    failed = []
    results: dict[str, dict[str, object]] = {}
    when = datetime.now(UTC)
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
            results[name] = result
            print(json.dumps({"benchmark": name, **result}, sort_keys=True), flush=True)
            if result.get("ok") is False:
                failed.append(name)
        print(f"   ({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)
    if write and results:
        update(results, when)
        print("wrote docs/benchmarks.json and docs/benchmarks.md", file=sys.stderr)
    if failed:
        print(f"failed or missed target: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
