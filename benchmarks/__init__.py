"""Benchmarks: `python -m benchmarks [NAME...]` runs every `bench_*.py` module's `main()`.

Speed figures live here, never in tests. A benchmark module exposes `main() -> dict | None`; a dict
with `"ok": False` (a missed target) makes the run exit 1.
"""
