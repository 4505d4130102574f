"""Helpers for GUI tests that drive presenters on a qasync loop (no qtbot.waitUntil inside async code)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import qasync
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from hyperota_desktop.ui.views.main_window import MainWindow

if TYPE_CHECKING:
    from hyperota_desktop.app.gui_composition import Gui


@pytest.fixture
def loop(qapp: Any) -> Iterator[qasync.QEventLoop]:
    """A fresh qasync event loop on the test's QApplication, closed afterwards."""
    event_loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    asyncio.set_event_loop(None)
    event_loop.close()


def quit_gui(loop: qasync.QEventLoop, gui: Gui) -> None:
    """Fixture teardown of a window whose work may still be in flight: stop it and close the services as
    Quit does, then close the window. Such a window is not given to `qtbot.addWidget`: pytest-qt closes
    those before fixture teardown, and work resuming then would land on deleted widgets."""
    loop.run_until_complete(gui.shutdown())
    gui.window.close()
    gui.window.deleteLater()


async def until(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    """Poll `condition` on the running loop until it holds; fail saying `what` was awaited."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def drop(page: Any, paths: list[Path]) -> None:
    """Drop files or folders on a page's drop area, as a file manager would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    page.drop_area.dropEvent(event)


def select(window: MainWindow, org: str, app: str = "") -> None:
    """Pick the organisation (or its application) in the navigation tree, narrowed by the search box
    to the one unique name (other tests share the sandbox and its organisations)."""
    window.nav_search.setText(app or org)
    proxy = window.nav_filter
    assert proxy.rowCount() == 1, [proxy.index(i, 0).data() for i in range(proxy.rowCount())]
    index = proxy.index(0, 0)
    assert index.data() == org
    if app:
        assert proxy.rowCount(index) == 1 and proxy.index(0, 0, index).data() == app
        index = proxy.index(0, 0, index)
    window.nav_tree.setCurrentIndex(index)


def answer(value: Any) -> Any:
    """An awaited dialog the test does not open: it answers `value`; a name dialog that creates on
    Create runs its `attempt` with the name, as the real one does."""

    async def ask(*_args: Any, attempt: Any = None, **_kwargs: Any) -> Any:
        if attempt is not None and value:
            await attempt(value)
        return value

    return ask
