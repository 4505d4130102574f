"""GUI journey: a simulated drop → pre-flight → publish with progress → the list shows the new version.

Runs on a qasync loop and polls with asyncio.sleep (never qtbot.waitUntil inside the loop).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QSpinBox, QTabBar, QTableView, QWidget

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import build_gui
from hyperota_desktop.domain.access import Identity, memberships_from_paths
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.stores.dirs import AppDirs
from tests.support import bundles


@pytest.fixture(scope="module")
def aws() -> Iterator[AwsSandbox]:
    sandbox = AwsSandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def loop(qapp) -> Iterator[qasync.QEventLoop]:
    event_loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    asyncio.set_event_loop(None)
    event_loop.close()


async def until(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def test_drop_preflight_publish_and_list(
    qtbot, tmp_path: Path, aws: AwsSandbox, loop, artifacts_dir: Path
) -> None:
    services = build_services(AppDirs.under(tmp_path / "home"))
    endpoints = {
        "issuer": "http://127.0.0.1:9/realms/hyperota", "client_id": "hyperota-desktop",
        "superposition_url": "http://127.0.0.1:9", "s3_endpoint": aws.endpoint, "region": aws.region,
        "bucket": aws.bucket, "public_base_url": aws.public_base_url, "kms_signing_key": "",
        "kms_data_key": "", "aws_access_key_id": aws.access_key_id,
        "aws_secret_access_key": aws.secret_access_key,
    }  # fmt: skip
    (tmp_path / "e.json").write_text(json.dumps(endpoints))
    services.profiles.import_file(tmp_path / "e.json", name="sb")
    services.profiles.use("sb")
    gui = build_gui(services)
    qtbot.addWidget(gui.window)
    gui.window.show()
    presenter = gui.packages
    assert presenter is not None
    page = presenter._page
    root = bundles.react_native(tmp_path / "rn")
    progress: list[int] = []
    page.progress.valueChanged.connect(progress.append)

    async def scenario() -> None:
        presenter.select("guiorg", "guiapp")
        assert not page.drop_area.isEnabled()  # signed out: publishing is gated, and says why
        assert page.drop_area.toolTip() == "Sign in to publish packages."
        reader = Identity("u1", "bob", "bob@example.com", memberships_from_paths(["/guiorg/guiapp/read"]))
        gui.auth._set_identity(reader)
        assert not page.drop_area.isEnabled() and "need write access" in page.drop_area.toolTip()
        writer = Identity("u2", "dave", "dave@example.com", memberships_from_paths(["/guiorg/guiapp/write"]))
        gui.auth._set_identity(writer)
        assert page.drop_area.isEnabled() and page.drop_area.toolTip() == ""
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(root))])
        event = QDropEvent(
            QPointF(5, 5),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        page.drop_area.dropEvent(event)
        await until(lambda: page.preflight_model.rowCount() == 4, "the pre-flight table")
        assert "4 new" in page.preflight_summary.text() and "will be sent" in page.preflight_summary.text()
        assert page.index_edit.text() == "index.android.bundle"
        assert page.publish_button.isEnabled()
        gui.window.grab().save(str(artifacts_dir / "packages-preflight.png"))
        page.tag_edit.setText("beta")
        page.publish_button.click()
        await until(lambda: page.list_model.rowCount() == 1, "the new version in the list")
        row = page.list_model.rows[0]
        assert (row.version, row.tags, row.file_count) == (1, ("beta",), 4)
        assert progress and progress[-1] == 1000
        page.list_table.selectRow(0)
        await until(lambda: page.files_model.rowCount() == 4, "the package detail")
        assert page.files_model.rows[0].url.startswith(aws.public_base_url)
        page.search.setText("nomatch")
        assert page.list_filter.rowCount() == 0
        page.search.setText("beta")
        assert page.list_filter.rowCount() == 1
        gui.window.grab().save(str(artifacts_dir / "packages-published.png"))
        await presenter.wait_idle()
        await services.sessions.aclose()

    run: Callable[[], Awaitable[None]] = scenario
    loop.run_until_complete(run())


def test_every_interactive_widget_on_the_page_is_named(qtbot) -> None:
    from hyperota_desktop.ui.views.packages_page import PackagesPage

    page = PackagesPage()
    qtbot.addWidget(page)
    for widget in page.findChildren(QWidget):
        qt_part = isinstance(widget.parent(), QTabBar | QLineEdit | QTableView)
        if widget.objectName().startswith("qt_") or qt_part:
            continue  # Qt parts: spin box edit, tab arrows, clear and corner buttons
        if isinstance(widget, QAbstractButton | QLineEdit | QTableView | QSpinBox):
            assert widget.objectName(), widget
            assert widget.accessibleName(), widget.objectName()
