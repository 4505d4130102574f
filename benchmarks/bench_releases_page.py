"""The Releases page with 10,000 releases, as the user sees it: first paint and a filter keystroke.

The Superposition emulator runs in its own process with 10,000 experiments (the seeding of
`bench_releases`). Each run is a fresh GUI process under Xvfb (`xvfb-run -a`; offscreen when Xvfb is not
installed, said in the result) holding the real `ReleasesPage` and `ReleasesPresenter` in a shown window
on a qasync loop, reading over HTTP with the real `ReleaseIndex`/`WorkspaceApi`. What is left out: the
sign-in and the workspace lookup (the presenter gets a small adapter that answers `refresh`/`index` for
the one workspace: those are one-off requests, not what this page costs).

Measured per run, medians over `BENCH_RELEASES_PAGE_RUNS` processes (default 5):
  - `first_paint_s`: from selecting the application to the table's first paint with rows in it;
  - `keystroke_ms`: typing "pune-17" into the search box, one key at a time, each until the table has
    repainted (filter + model reset + paint), the median over the keys;
  - in-process, to explain the keystroke: `query_ms`, the index query alone for the same keys.
Targets: first paint ≤ 1 s, keystroke ≤ 30 ms (medians).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys

from benchmarks.bench_releases import _SERVER

RELEASES = int(os.environ.get("BENCH_RELEASES", "10000"))
FIRST_PAINT_BUDGET_S = 1.0
KEYSTROKE_BUDGET_MS = 30.0

_GUI = r"""
import asyncio, json, statistics, sys, time
import qasync
from PySide6.QtCore import QEvent, QObject
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMainWindow
from hyperota_desktop.services.release_detail import FourEyes
from hyperota_desktop.services.release_index import ReleaseIndex
from hyperota_desktop.services.sp_workspace import WorkspaceApi
from hyperota_desktop.services.superposition import SuperpositionClient
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.releases import ReleasesPresenter
from hyperota_desktop.ui.views.releases_page import ReleasesPage

url, org = sys.argv[1], sys.argv[2]

class NoTokens:
    async def access_token(self): return ""
    async def refresh_after_unauthorized(self, stale): return ""

class Releases:  # the ReleaseService calls the page makes, for the one benchmark workspace
    def __init__(self, api):
        self.api, self._index = api, ReleaseIndex()
    def index(self, org, app): return self._index
    async def refresh(self, org, app, *, force=False, on_progress=None):
        return await self._index.refresh(self.api, on_progress=on_progress)
    async def four_eyes(self, org, app): return FourEyes(True, False, "bench")
    async def recover(self): return []

class Services:
    def __init__(self, releases): self.releases = releases

class FirstPaint(QObject):
    def __init__(self, model):
        super().__init__()
        self.model, self.at = model, None
    def eventFilter(self, obj, event):
        if self.at is None and event.type() == QEvent.Type.Paint and self.model.rowCount() > 0:
            self.at = time.perf_counter()
        return False

app = QApplication(sys.argv)
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)

async def main():
    client = SuperpositionClient(url, NoTokens(), org_id=org)
    releases = Releases(WorkspaceApi(client, "bench"))
    window = QMainWindow()
    page = ReleasesPage()
    window.setCentralWidget(page)
    window.resize(1280, 860)
    presenter = ReleasesPresenter(page, MessageChannel())
    presenter.set_services(Services(releases))
    presenter.identity_changed(object())
    window.show()
    await asyncio.sleep(0.3)  # the window is up, nothing selected yet
    painted = FirstPaint(page.model)
    page.table.viewport().installEventFilter(painted)
    t0 = time.perf_counter()
    presenter.select(org, "bench")  # the user clicks the application
    while painted.at is None:
        await asyncio.sleep(0.001)
    first_paint = painted.at - t0
    await presenter.wait_idle()
    assert page.model.total == len(releases._index.rows()), page.model.total
    page.search.setFocus()
    keys, queries = [], []
    for ch in "pune-17":
        t = time.perf_counter()
        QTest.keyClick(page.search, ch)  # textChanged -> the presenter filters, the model resets
        page.table.viewport().repaint()  # and the table paints the result, now
        keys.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        releases._index.query(search=page.search.text(), limit=100)
        queries.append((time.perf_counter() - t) * 1000)
    shown = page.model.total
    await presenter.stop()
    await client.aclose()
    print(json.dumps({"first_paint_s": first_paint, "keystroke_ms": statistics.median(keys),
                      "keystroke_max_ms": max(keys), "query_ms": statistics.median(queries),
                      "rows": len(releases._index.rows()), "matches": shown}), flush=True)

with loop:
    loop.run_until_complete(main())
"""


def _run_once(url: str, org: str, display: list[str]) -> dict[str, float]:
    env = dict(os.environ)
    if not display:
        env["QT_QPA_PLATFORM"] = "offscreen"
    else:
        env.pop("QT_QPA_PLATFORM", None)
    out = subprocess.run(
        [*display, sys.executable, "-c", _GUI, url, org],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the GUI process failed ({out.returncode}): {out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> dict[str, object]:
    runs = int(os.environ.get("BENCH_RELEASES_PAGE_RUNS", "5"))
    display = ["xvfb-run", "-a"] if shutil.which("xvfb-run") else []
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(RELEASES)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        ready = json.loads(server.stdout.readline())
        samples = [_run_once(ready["url"], ready["org"], display) for _ in range(runs)]
    finally:
        server.kill()
        server.wait()

    def med(key: str) -> float:
        return round(statistics.median(s[key] for s in samples), 3)

    first, key = med("first_paint_s"), med("keystroke_ms")
    return {
        "releases": RELEASES,
        "runs": runs,
        "display": "xvfb" if display else "offscreen",
        "first_paint_median_s": first,
        "keystroke_median_ms": key,
        "keystroke_worst_median_ms": med("keystroke_max_ms"),
        "query_median_ms": med("query_ms"),
        "keystroke_vs_query": round(key / max(med("query_ms"), 1e-6), 1),
        "target_first_paint_s": FIRST_PAINT_BUDGET_S,
        "target_keystroke_ms": KEYSTROKE_BUDGET_MS,
        "ok": first <= FIRST_PAINT_BUDGET_S and key <= KEYSTROKE_BUDGET_MS,
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
