"""The Releases page's data with 10,000 releases (listing and filtering, in-process; the GUI figures come
with the page).

A Superposition emulator in its own process holds 10,000 experiments of one workspace (each with two
variants of 40 files, as a real release has; inserted straight into its state: creating them over HTTP is
not what is measured). A fresh client process then measures, `BENCH_RELEASES_RUNS` times (default 5):
  - `first_load_s`: `ReleaseIndex.refresh` (every page over HTTP, parsed into summary rows) + the first
    page of the table; peer: the same pages fetched and JSON-decoded with bare httpx (`peer_fetch_s`);
  - `poll_304_ms`: a refresh when nothing changed (one request, answered 304);
  - `keystroke_ms`: one search keystroke (`query(search=...)` over 10,000 rows, the first 50 shown), the
    median over the prefixes of "pune-17"; peer: a bare substring scan over 10,000 strings;
  - `status_filter_ms`, `page_ms` (offset 5,000), and the rows' memory (`tracemalloc`).
Target: a keystroke within the GUI's 30 ms budget (median).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

RELEASES = int(os.environ.get("BENCH_RELEASES", "10000"))
KEYSTROKE_BUDGET_MS = 30.0

_SERVER = r"""
import copy, json, sys, time
from hyperota_desktop.sandbox.http import serve
from hyperota_desktop.sandbox.superposition import SuperpositionEmulator
from hyperota_desktop.sandbox.superposition.state import Workspace, now, snowflake

count = int(sys.argv[1])
emu = SuperpositionEmulator()
org_id = emu.create_organisation("bench")
ws = Workspace(org=emu.orgs[org_id], name="bench", admin_email="a@example.com", created_by="a@example.com")
emu.workspaces[(org_id, "bench")] = ws
def files(version):
    return [{"file_path": f"assets/f{i}.png", "url": f"https://cdn.example.com/{version}/{i}",
             "checksum": f"{version:032x}{i:032x}", "size": 1000 + i} for i in range(40)]
statuses = ["CONCLUDED", "DISCARDED", "CONCLUDED", "INPROGRESS", "PAUSED", "CREATED"]
cities = ["Pune", "Delhi", "Goa", "Agra", "Kochi", "Mumbai", "Chennai"]
for n in range(count):
    exp_id, ts = str(snowflake()), now()
    status = statuses[n % len(statuses)] if n < count - 50 else "CREATED"
    variants = []
    for label, version in (("control", n), ("experimental", n + 1)):
        overrides = {"package.version": version, "package.important": files(version),
                     "config.version": str(n)}
        variants.append({"id": f"{exp_id}-{label}", "variant_type": label.upper(), "context_id": None,
                         "override_id": None, "overrides": overrides})
    ws.experiments[exp_id] = {
        "id": exp_id, "created_at": ts, "created_by": f"user{n % 9}@example.com", "last_modified": ts,
        "last_modified_by": "a@example.com", "name": f"shop package {n + 1}",
        "override_keys": ["package.version", "package.important", "config.version"], "status": status,
        "traffic_percentage": 20 if status in ("INPROGRESS", "PAUSED") else 0, "started_at": None,
        "started_by": None, "context": {"city": f"{cities[n % 7]}-{n % 100}"}, "variants": variants,
        "chosen_variant": f"{exp_id}-experimental" if status == "CONCLUDED" else None,
        "description": f"Release {n}: fixes and improvements", "change_reason": "bench", "metrics": {},
        "experiment_group_id": None,
    }
ws.record("experiments", "INSERT", "a@example.com", None, {"id": "last"})
time.sleep(1.1)  # the last change is more than a second old: polls may be answered 304
server = serve(emu.wsgi, "bench")
print(json.dumps({"url": server.url, "org": org_id}), flush=True)
sys.stdin.read()
"""

_CLIENT = r"""
import asyncio, json, statistics, sys, time, tracemalloc
import httpx
from hyperota_desktop.domain.releases import ReleaseStatus
from hyperota_desktop.services.release_index import ReleaseIndex
from hyperota_desktop.services.sp_workspace import WorkspaceApi
from hyperota_desktop.services.superposition import SuperpositionClient

url, org = sys.argv[1], sys.argv[2]

class NoTokens:
    async def access_token(self): return ""
    async def refresh_after_unauthorized(self, stale): return ""

async def peer_fetch():
    headers = {"x-org-id": org, "x-workspace": "bench", "x-tenant": "bench"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        page, rows = 1, 0
        while True:
            params = {"page": page, "count": 2000, "prefix": "package.version", "sort_on": "last_modified_at"}
            body = (await http.get("/experiments", params=params)).json()
            rows += len(body["data"])
            if page >= body["total_pages"]:
                return rows
            page += 1

async def main():
    t0 = time.perf_counter()
    rows = await peer_fetch()
    peer = time.perf_counter() - t0
    client = SuperpositionClient(url, NoTokens(), org_id=org)
    api = WorkspaceApi(client, "bench")
    index = ReleaseIndex()
    tracemalloc.start()
    t0 = time.perf_counter()
    first_rows = []
    def progress(loaded, total):
        if not first_rows:
            index.query(limit=50)  # what the table paints after the first page
            first_rows.append(time.perf_counter() - t0)
    await index.refresh(api, on_progress=progress)
    first = index.query(limit=50)
    load = time.perf_counter() - t0
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert first.total == rows, (first.total, rows)
    t0 = time.perf_counter()
    changed = await index.refresh(api)
    await index.refresh(api)
    t1 = time.perf_counter()
    assert await index.refresh(api) is False
    poll = time.perf_counter() - t1
    def timed(fn, runs=15):
        samples = []
        for _ in range(runs):
            t = time.perf_counter(); fn(); samples.append(time.perf_counter() - t)
        return statistics.median(samples) * 1000
    needle = "pune-17"
    prefixes = [needle[:k] for k in range(1, len(needle) + 1)]
    keystroke = statistics.median(timed(lambda p=p: index.query(search=p, limit=50)) for p in prefixes)
    texts = [r.search_text for r in index.rows()]
    peer_scan = statistics.median(timed(lambda p=p: [t for t in texts if p in t][:50]) for p in prefixes)
    status = timed(lambda: index.query(statuses=[ReleaseStatus.INPROGRESS, ReleaseStatus.PAUSED], limit=50))
    page = timed(lambda: index.query(offset=5000, limit=50))
    await client.aclose()
    print(json.dumps({"rows": rows, "first_rows_s": first_rows[0], "first_load_s": load,
                      "peer_fetch_s": peer, "poll_304_ms": poll * 1000,
                      "keystroke_ms": keystroke, "peer_scan_ms": peer_scan, "status_filter_ms": status,
                      "page_ms": page, "rows_memory_mib": memory / 2**20}))

asyncio.run(main())
"""


def _run_once(url: str, org: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CLIENT, url, org], capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> dict[str, object]:
    runs = int(os.environ.get("BENCH_RELEASES_RUNS", "5"))
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(RELEASES)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        started = time.perf_counter()
        ready = json.loads(server.stdout.readline())
        seeded = time.perf_counter() - started
        samples = [_run_once(ready["url"], ready["org"]) for _ in range(runs)]
    finally:
        server.kill()
        server.wait()

    def med(key: str) -> float:
        return round(statistics.median(s[key] for s in samples), 3)

    keystroke = med("keystroke_ms")
    return {
        "releases": RELEASES,
        "runs": runs,
        "seed_s": round(seeded, 1),
        "first_rows_median_s": med("first_rows_s"),
        "first_load_median_s": med("first_load_s"),
        "peer_fetch_median_s": med("peer_fetch_s"),
        "load_vs_peer": round(med("first_load_s") / med("peer_fetch_s"), 2),
        "poll_304_median_ms": med("poll_304_ms"),
        "keystroke_median_ms": keystroke,
        "peer_scan_median_ms": med("peer_scan_ms"),
        "status_filter_median_ms": med("status_filter_ms"),
        "page_median_ms": med("page_ms"),
        "rows_memory_mib": med("rows_memory_mib"),
        "target_keystroke_ms": KEYSTROKE_BUDGET_MS,
        "ok": keystroke <= KEYSTROKE_BUDGET_MS,
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
