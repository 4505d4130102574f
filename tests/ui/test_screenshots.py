"""Pictures of every page, light and dark, on the sandbox's demo content (demo/shop), signed in as alice
through the sign-in dialog's one-click approval; also the welcome page and that dialog.

Always run (every page renders in both themes, none blank); written to artifacts/screenshots/, or to
$HYPEROTA_SCREENSHOTS: `make screenshots` points it at docs/screenshots/ (what the README shows).
A new page is one more entry in main_window.PAGES: it is pictured without a change here.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import Gui, build_gui
from hyperota_desktop.app.sandbox_session import SandboxSession
from hyperota_desktop.app.theme import apply_theme
from hyperota_desktop.domain.releases import ReleaseStatus
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.ui.views.main_window import PAGES
from hyperota_desktop.ui.views.org_pages import ActivityPage
from tests.support.gui import select, until

SIZE = (1200, 760)
THEMES = ("light", "dark")


def screenshots_dir(artifacts_dir: Path) -> Path:
    """Where the screenshots go: `$HYPEROTA_SCREENSHOTS` (the docs' ones) or the test artifacts."""
    target = Path(os.environ.get("HYPEROTA_SCREENSHOTS") or artifacts_dir / "screenshots")
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def out_dir(artifacts_dir: Path) -> Path:
    return screenshots_dir(artifacts_dir)


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[None]:
    """Themes change the whole application: put its style and palette back afterwards."""
    style, palette = qapp.style().name(), QPalette(qapp.palette())
    yield
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.styleHints().unsetColorScheme()


def save(widget: QWidget, path: Path) -> None:
    """A small PNG (256 colours is plenty for a UI) that is not blank."""
    image = (
        widget.grab()
        .toImage()
        .convertToFormat(QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither)
    )
    lightness = [
        image.pixelColor(x, y).lightness()
        for y in range(0, image.height(), 6)
        for x in range(0, image.width(), 6)
    ]
    assert statistics.pstdev(lightness) > 8, f"{path.name} looks blank"
    assert image.save(str(path), "PNG", 0), path


def test_welcome_page_in_both_themes(qtbot, tmp_path: Path, out_dir: Path, themed: None) -> None:
    services = build_services(AppDirs.under(tmp_path))
    gui = build_gui(services, sandbox=SandboxSession(services))  # offered, not started
    qtbot.addWidget(gui.window)
    gui.window.resize(*SIZE)
    gui.window.show()
    qtbot.waitExposed(gui.window)
    for theme in THEMES:
        apply_theme(QApplication.instance(), theme)  # type: ignore[arg-type]
        QApplication.processEvents()
        save(gui.window, out_dir / f"welcome-{theme}.png")


def _has_app(gui: Gui, org: str, app: str) -> bool:
    model = gui.window.nav_model
    for item in model.findItems(org):
        if any(item.child(row).text() == app for row in range(item.rowCount())):
            return True
    return False


@pytest.mark.slow
def test_every_page_on_the_demo_in_both_themes(
    qtbot, tmp_path: Path, loop, out_dir: Path, themed: None
) -> None:
    services = build_services(AppDirs.under(tmp_path))
    session = SandboxSession.start_now(services)
    gui: Gui = build_gui(services, sandbox=session)
    window = gui.window
    qtbot.addWidget(window)
    window.resize(*SIZE)
    window.show()
    qtbot.waitExposed(window)
    assert session.boot is not None

    async def scenario() -> None:
        demo = session.boot.start_demo() if session.boot else None
        gui.auth.sign_in()
        dialog = gui.auth.dialog
        assert dialog is not None
        await until(lambda: dialog.state == "waiting", "the sign-in code")
        save(dialog, out_dir / "sign-in-sandbox.png")
        dialog.demo_approve.click()  # alice, the first of the demo people
        await until(lambda: gui.auth.identity is not None, "the one-click sign-in")
        assert demo is not None
        await demo
        window.refreshRequested.emit()
        await until(lambda: _has_app(gui, "demo", "shop"), "the demo application in the tree")
        window.nav_tree.expandAll()
        select(window, "demo", "shop")
        window.nav_search.clear()
        window.nav_tree.expandAll()
        await until(lambda: gui.packages._page.list_model.rowCount() > 0, "the demo's packages")
        await gui.wait_idle()
        activity = window.findChild(ActivityPage, "activityPage")
        assert activity is not None
        activity.refresh_button.click()  # the demo's operations, now finished
        await gui.wait_idle()
        # Releases: the demo's two, the ramping one selected so its detail (badge, history) shows.
        releases, dimensions = gui.release_gui.releases_page, gui.release_gui.dimensions_page
        window.show_page("releases")
        await until(lambda: releases.model.rowCount() >= 2, "the demo's releases")
        ramping = [r for r in releases.model.rows if r.status is ReleaseStatus.INPROGRESS]
        assert ramping, [r.status for r in releases.model.rows]
        releases.select_release(ramping[0].id)
        await until(lambda: releases.detail.badge.text != "", "the release's detail")
        window.show_page("dimensions")
        await until(lambda: dimensions.model.rowCount() >= 2, "the demo's dimensions")
        await gui.wait_idle()
        for theme in THEMES:
            apply_theme(QApplication.instance(), theme)  # type: ignore[arg-type]
            for index, (key, _title, _text) in enumerate(PAGES):
                window.pages.setCurrentIndex(index)
                await gui.wait_idle()  # what the page loads for demo/shop
                QApplication.processEvents()
                save(window, out_dir / f"{key}-{theme}.png")
        await session.cancel_demo()
        await gui.shutdown()

    try:
        loop.run_until_complete(scenario())
    finally:
        session.stop()
    pictured = {p.name for p in out_dir.glob("*.png")}
    assert {f"{key}-{theme}.png" for key, _t, _x in PAGES for theme in THEMES} <= pictured
