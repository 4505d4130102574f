"""The `hyperota` command, killed with SIGKILL at a named point: `python -m tests.support.crash_cli ARGS`.

`HYPEROTA_CRASH_AT` names the point (see `hyperota_desktop/services/probes.py`):

  step-start:KIND/STEP   a saga step of KIND named STEP starts (the journal says running)
  step-end:KIND/STEP     it has done its work, before the journal records it
  undo-start:KIND/STEP   its compensation starts (undo-end: it has ended)
  parts:N                N multipart parts are stored and checkpointed

A `#N` suffix kills at the N-th time the point is reached (default the first). Just before the kill
the process prints `CRASH <point>` to stderr. Without the variable this is exactly `hyperota`.
This module is the only place that registers a probe listener; the application never does.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from hyperota_desktop.app.cli_entry import main
from hyperota_desktop.services import probes

ENV = "HYPEROTA_CRASH_AT"
_POINTS = {
    "step-start": "saga.step.start",
    "step-end": "saga.step.end",
    "undo-start": "saga.undo.start",
    "undo-end": "saga.undo.end",
}


def arm(spec: str) -> None:
    """Register the listener that kills this process at `spec`."""
    spec, _, nth = spec.partition("#")
    wanted = int(nth or 1)
    where, _, what = spec.partition(":")
    seen = {"count": 0}

    def hit(at: int) -> None:
        seen["count"] += 1
        if seen["count"] == at:
            print(f"CRASH {spec}", file=sys.stderr, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    def listener(point: str, facts: dict[str, Any]) -> None:
        if where == "parts":
            if point == "upload.part":
                hit(int(what))
        elif point == _POINTS[where] and f"{facts['kind']}/{facts['step']}" == what:
            hit(wanted)

    if where != "parts" and where not in _POINTS:
        raise SystemExit(f"unknown crash point {spec!r}")
    probes.listen(listener)


if __name__ == "__main__":
    if os.environ.get(ENV):
        arm(os.environ[ENV])
    raise SystemExit(main(sys.argv[1:]))
