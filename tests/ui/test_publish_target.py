"""Issue 16.1: a publish belongs to its target.

Pause a publish to one application, select another, resume: the publish finishes where it started and
says so (its own target and bytes), the page stays tied to it while it runs or is paused, the file
table shows each file's real state, the current-file line the bytes of the file being sent, and the
bar never reads 100 % before anything was sent.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.ui.presenters.packages import SELECTION_WORK
from tests.support import bundles
from tests.support.gui import select, until
from tests.support.gui_app import drop_and_confirm, signed_in, unique, wired

MiB = 1024 * 1024


def status_column(page: Any) -> dict[str, str]:
    """What the Status column of the pre-flight table shows, by file."""
    model = page.preflight_model
    return {model.index(r, 0).data(): model.index(r, 3).data() for r in range(model.rowCount())}


def test_a_paused_publish_stays_with_its_target_and_reports_its_own_bytes(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, artifacts_dir: Path
) -> None:
    tied, other = unique("tied"), unique("other")
    services, gui = wired(
        tmp_path, sandbox, qtbot, "dave", f"/guiorg/{tied}/write", f"/guiorg/{other}/write",
        settings={"upload/parallel_parts": 1, "upload/part_size_mib": 5},
    )  # fmt: skip
    presenter, page = gui.packages, gui.packages._page
    shared = os.urandom(4096)
    first = bundles.write(tmp_path / "one", {"index.android.bundle": b"one", "raw/shared.bin": shared})
    second = bundles.write(
        tmp_path / "two",
        {"index.android.bundle": b"two", "raw/shared.bin": shared, "raw/big.bin": os.urandom(25 * MiB)},
    )
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))
    bar: list[tuple[int, bool]] = []  # (value, anything sent yet) as the bar moved
    sent = {"any": False}
    seen: dict[str, Any] = {}
    shown = page.show_progress

    def spy(phase: str, done: int, total: int, *rest: Any) -> None:
        if phase == "uploading" and done > 0:
            sent["any"] = True
        shown(phase, done, total, *rest)
        statuses = status_column(page)
        if phase == "uploading" and 0 < done < total and "paused_at" not in seen:
            seen["paused_at"] = (page.current_files.text(), statuses)
            page.pause_button.click()  # between two parts of big.bin

    page.progress.valueChanged.connect(lambda value: bar.append((value, sent["any"])))

    async def scenario() -> None:
        await signed_in(gui)
        select(gui.window, "guiorg", tied)
        await gui.wait_idle()
        await drop_and_confirm(page, first)
        await until(lambda: page.list_model.rowCount() == 1, "version 1")
        await presenter.wait_idle()
        bar.clear()
        page.show_progress = spy  # type: ignore[method-assign]
        await drop_and_confirm(page, second)
        await until(lambda: "paused_at" in seen and presenter.control.paused, "the pause mid-upload")
        current, statuses = seen["paused_at"]
        # the file being sent, with the bytes really sent of it (not "0 B"), and each file's state
        sending = re.search(r"raw/big\.bin: (\d+\.\d) MiB of 25\.0 MiB", current)
        assert sending and 0 < float(sending[1]) < 25, current
        assert statuses["raw/shared.bin"] == "already stored", statuses
        assert statuses["index.android.bundle"] == "index, sent", statuses
        assert statuses["raw/big.bin"].startswith("sending"), statuses
        # another application selected while paused: the page says where the publish goes
        select(gui.window, "guiorg", other)
        # (not gui.wait_idle(): the paused publish is work in progress until it is resumed)
        await until(lambda: not any(presenter._tasks.running(n) for n in SELECTION_WORK), "the other list")
        assert f"Publishing to guiorg/{tied}" in page.publish_target.text(), posted
        assert page.publish_target.isVisibleTo(page)
        assert page.preflight_model.rowCount() == 3  # the publish's files stay on the page
        assert f"guiorg/{other}" in page.target_label.text()
        gui.window.grab().save(str(artifacts_dir / "packages-paused-publish.png"))
        page.pause_button.click()  # resume
        await until(lambda: any("Published" in text for _l, text in posted), "the publish to finish")
        await gui.wait_idle()
        done = next(text for _l, text in posted if "Published" in text and "version 2" in text)
        assert done == f"Published guiorg/{tied} version 2: 25.0 MiB sent, 4.0 KiB already stored.", done
        assert not page.publish_target.isVisibleTo(page)  # back to the selection
        assert page.list_model.rowCount() == 0  # the other application's (empty) list, not tied's
        # the bar never read 100 % before a byte was sent, and ended at 100 %
        assert bar and bar[-1][0] == page.progress.maximum()
        early = [value for value, anything in bar if not anything and value >= page.progress.maximum()]
        assert not early, bar
        await services.aclose()

    loop.run_until_complete(scenario())
