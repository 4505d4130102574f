#!/usr/bin/env bash
# Smoke test of the frozen build: both binaries start, report their version, and the GUI opens offscreen.
set -euo pipefail
dist=${1:-dist/hyperota-desktop}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
"$dist/hyperota" --version
"$dist/hyperota-desktop" --version
HYPEROTA_HOME=$home "$dist/hyperota" profile list
HYPEROTA_HOME=$home QT_QPA_PLATFORM=offscreen timeout 10 "$dist/hyperota-desktop" --no-err-windows || [ $? = 124 ]
grep -q "starting hyperota-desktop" "$home/logs/hyperota.log"
echo "frozen build smoke test: ok"
