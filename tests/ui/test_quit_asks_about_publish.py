"""Quitting while a publish runs (or is paused) asks first; nothing runs: the window closes at once.

The publish is alice's, of a bundle with a 20 MiB file sent in 5 MiB parts one at a time, held mid-way
by her Pause (so the question finds it where the test left it). Each answer does what it says: *Keep
working* leaves it as it was, *Pause and quit* leaves it unfinished in the journal, *Cancel the publish
and quit* undoes it (journal: rolled back; its objects gone from S3) before the window closes. A system
logout pauses it without a question (the handler, called directly).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import Gui, build_gui
from hyperota_desktop.domain.units import human_size
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.packages import PUBLISH_KIND
from hyperota_desktop.services.saga import SagaRecord
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.ui.presenters.quit_guard import QuitGuard
from hyperota_desktop.ui.views.main_window import MIN_HEIGHT, MIN_WIDTH
from hyperota_desktop.ui.views.publish_panel import HELD
from hyperota_desktop.ui.views.quit_question import QuitQuestion
from tests.support.gui import until
from tests.support.gui_app import (
    ONE_PART_AT_A_TIME,
    big_bundle,
    offered,
    paused_in,
    signed_in,
    signed_in_on,
    unique,
    wired,
)
from tests.ui.test_paused_offers_layout import in_sight


@pytest.fixture(autouse=True)
def _closing_is_the_apps_decision(qapp: QApplication) -> Iterator[None]:
    """As in the app (`gui_entry.main`): closing the window does not stop Qt's (and the test's) loop."""
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(before)


def guard(gui: Gui) -> QuitGuard:
    assert gui.quit_guard is not None
    return gui.quit_guard


def question(gui: Gui) -> QuitQuestion | None:
    dialog = guard(gui).dialog
    return dialog if dialog is not None and dialog.isVisible() else None


def publishes(gui: Gui, app: str) -> list[SagaRecord]:
    return [r for r in gui.services.journal.list(app=app) if r.kind == PUBLISH_KIND]


def s3_keys(sandbox: Sandbox, app: str) -> set[str]:
    client = sandbox.aws.client("s3")
    listed = client.list_objects_v2(Bucket=sandbox.aws.bucket, Prefix=f"guiorg/{app}/")
    uploads = client.list_multipart_uploads(Bucket=sandbox.aws.bucket, Prefix=f"guiorg/{app}/")
    return {o["Key"] for o in listed.get("Contents", [])} | {u["Key"] for u in uploads.get("Uploads", [])}


def s3_amounts(sandbox: Sandbox, app: str) -> tuple[int, int, int]:
    """Files stored under the app and their bytes, and unfinished multipart uploads."""
    client = sandbox.aws.client("s3")
    listed = client.list_objects_v2(Bucket=sandbox.aws.bucket, Prefix=f"guiorg/{app}/")
    uploads = client.list_multipart_uploads(Bucket=sandbox.aws.bucket, Prefix=f"guiorg/{app}/")
    objects = listed.get("Contents", [])
    return len(objects), sum(o["Size"] for o in objects), len(uploads.get("Uploads", []))


class Closes:
    """Counts the window's `closeRequested` (what makes the app shut down)."""

    def __init__(self, gui: Gui) -> None:
        self.count = 0
        gui.window.closeRequested.connect(self._closed)

    def _closed(self) -> None:
        self.count += 1


async def ask_quit(gui: Gui, how: str = "action") -> QuitQuestion:
    if how == "action":
        gui.window.quit_action.trigger()  # the menu's Quit and Ctrl+Q
    else:
        gui.window.close()  # the window's close button
    await until(lambda: question(gui) is not None, "the question")
    dialog = question(gui)
    assert dialog is not None
    return dialog


async def alices_paused_publish(
    tmp_path: Path, sandbox: Sandbox, qtbot: Any, stem: str
) -> tuple[Gui, str, Closes]:
    """alice's window (its closes counted) and her publish to a new `guiorg/<stem>-…`, paused
    between two parts."""
    app = unique(stem)
    _services, gui = wired(
        tmp_path, sandbox, qtbot, "alice", f"/guiorg/{app}/write", settings=ONE_PART_AT_A_TIME
    )
    closes = Closes(gui)
    await paused_in(gui, "guiorg", app, big_bundle(tmp_path / "big"))
    return gui, app, closes


def screenshot(widget: QWidget, artifacts_dir: Path, name: str) -> None:
    """`widget` saved as `name` where the screenshots go (`$HYPEROTA_SCREENSHOTS`: the docs' ones)."""
    from tests.ui.test_screenshots import save, screenshots_dir

    save(widget, screenshots_dir(artifacts_dir) / name)


def test_quit_with_nothing_running_closes_at_once(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    app = unique("quitidle")
    _services, gui = wired(tmp_path, sandbox, qtbot, "alice", f"/guiorg/{app}/write")
    closes = Closes(gui)

    async def scenario() -> None:
        await signed_in(gui)
        gui.window.quit_action.trigger()
        assert closes.count == 1 and not gui.window.isVisible()
        assert guard(gui).dialog is None
        await gui.shutdown()

    loop.run_until_complete(scenario())


def test_keep_working_leaves_the_publish_as_it_was_and_it_finishes(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, artifacts_dir: Path
) -> None:
    async def scenario() -> None:
        gui, app, closes = await alices_paused_publish(tmp_path, sandbox, qtbot, "quitkeep")
        presenter, page = gui.packages, gui.packages._page
        dialog = await ask_quit(gui, "close button")
        text = dialog.summary.text()
        assert f"A publish to guiorg/{app} is paused (" in text and "% sent)" in text, text
        assert dialog.keep_button.isDefault() and not dialog.pause_button.isDefault()
        screenshot(dialog, artifacts_dir, "quit-question.png")
        gui.window.quit_action.trigger()  # asked again while the question is open: still one question
        assert question(gui) is dialog
        dialog.reject()  # Escape: Keep working
        await until(lambda: question(gui) is None, "the question to close")
        await guard(gui).wait_idle()
        assert closes.count == 0 and gui.window.isVisible()
        assert presenter.control is not None and presenter.control.paused
        assert page.pause_button.isEnabled() and page.cancel_button.isEnabled()

        dialog = await ask_quit(gui)  # Keep working, by its button
        dialog.keep_button.click()
        await until(lambda: question(gui) is None, "the question to close")
        await guard(gui).wait_idle()
        assert closes.count == 0
        page.pause_button.click()  # Resume: it finishes
        await until(lambda: page.list_model.rowCount() == 1, "the finished publish")
        await gui.wait_idle()
        assert [r.status for r in publishes(gui, app)] == ["done"]
        gui.window.quit_action.trigger()  # nothing runs now: no question
        assert closes.count == 1 and guard(gui).dialog is None
        await gui.shutdown()

    loop.run_until_complete(scenario())


def test_pause_and_quit_leaves_the_publish_unfinished_in_the_journal(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    async def scenario() -> None:
        gui, app, closes = await alices_paused_publish(tmp_path, sandbox, qtbot, "quitpause")
        dialog = await ask_quit(gui)
        dialog.pause_button.click()
        await until(lambda: closes.count == 1, "the window to close")
        await guard(gui).wait_idle()
        [record] = publishes(gui, app)
        assert record.status == "running" and record.actor.startswith("alice"), record
        assert record.paused.startswith("paused at quit, ") and "% sent" in record.paused, record.paused
        assert s3_keys(sandbox, app), "its uploads are kept for the resume"
        await gui.shutdown()

    loop.run_until_complete(scenario())


def test_cancel_the_publish_and_quit_undoes_it_before_the_window_closes(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    async def scenario() -> None:
        gui, app, closes = await alices_paused_publish(tmp_path, sandbox, qtbot, "quitcancel")
        page = gui.packages._page
        seen: list[str] = []
        assert s3_keys(sandbox, app), "something was sent before the quit"
        dialog = await ask_quit(gui)
        dialog.cancel_button.click()
        await until(lambda: "Cancelling" in page.publish_target.text(), "the cancel on the page")
        seen.append(page.progress_label.text())
        show_undo = page.show_undo

        def undoing(text: str, done: int, total: int) -> None:
            seen.append(text)
            show_undo(text, done, total)

        page.show_undo = undoing  # type: ignore[method-assign]
        assert closes.count == 0  # not before the undo ended
        await until(lambda: closes.count == 1, "the window to close")
        await guard(gui).wait_idle()
        assert seen[0].startswith("Cancelling: delet"), seen  # at once, before any amount is known
        # then its amounts, from nothing to all of it (files, bytes, unfinished uploads)
        assert any(re.match(r"Cancelling: deleted 0 of [1-9]\d* file\(s\) \(0 B of ", t) for t in seen), seen
        whole = r"Cancelling: deleted (\d+) of \1 file\(s\) \(([^)]+) of \2\)(; (\d+) of \4 unfinished .*)?…$"
        assert re.match(whole, seen[-1]), seen
        [record] = publishes(gui, app)
        assert record.status == "rolled_back", record
        assert not s3_keys(sandbox, app), s3_keys(sandbox, app)
        await gui.shutdown()

    loop.run_until_complete(scenario())


def test_a_system_logout_pauses_the_running_publish_without_asking(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    async def scenario() -> None:
        gui, app, _closes = await alices_paused_publish(tmp_path, sandbox, qtbot, "quitlogout")
        presenter, page = gui.packages, gui.packages._page
        page.pause_button.click()  # running again
        assert presenter.control is not None and not presenter.control.paused
        guard(gui).session_ending()  # what commitDataRequest / aboutToQuit call
        assert presenter.control.paused and guard(gui).dialog is None
        await gui.shutdown()  # what the quit that follows does
        [record] = publishes(gui, app)
        assert record.status == "running" and record.paused.startswith("paused as the session ended"), record

    loop.run_until_complete(scenario())


def restarted(tmp_path: Path, qtbot: Any) -> Gui:
    """A new window on the same home and profile, alice's sign-in in the keyring (the next start)."""
    services = build_services(AppDirs.under(tmp_path / "home"))
    services.profiles.use("sb")
    gui = build_gui(services)
    qtbot.addWidget(gui.window)
    gui.window.resize(1200, 760)
    gui.window.show()
    return gui


async def paused_and_restarted(tmp_path: Path, sandbox: Sandbox, qtbot: Any, stem: str) -> tuple[Gui, str]:
    """alice pauses and quits mid-publish; the next start shows it paused and does not go on."""
    first, app, _closes = await alices_paused_publish(tmp_path, sandbox, qtbot, stem)
    first.packages._page.pause_button.click()  # running again when she quits
    dialog = await ask_quit(first)
    assert f"A publish to guiorg/{app} is running (" in dialog.summary.text()
    dialog.pause_button.click()
    await until(lambda: not first.window.isVisible(), "the window to close")
    await guard(first).wait_idle()
    await first.shutdown()

    gui = restarted(tmp_path, qtbot)
    page = gui.packages._page
    await signed_in_on(gui, "guiorg", app)
    await until(lambda: offered(gui) == [f"Publish to guiorg/{app}: big"], "the paused publish")
    [record] = publishes(gui, app)
    assert record.status == "running" and record.paused, record  # not finished by the start
    [row] = page.paused_offers.rows
    assert row.resume_button.isEnabled() and row.cancel_button.isEnabled()
    assert not page.pause_button.isEnabled() and not page.cancel_button.isEnabled()  # nothing runs
    assert page.drop_area.isEnabled()  # it waits: a new bundle may be published meanwhile
    text = row.detail.text()
    assert "paused at quit" in text and "sending the files" in text, text
    assert page.list_model.rowCount() == 0
    return gui, app


def test_a_paused_publish_is_offered_at_the_next_start_and_resumes_only_on_the_click(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, artifacts_dir: Path
) -> None:
    async def scenario() -> None:
        gui, app = await paused_and_restarted(tmp_path, sandbox, qtbot, "quitresume")
        page = gui.packages._page
        gui.window.show_page("packages")
        gui.window.resize(MIN_WIDTH, MIN_HEIGHT)  # the heading and its buttons in sight even so
        await asyncio.sleep(0.2)
        offers, central = page.paused_offers, gui.window.centralWidget()
        [row] = offers.rows
        assert in_sight(offers.heading, central)
        for button in (row.resume_button, row.cancel_button):
            assert in_sight(button, offers.rows_area.viewport()) and in_sight(button, central)
        screenshot(gui.window, artifacts_dir, "packages-paused-publish.png")
        assert gui.quit_guard is not None and gui.quit_guard.may_close()  # paused in the journal: no question
        page.paused_offers.rows[0].resume_button.click()
        await until(lambda: page.list_model.rowCount() == 1, "the resumed publish")
        await gui.wait_idle()
        [record] = publishes(gui, app)
        assert record.status == "done" and not record.paused, record
        assert "(resumed)" in page.progress_label.text(), page.progress_label.text()
        assert page.pause_button.text() == "Pause" and not page.pause_button.isEnabled()
        assert offered(gui) == [] and page.drop_area.isEnabled()
        await gui.shutdown()

    loop.run_until_complete(scenario())


def test_a_paused_publish_cancelled_at_the_next_start_is_undone(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    async def scenario() -> None:
        gui, app = await paused_and_restarted(tmp_path, sandbox, qtbot, "quitundo")
        page = gui.packages._page
        assert s3_keys(sandbox, app)
        stored = s3_amounts(sandbox, app)
        assert stored[0] >= 1 and stored[1] > 0, stored
        offers = page.paused_offers
        shown: list[tuple[str, int, int]] = []
        show = offers.show_undo_progress

        def seen(saga_id: str, text: str, done: int, total: int) -> None:
            shown.append((text, done, total))
            show(saga_id, text, done, total)

        offers.show_undo_progress = seen  # type: ignore[method-assign]
        offers.rows[0].cancel_button.click()
        assert not offers.rows[0].resume_button.isEnabled()  # nothing else while it is undone
        assert not page.drop_area.isEnabled() and page.drop_area.toolTip() == HELD
        await until(lambda: "was cancelled" in page.progress_label.text(), "the undo")
        await gui.wait_idle()
        assert page.drop_area.isEnabled() and not page.drop_area.toolTip()
        [record] = publishes(gui, app)
        assert record.status == "rolled_back", record
        assert not s3_keys(sandbox, app), s3_keys(sandbox, app)
        assert offered(gui) == [] and not page.cancel_button.isEnabled()
        # the amounts are what S3 held: each file with its size, each unfinished upload
        files, size, uploads = stored
        of_uploads = f"; {uploads} of {uploads} unfinished upload(s) aborted" if uploads else ""
        assert shown[0] == ("Cancelling: finding what it sent…", 0, 0), shown
        assert shown[1] == (
            f"Cancelling: deleted 0 of {files} file(s) (0 B of {human_size(size)})"
            f"{of_uploads.replace(f'; {uploads} of', '; 0 of')}…", 0, files + uploads
        ), shown  # fmt: skip
        assert shown[-1] == (
            f"Cancelling: deleted {files} of {files} file(s) ({human_size(size)} of {human_size(size)})"
            f"{of_uploads}…", files + uploads, files + uploads
        ), shown  # fmt: skip
        text = page.progress_label.text()
        aborted = f", {uploads} unfinished upload(s) aborted" if uploads else ""
        assert text == (
            f"The paused publish to guiorg/{app} was cancelled: {files} file(s) ({human_size(size)}) "
            f"deleted{aborted}."
        ), text
        await gui.shutdown()

    loop.run_until_complete(scenario())


async def quit_asked_during_the_undo(gui: Gui, sandbox: Sandbox, app: str, delay: float) -> QuitQuestion:
    """Cancel the offered paused publish, its first delete held `delay` s by S3, and press Quit."""
    slow = sandbox.aws.server.faults.add(f"^/{sandbox.aws.bucket}/?$", method="POST", status=0, delay=delay)
    gui.packages._page.paused_offers.rows[0].cancel_button.click()
    await until(lambda: slow.times == 0, "the undo's first delete")
    await gui.packages.offer_paused()  # a list refreshed meanwhile no longer has it (not paused now)
    assert offered(gui) == []
    dialog = await ask_quit(gui)
    assert f"The paused publish to guiorg/{app} is being cancelled (deleted 0 of " in dialog.summary.text()
    assert (dialog.pause_button.text(), dialog.cancel_button.text()) == (
        "Quit now", "Finish cancelling, then quit"
    )  # fmt: skip
    assert dialog.keep_button.isDefault()
    return dialog


def test_quit_during_an_undo_asks_and_can_finish_it_first(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, artifacts_dir: Path
) -> None:
    async def scenario() -> None:
        gui, app = await paused_and_restarted(tmp_path, sandbox, qtbot, "quitundoing")
        closes = Closes(gui)
        dialog = await quit_asked_during_the_undo(gui, sandbox, app, delay=1.0)
        screenshot(dialog, artifacts_dir, "quit-question-undo.png")
        dialog.cancel_button.click()
        await until(lambda: closes.count == 1, "the window to close")
        [record] = publishes(gui, app)
        assert record.status == "rolled_back", record  # finished before the window closed
        assert not s3_keys(sandbox, app), s3_keys(sandbox, app)
        await gui.shutdown()

    loop.run_until_complete(scenario())


def test_quit_now_during_an_undo_leaves_it_to_the_next_start(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    async def scenario() -> None:
        gui, app = await paused_and_restarted(tmp_path, sandbox, qtbot, "quitundonow")
        closes = Closes(gui)
        dialog = await quit_asked_during_the_undo(gui, sandbox, app, delay=3.0)
        dialog.pause_button.click()
        await until(lambda: closes.count == 1, "the window to close")
        await gui.shutdown()  # what the app does next: the undo stops where it is
        [record] = publishes(gui, app)
        assert record.status != "rolled_back" and not record.paused, record  # no longer offered

        again = restarted(tmp_path, qtbot)
        await signed_in_on(again, "guiorg", app)
        await until(lambda: publishes(again, app)[0].status == "rolled_back", "the next start's undo")
        await again.wait_idle()
        assert offered(again) == [] and not s3_keys(sandbox, app), s3_keys(sandbox, app)
        await again.shutdown()

    loop.run_until_complete(scenario())
