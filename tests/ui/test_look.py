"""The app's look: tinted icons on actions, tabs and the navigation tree; status badges; high DPI."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem, QTableView

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import build_gui
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.ui.models.navigation import NavEntry
from hyperota_desktop.ui.views.decoration import ACTION_ICONS
from hyperota_desktop.ui.widgets import icons
from hyperota_desktop.ui.widgets.badge import (
    BADGE_TONE_ROLE,
    RELEASE_TONES,
    TONES,
    BadgeDelegate,
    StatusBadge,
    badge_colours,
)

ICON_DIR = resources.files("hyperota_desktop") / "resources" / "icons"


def _palette(window: str, text: str, base: str) -> QPalette:
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor(window))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(text))
    palette.setColor(QPalette.ColorRole.Text, QColor(text))
    palette.setColor(QPalette.ColorRole.Base, QColor(base))
    return palette


LIGHT = _palette("#efefef", "#101010", "#ffffff")
DARK = _palette("#2b2b2b", "#e6e6e6", "#1f1f1f")


def _ink(image: QImage) -> QColor:
    """The colour of the most opaque pixel (an icon's stroke)."""
    best = QColor(0, 0, 0, 0)
    for y in range(image.height()):
        for x in range(image.width()):
            colour = image.pixelColor(x, y)
            if colour.alpha() > best.alpha():
                best = colour
    return best


def _close(a: QColor, b: QColor) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) <= 3


def test_only_the_icons_used_are_shipped_with_their_licence() -> None:
    shipped = {p.name.removesuffix(".svg") for p in ICON_DIR.iterdir() if p.name.endswith(".svg")}
    assert shipped == icons.icon_names()
    licence = (ICON_DIR / "LICENSE").read_text(encoding="utf-8")
    assert "Lucide" in licence and "ISC License" in licence


def test_icons_are_tinted_with_the_palette_and_sharp_at_twice_the_pixels(qapp: QApplication) -> None:
    on_light = icons.icon("package", LIGHT).pixmap(24, 24).toImage()
    on_dark = icons.icon("package", DARK).pixmap(24, 24).toImage()
    assert _ink(on_light).lightness() < 60  # dark strokes on a light theme
    assert _ink(on_dark).lightness() > 200  # light strokes on a dark one
    # At device pixel ratio 2 the pixmap is drawn from the SVG at 48 pixels, not a 24-pixel one scaled up.
    hi_dpi = icons.icon("package", LIGHT).pixmap(QSize(24, 24), 2.0)
    assert (hi_dpi.width(), hi_dpi.devicePixelRatio()) == (48, 2.0)
    strokes = hi_dpi.toImage()
    half_covered = sum(1 for y in range(48) for x in range(48) if 0 < strokes.pixelColor(x, y).alpha() < 255)
    opaque = sum(1 for y in range(48) for x in range(48) if strokes.pixelColor(x, y).alpha() == 255)
    assert opaque > half_covered  # crisp strokes, not the blur of an upscaled 24-pixel image


def test_every_icon_key_resolves(qapp: QApplication) -> None:
    for key in icons.ICONS:
        assert not icons.icon(key, LIGHT).isNull(), key
    assert not icons.app_icon().isNull()
    assert set(ACTION_ICONS.values()) <= set(icons.ICONS)
    assert {f"release.{status}" for status in RELEASE_TONES} <= set(icons.ICONS)


def test_window_actions_tabs_and_tree_have_icons_that_follow_the_theme(qtbot, tmp_path: Path) -> None:
    gui = build_gui(build_services(AppDirs.under(tmp_path)))
    window = gui.window
    qtbot.addWidget(window)
    assert not window.windowIcon().isNull()
    for action in (window.new_profile_action, window.sign_in_action, window.refresh_action):
        assert not action.icon().isNull(), action.objectName()
    for index in range(window.pages.count()):
        assert not window.pages.tabIcon(index).isNull(), window.pages.tabText(index)
    window.nav_model.set_entries([NavEntry("demo", ("shop",))])
    org = window.nav_model.index(0, 0)
    app = window.nav_model.index(0, 0, org)
    assert (
        org.data(Qt.ItemDataRole.DecorationRole).cacheKey()
        != app.data(Qt.ItemDataRole.DecorationRole).cacheKey()
    )
    before = _ink(window.refresh_action.icon().pixmap(24, 24).toImage())
    window.setPalette(DARK if before.lightness() < 128 else LIGHT)  # the other theme
    after = _ink(window.refresh_action.icon().pixmap(24, 24).toImage())
    assert abs(after.lightness() - before.lightness()) > 120


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_badge_text_contrasts_with_its_fill_in_both_themes(palette: QPalette) -> None:
    for tone in TONES:
        fill, border, ink = badge_colours(tone, palette)
        assert abs(ink.lightnessF() - fill.lightnessF()) > 0.45, tone
        assert fill != border


def test_badge_widget_says_its_status_and_refuses_unknown_tones(qtbot) -> None:
    badge = StatusBadge("In progress", "info")
    qtbot.addWidget(badge)
    assert badge.accessibleName() == "Status: In progress"
    assert badge.sizeHint().width() > badge.fontMetrics().horizontalAdvance("In progress")
    with pytest.raises(ValueError, match="unknown badge tone"):
        badge.set_status("Odd", "purple")
    assert badge.tone == "info"


def test_badge_delegate_paints_the_tone_in_a_table_cell(qtbot) -> None:
    model = QStandardItemModel(1, 1)
    item = QStandardItem("Concluded")
    item.setData("success", BADGE_TONE_ROLE)
    model.setItem(0, 0, item)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setPalette(LIGHT)
    delegate = BadgeDelegate(view)
    option = QStyleOptionViewItem()
    option.rect = view.visualRect(model.index(0, 0)).adjusted(0, 0, 60, 10)  # type: ignore[attr-defined]
    option.rect.moveTo(0, 0)  # type: ignore[attr-defined]
    option.palette = LIGHT  # type: ignore[attr-defined]
    image = QImage(option.rect.size(), QImage.Format.Format_ARGB32)  # type: ignore[attr-defined]
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    delegate.paint(painter, option, model.index(0, 0))
    painter.end()
    fill = badge_colours("success", LIGHT)[0]
    greenish = [
        (x, y)
        for y in range(image.height())
        for x in range(image.width())
        if _close(image.pixelColor(x, y), fill)
    ]
    assert greenish, "the badge's fill is painted"


def test_activity_statuses_are_badges_with_a_tone_by_meaning(qtbot) -> None:
    from hyperota_desktop.ui.models.activity import STATUS_COLUMN, ActivityRow, StepRow
    from hyperota_desktop.ui.views.org_pages import ActivityPage

    page = ActivityPage()
    qtbot.addWidget(page)
    assert isinstance(page.tree.itemDelegateForColumn(STATUS_COLUMN), BadgeDelegate)
    rows = [
        ActivityRow("1", 0.0, "Create app shop", "alice", "done", ""),
        ActivityRow(
            "2",
            0.0,
            "Publish",
            "dave",
            "rolled_back",
            "S3 refused",
            (StepRow("upload", "compensated"), StepRow("manifest", "failed", "refused")),
        ),
        ActivityRow("3", 0.0, "Delete org", "alice", "stuck", "KMS down"),
    ]
    page.model.set_rows(rows)
    tones = [page.model.index(r, STATUS_COLUMN).data(BADGE_TONE_ROLE) for r in range(3)]
    assert tones == ["success", "warning", "danger"]
    publish = page.model.index(1, 0)
    steps = [page.model.index(r, STATUS_COLUMN, publish).data(BADGE_TONE_ROLE) for r in range(2)]
    assert steps == ["warning", "danger"]
    assert page.model.index(1, STATUS_COLUMN).data() == "rolled back"  # the words, not only a colour


def test_releases_use_the_one_badge_with_a_tone_by_status(qtbot) -> None:
    from hyperota_desktop.domain.releases import ReleaseStatus, release_from_experiment
    from hyperota_desktop.ui.models.releases import ReleaseTableModel, tone_of
    from hyperota_desktop.ui.views.releases_page import ReleasesPage
    from tests.ui.test_keyboard_and_names import RUNNING

    page = ReleasesPage()
    qtbot.addWidget(page)
    column = ReleaseTableModel.STATUS_COLUMN
    assert isinstance(page.table.itemDelegateForColumn(column), BadgeDelegate)
    assert [tone_of(s) for s in ReleaseStatus] == ["draft", "info", "warning", "success", "neutral"]
    assert tone_of(ReleaseStatus.CONCLUDED, reverted=True) == "danger"  # reverted: not a success
    assert set(RELEASE_TONES.values()) <= set(TONES)
    release = release_from_experiment(RUNNING)
    page.detail.show_release(release)
    badge = page.detail.badge
    assert isinstance(badge, StatusBadge) and badge.tone == "info"
    assert badge.accessibleName() == f"Status: {release.status_text}"
    page.detail.show_release(None)
    assert badge.text == ""  # nothing selected: no badge
