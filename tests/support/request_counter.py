"""WSGI middleware that records every request an emulator answers: sign-in tests check what the client
asks the sign-in server (discovery, keys, token refreshes) and how often."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from hyperota_desktop.sandbox.http import RunningServer, serve


class HitCounter:
    """Each request's method, path and (for a POST) form body, in arrival order."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.hits: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = b""
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)  # read here: the app reads it again
        with self._lock:
            self.hits.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], body.decode(errors="replace")))
        return self.app(environ, start_response)

    def count(self, path_end: str, body_contains: str = "") -> int:
        with self._lock:
            return sum(1 for _m, p, b in self.hits if p.endswith(path_end) and body_contains in b)

    def paths(self, since: int = 0) -> list[str]:
        """The paths asked for, from the `since`-th request on."""
        with self._lock:
            return [p for _m, p, _b in self.hits[since:]]

    @contextmanager
    def served(self, name: str) -> Iterator[RunningServer]:
        """The counted app on loopback, stopped afterwards."""
        running = serve(self, name)
        try:
            yield running
        finally:
            running.stop()
