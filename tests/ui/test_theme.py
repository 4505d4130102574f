"""Both themes' line edits have a visible edge: WCAG 2.1 success criterion 1.4.11 (non-text contrast)
asks 3:1 between a control's boundary and what is next to it, computed from relative luminance."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QLineEdit, QStyle, QStyleFactory, QStyleOptionFrame

from hyperota_desktop.app.theme import (
    DARK_FOCUS_FRAME,
    DARK_FRAME,
    LIGHT_FOCUS_FRAME,
    LIGHT_FRAME,
    _dark,
    apply_theme,
)

NON_TEXT_CONTRAST = 3.0  # WCAG 2.1, 1.4.11
Role = QPalette.ColorRole
FRAMES = {"dark": (DARK_FRAME, DARK_FOCUS_FRAME), "light": (LIGHT_FRAME, LIGHT_FOCUS_FRAME)}


def luminance(colour: QColor) -> float:
    """Relative luminance (WCAG 2.1 definition, sRGB)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(colour.red()) + 0.7152 * linear(colour.green()) + 0.0722 * linear(colour.blue())


def contrast(a: QColor, b: QColor) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.fixture(params=["light", "dark"])
def theme(qapp: QApplication, request: pytest.FixtureRequest) -> Iterator[str]:
    """Each theme as the app sets it where the platform cannot (offscreen); put back afterwards."""
    style, palette = qapp.style().name(), QPalette(qapp.palette())
    assert apply_theme(qapp, request.param) == request.param
    yield str(request.param)
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.styleHints().unsetColorScheme()


def test_the_formula_matches_wcag_reference_values() -> None:
    assert contrast(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21.0)
    assert contrast(QColor("#767676"), QColor("#ffffff")) == pytest.approx(4.54, abs=0.01)


def test_dark_palette_frame_colours_contrast_with_the_window_and_the_field() -> None:
    window, field = QColor(_dark()[Role.Window]), QColor(_dark()[Role.Base])
    for edge in (DARK_FRAME, DARK_FOCUS_FRAME):
        assert contrast(QColor(edge), window) >= NON_TEXT_CONTRAST, edge
        assert contrast(QColor(edge), field) >= NON_TEXT_CONTRAST, edge
    # What Fusion draws by itself (the window darkened 140%) is what the search fields had: no edge.
    assert contrast(window.darker(140), window) < 1.5


def _frame_pixel(edit: QLineEdit, focused: bool) -> QColor:
    """Paint the line edit's frame as the app's style does and read the middle of its left edge."""
    option = QStyleOptionFrame()
    edit.initStyleOption(option)
    option.rect = edit.rect()  # type: ignore[attr-defined]
    if focused:
        option.state |= QStyle.StateFlag.State_HasFocus  # type: ignore[attr-defined]
    image = QImage(edit.size(), QImage.Format.Format_ARGB32)
    image.fill(edit.palette().color(Role.Window))
    painter = QPainter(image)
    edit.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelLineEdit, option, painter, edit)
    painter.end()
    return image.pixelColor(QPoint(0, edit.height() // 2))


@pytest.mark.parametrize("focused", [False, True], ids=["idle", "focused"])
def test_line_edits_draw_an_edge_that_meets_non_text_contrast(
    qtbot, qapp: QApplication, theme: str, focused: bool
) -> None:
    edit = QLineEdit(placeholderText="Search organisations and apps")
    qtbot.addWidget(edit)
    edit.resize(240, 30)
    edge = _frame_pixel(edit, focused)
    assert edge.name() == FRAMES[theme][1 if focused else 0]
    assert contrast(edge, qapp.palette().color(Role.Window)) >= NON_TEXT_CONTRAST
    assert contrast(edge, qapp.palette().color(Role.Base)) >= NON_TEXT_CONTRAST


def test_fusions_own_frame_falls_short_on_the_light_window_too(qapp: QApplication) -> None:
    """Why the light theme draws its frame too: Fusion's (the window darkened 140%) is 2.0:1 there."""
    window = QStyleFactory.create("Fusion").standardPalette().color(Role.Window)
    assert contrast(window.darker(140), window) == pytest.approx(2.0, abs=0.05)
    for edge in (LIGHT_FRAME, LIGHT_FOCUS_FRAME):
        assert contrast(QColor(edge), window) >= NON_TEXT_CONTRAST, edge


def test_a_disabled_line_edit_keeps_fusions_quiet_edge(qtbot, theme: str) -> None:
    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.resize(240, 30)
    edit.setEnabled(False)
    assert _frame_pixel(edit, False).name() != FRAMES[theme][0]
