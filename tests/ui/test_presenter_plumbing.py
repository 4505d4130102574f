"""The UI plumbing of issue 13: named tasks that replace each other, dialogs awaited without a nested
event loop, one error dialog (none with --no-err-windows), the sign-in address shown as text only,
and a package list that keeps paging after a failed page."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtWidgets import QDialog, QMessageBox

from hyperota_desktop.domain.errors import BackendUnavailable
from hyperota_desktop.domain.packages import PackageSummary
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.models.packages import PackageListModel
from hyperota_desktop.ui.presenters.dialogs import dialog_result
from hyperota_desktop.ui.presenters.tasks import PresenterTasks
from hyperota_desktop.ui.views.login_dialog import LoginDialog
from hyperota_desktop.ui.views.main_window import MainWindow
from hyperota_desktop.ui.views.org_dialogs import NameDialog
from tests.support.gui import until


def test_a_task_started_with_replace_cancels_the_previous_run_of_that_name(loop: Any) -> None:
    messages = MessageChannel()
    errors: list[str] = []
    messages.posted.connect(lambda level, text: errors.append(text) if level == "error" else None)
    tasks = PresenterTasks(messages)
    landed: list[str] = []

    async def load(what: str, delay: float) -> None:
        await asyncio.sleep(delay)
        landed.append(what)

    async def scenario() -> None:
        first = tasks.start("members-load", load("first", 0.3), replace=True)
        await asyncio.sleep(0.05)
        tasks.start("members-load", load("second", 0.01), replace=True)
        await tasks.wait_idle()
        assert first is not None and first.cancelled()
        assert landed == ["second"]  # the stale run can no longer land its result
        tasks.start("other", load("a", 0.01))
        tasks.start("other", load("b", 0.01))  # without replace both run
        await tasks.wait_idle()
        assert sorted(landed[1:]) == ["a", "b"]

        async def fail() -> None:
            raise BackendUnavailable("Keycloak could not be reached.")

        tasks.start("broken", fail())
        await tasks.wait_idle()
        assert errors == ["Keycloak could not be reached."]
        tasks.start("long", asyncio.sleep(60))
        await tasks.stop()  # cancels and awaits everything (profile switch, quit)
        assert len(tasks) == 0

    loop.run_until_complete(scenario())


def test_a_dialog_is_awaited_without_a_nested_event_loop(qtbot: Any, loop: Any) -> None:
    window = MainWindow()  # as in the app: the dialog is window-modal over the main window
    qtbot.addWidget(window)
    window.show()
    dialog = NameDialog("New organisation", "Organisation name", lambda _n: None, window)
    ticks: list[int] = []

    async def ticker() -> None:
        while True:
            ticks.append(1)
            await asyncio.sleep(0.01)

    async def scenario() -> None:
        tick = asyncio.ensure_future(ticker())
        waiting = asyncio.ensure_future(dialog_result(dialog))
        await until(lambda: dialog.isVisible(), "the dialog")
        before = len(ticks)
        await asyncio.sleep(0.1)
        assert len(ticks) > before  # the asyncio loop kept running while the dialog was open
        dialog.edit.setText("acme")
        dialog.accept()
        assert await waiting is True and dialog.name == "acme"
        again = asyncio.ensure_future(dialog_result(dialog))
        await until(lambda: dialog.isVisible(), "the dialog again")
        again.cancel()  # the presenter's task is cancelled (profile switch, quit): the dialog closes
        await asyncio.gather(again, return_exceptions=True)
        assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected
        tick.cancel()

    loop.run_until_complete(scenario())


def test_errors_share_one_dialog_and_no_err_windows_shows_none(qtbot: Any) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.show_message("error", "first problem")
    window.show_message("error", "second problem")
    boxes = window.findChildren(QMessageBox)
    assert len(boxes) == 1 and "first problem" in boxes[0].text() and "second problem" in boxes[0].text()
    boxes[0].done(0)
    window.show_message("error", "third problem")
    assert window.findChildren(QMessageBox) == boxes and boxes[0].text() == "third problem"  # reused
    boxes[0].done(0)
    quiet = MainWindow()
    qtbot.addWidget(quiet)
    quiet.set_error_dialogs(False)  # --no-err-windows
    quiet.show_message("error", "logged, not shown")
    assert quiet.findChildren(QMessageBox) == [] and quiet.statusBar().currentMessage() == "logged, not shown"


def test_the_verification_address_is_shown_as_text_never_as_markup(qtbot: Any) -> None:
    dialog = LoginDialog("p")
    qtbot.addWidget(dialog)
    hostile = 'https://sso.example.com/device"><img src=x onerror=1><b>bold</b>'
    dialog.show_code("ABCD-EFGH", hostile, hostile + "?user_code=ABCD-EFGH", 60)
    text = dialog.url_label.text()
    assert "<b>" not in text and "<img" not in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text and 'href="https://sso.example.com/device&quot;&gt;' in text


def test_the_list_asks_again_after_a_page_failed() -> None:
    model = PackageListModel()
    row = PackageSummary(1, (), "index.android.bundle", 1, 1, "2024-01-01", "alice")
    model.reset([row], 120)
    asked: list[int] = []
    model.moreRequested.connect(asked.append)
    model.fetchMore(model.index(-1, -1))
    assert asked == [1] and not model.canFetchMore(model.index(-1, -1))  # loading: not asked twice
    model.fetch_failed()  # the presenter's page read failed
    assert model.canFetchMore(model.index(-1, -1))
    model.fetchMore(model.index(-1, -1))
    assert asked == [1, 1]
