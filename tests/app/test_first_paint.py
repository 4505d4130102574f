"""The GUI as a real process paints its window before it loads the backends or starts the sandbox:
at the first paint no boto3, httpx, keyring, moto, ... is imported and the status bar says the sandbox
is starting; the app then starts it behind the window and quits cleanly.

What the first paint waits for is only what that window needs (P5 of issue 11): not asyncio/qasync,
the log file's handlers and redaction, nor the SVG icons, nor PySide6's `Qt` namespace (PySide
creates its Python enums on first use: ~16 ms); of the pages' empty states only the one shown is
built."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DEFERRED = ("boto3", "botocore", "httpx", "authlib", "joserfc", "jsonschema", "keyring", "moto",
            "superposition_bindings", "hyperota_desktop.sandbox",
            "hyperota_desktop.services.context",
            # light ones, but each costs milliseconds the first paint need not wait for
            "asyncio", "qasync", "logging.handlers", "hyperota_desktop.domain.redaction",
            "hyperota_desktop.ui.widgets.icons", "PySide6.QtSvg",
            "hyperota_desktop.app.gui_composition", "hyperota_desktop.ui.presenters")  # fmt: skip

# `hyperota-desktop --sandbox` exactly as its entry point runs it, with a probe that notes, at the end
# of the first paint of any widget, the modules loaded and the status bar's text.
LAUNCHER = """
import json, sys
import PySide6.QtCore
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

REPORT = sys.argv.pop(1)

class Probe(QObject):
    seen = False
    def eventFilter(self, watched, event):
        if not self.seen and event.type() == QEvent.Type.Paint:
            self.seen = True
            QTimer.singleShot(0, self.painted)
        return False
    def painted(self):
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow))
        with open(REPORT, "w") as fh:
            json.dump({"modules": sorted(sys.modules), "status": window.statusBar().currentMessage(),
                       "visible": window.isVisible(), "current_tab": window.pages.currentIndex(),
                       "empty_states": sorted(window.page_empty_states),
                       "qt_namespace": PySide6.QtCore.__dict__.get("Qt") is not None}, fh)

probe = Probe()
show = QWidget.show
def show_and_watch(self):
    QApplication.instance().installEventFilter(probe)
    show(self)
QWidget.show = show_and_watch

from hyperota_desktop.app.gui_entry import main
sys.exit(main(sys.argv[1:]))
"""


def test_the_window_is_painted_before_the_backends_load_and_the_sandbox_starts(tmp_path: Path) -> None:
    env = {**os.environ, "HYPEROTA_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen"}
    report, output = tmp_path / "first-paint.json", tmp_path / "output.txt"
    with output.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(report), "--sandbox", "--no-err-windows"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        log_file = tmp_path / "home" / "logs" / "hyperota.log"
        deadline = time.monotonic() + 90
        while "sandbox running for this session" not in (log_file.read_text() if log_file.exists() else ""):
            assert proc.poll() is None, output.read_text()
            assert time.monotonic() < deadline, "the GUI did not start the sandbox"
            time.sleep(0.1)
        painted = json.loads(report.read_text())
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    assert code == 0, output.read_text()
    assert painted["visible"] and painted["status"] == "Starting the sandbox…"
    loaded = [m for m in DEFERRED if m in painted["modules"]]
    assert not loaded, f"imported before the first paint: {loaded}"
    assert "PySide6.QtWidgets" in painted["modules"]  # the probe saw the real window, not nothing
    assert painted["current_tab"] == 0 and painted["empty_states"] == ["packages"]
    assert not painted["qt_namespace"], "PySide6.QtCore.Qt was used before the first paint"
