"""Desktop notifications when long work ends while the window is in the background: a tray message where
there is a tray, else the status bar keeps the text and the window asks for attention."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QMainWindow

from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.widgets.icons import app_icon
from hyperota_desktop.ui.widgets.notifier import Delivery, Notifier


def _window(qtbot) -> QMainWindow:
    window = QMainWindow()
    window.setWindowTitle("HyperOTA Desktop")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_without_a_tray_the_status_bar_keeps_the_news(qtbot) -> None:
    window = _window(qtbot)
    notifier = Notifier(window, app_icon(), tray_available=lambda: False)
    assert not window.isActiveWindow()  # offscreen: another application has the focus
    assert notifier.notify("Export finished", "Exported demo/shop v3.") is Delivery.STATUS_BAR
    assert window.statusBar().currentMessage() == "Export finished: Exported demo/shop v3."
    assert notifier.tray is None


def test_with_a_tray_a_message_shows_and_the_icon_leaves_when_the_window_is_back(qtbot) -> None:
    window = _window(qtbot)
    notifier = Notifier(window, app_icon(), tray_available=lambda: True)
    assert notifier.notify("Publish finished", "Published demo/shop version 4.") is Delivery.TRAY
    assert notifier.tray is not None and notifier.tray.isVisible()
    assert notifier.tray.toolTip() == "HyperOTA Desktop"
    QApplication.sendEvent(window, QEvent(QEvent.Type.WindowActivate))
    assert not notifier.tray.isVisible()


def test_nothing_pops_up_over_the_active_window(qtbot, monkeypatch) -> None:
    window = _window(qtbot)
    notifier = Notifier(window, app_icon(), tray_available=lambda: True)
    monkeypatch.setattr(window, "isActiveWindow", lambda: True)
    assert notifier.notify("Import finished", "Imported.") is Delivery.NONE
    assert notifier.tray is None


def test_finished_work_is_posted_and_announced(qtbot) -> None:
    channel = MessageChannel()
    posted: list[tuple[str, str]] = []
    channel.posted.connect(lambda level, text: posted.append((level, text)))
    with qtbot.waitSignal(channel.workFinished) as finished:
        channel.finished("Import finished", "Imported into demo/shop as version 2.")
    assert finished.args == ["Import finished", "Imported into demo/shop as version 2."]
    assert posted == [("info", "Imported into demo/shop as version 2.")]
