"""The GUI stays responsive while the backends misbehave (issue 14, backend faults).

A heartbeat QTimer on the qasync loop ticks every 20 ms while the person signs in, opens an application
and publishes a package, with every backend answering late (1.2 s), busy (503) and throttling (429
with Retry-After). Had any request, retry wait or backoff run on the UI thread, a gap between two ticks
would be at least the fault's 1.2 s; the bound asserted is half that, with room for a loaded machine.
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

from PySide6.QtCore import QTimer

from hyperota_desktop.sandbox.runtime import Sandbox
from tests.support import bundles
from tests.support.gui import drop, until
from tests.ui.test_packages_gui import _build, _signed_in

LATE = 1.2  # seconds a faulted answer takes
BOUND = 0.6  # the longest gap between heartbeats allowed


def test_the_loop_keeps_beating_while_every_backend_is_slow_or_busy(
    qtbot, tmp_path: Path, sandbox: Sandbox, loop
) -> None:
    services, gui = _build(tmp_path, sandbox, qtbot, "dave", "/beatorg/beat/write")
    presenter = gui.packages
    assert presenter is not None
    page = presenter._page
    root = bundles.write(tmp_path / "b", {"index.android.bundle": b"beat", "raw/a.bin": os.urandom(4096)})
    kc, aws = sandbox.servers["keycloak"].faults, sandbox.aws.server.faults
    kc.add("/account/groups$|/groups", method="GET", status=0, delay=LATE, times=2)
    kc.add("/protocol/openid-connect/token$", status=503, body={"error": "busy"}, times=1)
    aws.add("/beatorg/beat/", method="GET", status=0, delay=LATE, times=2)
    aws.add("/files/sha256/", method="PUT", status=503, body="<Error><Code>SlowDown</Code></Error>",
            content_type="application/xml", times=1)  # fmt: skip
    aws.add("/files/sha256/", method="PUT", status=0, delay=LATE, times=2)
    aws.add("/beatorg/beat/packages/", method="PUT", status=429, headers={"Retry-After": "1"},
            body="<Error><Code>SlowDown</Code></Error>", content_type="application/xml", times=1)  # fmt: skip
    beats: list[float] = []
    heart = QTimer()
    heart.setInterval(20)
    heart.timeout.connect(lambda: beats.append(time.monotonic()))

    async def scenario() -> None:
        heart.start()
        await _signed_in(gui)
        presenter.select("beatorg", "beat")
        drop(page, [root])
        await until(lambda: page.publish_button.isEnabled(), "the pre-flight", timeout=60)
        page.publish_button.click()
        page.confirm_button.click()
        await until(lambda: page.list_model.rowCount() == 1, "the published version", timeout=60)
        await presenter.wait_idle()
        heart.stop()
        await services.aclose()

    try:
        loop.run_until_complete(scenario())
    finally:
        heart.stop()
        kc.clear()
        aws.clear()
    hit = [h for h in aws.hits if h[0] == "PUT"]
    assert hit and kc.hits, "the faults were never met"
    gaps = [b - a for a, b in itertools.pairwise(beats)]
    assert len(beats) > 50 and max(gaps) < BOUND, f"the loop stalled {max(gaps):.2f}s ({len(beats)} beats)"
