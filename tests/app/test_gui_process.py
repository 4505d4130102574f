"""The GUI as a real process: `--sandbox` start, then SIGTERM closes it cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def test_sigterm_closes_the_sandbox_gui_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "HYPEROTA_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    output = tmp_path / "output.txt"
    with output.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hyperota_desktop", "--sandbox", "--no-err-windows"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    log_file = tmp_path / "logs" / "hyperota.log"
    deadline = time.monotonic() + 60
    while "sandbox running for this session" not in (log_file.read_text() if log_file.exists() else ""):
        assert proc.poll() is None, output.read_text()
        assert time.monotonic() < deadline, "the GUI did not start"
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, output.read_text()
    text = log_file.read_text()
    assert "received SIGTERM: quitting" in text and "sandbox stopped" in text
    # the order of a clean quit: work stopped, services closed, then the loop and the process
    assert text.index("quitting: stopping running work") < text.index("hyperota-desktop stopped")
    assert (tmp_path / "logs" / "faults.log").exists()  # faulthandler was on for native crashes
    profiles = json.loads((tmp_path / "config" / "profiles.json").read_text())["profiles"]
    assert "sandbox" not in profiles  # the temporary profile went with the sandbox
