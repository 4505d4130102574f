"""The app's icons: Lucide SVGs (resources/icons, licence there) tinted with the palette.

Lucide draws with `stroke="currentColor"`; Qt's SVG renderer has no current colour, so each icon is
rendered with the palette's text colour put in its place: dark strokes on a light theme, light strokes
on a dark one, and the disabled colour for disabled actions. Pixmaps are made at 1x and 2x so high-DPI
screens get sharp icons. Icons are cached per (name, colours) and rebuilt after a palette change
(`clear_cache`; the main window does it on `PaletteChange`).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

# What each thing in the app looks like: one place, so the same thing has the same icon everywhere.
ICONS: dict[str, str] = {
    # navigation tree
    "organisation": "building-2",
    "application": "smartphone",
    "package": "package",
    # pages (tabs)
    "page.packages": "package",
    "page.releases": "rocket",
    "page.dimensions": "sliders-horizontal",
    "page.members": "users",
    "page.archives": "archive",
    "page.activity": "activity",
    # toolbar actions
    "profile.new": "user-plus",
    "profile.edit": "user-pen",
    "sign-in": "log-in",
    "sign-out": "log-out",
    "refresh": "refresh-cw",
    "org.new": "folder-plus",
    "app.new": "square-plus",
    "delete": "trash-2",
    "migrate": "arrow-right-left",
    "upload": "upload",
    "download": "download",
    "secret": "key-round",
    "shortcuts": "keyboard",
    "sandbox": "flask-conical",
    "warning": "circle-alert",
    # release states (Superposition experiment statuses) and traffic
    "release.CREATED": "circle-dashed",
    "release.INPROGRESS": "circle-play",
    "release.PAUSED": "circle-pause",
    "release.CONCLUDED": "circle-check",
    "release.DISCARDED": "circle-x",
}
SIZES = (16, 20, 24, 32, 48)
SCALES = (1.0, 2.0)


def icon_names() -> set[str]:
    """The SVG files the app uses (a test checks each is shipped, and nothing else is)."""
    return set(ICONS.values())


def svg_text(file_stem: str) -> str:
    return (resources.files("hyperota_desktop") / "resources" / "icons" / f"{file_stem}.svg").read_text(
        encoding="utf-8"
    )


def app_icon() -> QIcon:
    """The application icon (window, task bar; the same SVG the .desktop entry installs)."""
    data = (resources.files("hyperota_desktop") / "resources" / "io.hyperota.Desktop.svg").read_bytes()
    return _icon_from_svg(data)


def icon(key: str, palette: QPalette | None = None) -> QIcon:
    """The icon for `key` (see ICONS), tinted for `palette` (the application's when not given)."""
    palette = palette or QGuiApplication.palette()
    normal = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText).name()
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText).name()
    return _tinted(ICONS[key], normal, disabled)


def tinted_icon(key: str, colour: QColor) -> QIcon:
    """The icon for `key` in one colour (status badges draw theirs in the badge's colour)."""
    return _tinted(ICONS[key], colour.name(), colour.name())


def clear_cache() -> None:
    _tinted.cache_clear()


@cache
def _tinted(file_stem: str, normal: str, disabled: str) -> QIcon:
    text = svg_text(file_stem)
    result = QIcon()
    for mode, colour in ((QIcon.Mode.Normal, normal), (QIcon.Mode.Disabled, disabled)):
        data = text.replace("currentColor", colour).encode()
        _add_pixmaps(result, data, mode)
    return result


def _icon_from_svg(data: bytes) -> QIcon:
    result = QIcon()
    _add_pixmaps(result, data, QIcon.Mode.Normal)
    return result


def _add_pixmaps(target: QIcon, data: bytes, mode: QIcon.Mode) -> None:
    renderer = QSvgRenderer(QByteArray(data))
    for size in SIZES:
        for scale in SCALES:
            side = round(size * scale)
            pixmap = QPixmap(QSize(side, side))
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            renderer.render(painter, QRectF(0, 0, side, side))
            painter.end()
            pixmap.setDevicePixelRatio(scale)
            target.addPixmap(pixmap, mode)
