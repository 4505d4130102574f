"""The GUI process hands the GIL to its UI thread sooner than Python's default 5 ms (benchmark P3)."""

from __future__ import annotations

import sys

from hyperota_desktop.app import gui_entry


def test_the_gui_hands_the_gil_over_within_a_millisecond() -> None:
    before = sys.getswitchinterval()
    try:
        gui_entry.favour_ui_thread()
        assert sys.getswitchinterval() == gui_entry.GIL_SWITCH_S <= 0.001 < before
    finally:
        sys.setswitchinterval(before)
