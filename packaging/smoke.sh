#!/usr/bin/env bash
# Smoke test of the frozen build: both binaries start and report their version, the CLI runs a command,
# and the GUI opens its main window offscreen, saves a screenshot that is not blank, and exits 0.
# Usage: packaging/smoke.sh [DIST] [PYTHON]  (PYTHON, with PySide6, only measures the screenshot)
set -euo pipefail
dist=${1:-dist/hyperota-desktop}
python=${2:-.venv/bin/python}
shot=${SMOKE_SCREENSHOT:-artifacts/frozen-main-window.png}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
mkdir -p "$(dirname "$shot")"
rm -f "$shot"
"$dist/hyperota" --version
"$dist/hyperota-desktop" --version
HYPEROTA_HOME=$home "$dist/hyperota" profile list
# A profile, so the window opens on its workspace (every page built), not on the welcome page.
HYPEROTA_HOME=$home "$dist/hyperota" profile add smoke --issuer https://sso.example.com/realms/smoke
HYPEROTA_HOME=$home QT_QPA_PLATFORM=offscreen timeout 60 "$dist/hyperota-desktop" --no-err-windows \
	--screenshot "$shot"
grep -q "starting hyperota-desktop" "$home/logs/hyperota.log"
grep -q "screenshot saved" "$home/logs/hyperota.log"
# Not blank: a window that drew nothing (or only its background) has next to no variance in lightness.
QT_QPA_PLATFORM=offscreen "$python" - "$shot" <<'PY'
import statistics
import sys

from PySide6.QtGui import QImage

image = QImage(sys.argv[1])
assert not image.isNull() and image.width() >= 800 and image.height() >= 500, image.size()
step = 4
values = [
    image.pixelColor(x, y).lightness()
    for y in range(0, image.height(), step)
    for x in range(0, image.width(), step)
]
spread = statistics.pstdev(values)
distinct = len(set(values))
print(f"screenshot {sys.argv[1]}: {image.width()}x{image.height()}, lightness stdev {spread:.1f}, {distinct} levels")
assert spread > 10 and distinct > 20, "the frozen app's window looks blank"
PY
echo "frozen build smoke test: ok"
