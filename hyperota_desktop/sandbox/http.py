"""Loopback HTTP plumbing shared by the emulators: threaded WSGI servers and fault injection.

Every emulator is a plain WSGI app. `serve()` runs it on a free 127.0.0.1 port in a daemon thread,
wrapped in a `FaultInjector`, so tests can make chosen routes fail N times (status + body + headers,
delay, dropped connection), before the emulator sees the request or after it has done it (`apply`: the
answer is late, lost or replaced, as when a server did the work and the network lost the answer),
either in-process (`server.faults.add(...)`) or over HTTP through the control route
`/__sandbox__/faults` (for a sandbox running in another process).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

CONTROL_PATH = "/__sandbox__/faults"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers, mimetype="application/json")


@dataclass
class Fault:
    """Make requests matching `method` + `path` (a regex searched in the path) fail `times` times.

    Without `apply` the emulator never sees a faulted request. With `apply` it handles the request
    first (the work is done), then the fault shapes the answer: `delay` makes it late, `drop` loses it,
    a `status` other than 0 replaces it, with `body` or, if `body` is None, the emulator's own body
    (Superposition's 512: saved and answered as usual, but a webhook after it failed).
    `on_hit` (in-process only, never over HTTP) is called in the server thread when the fault is used,
    after the emulator did the work if `apply`: a test kills a client process there, mid-request.
    """

    path: str
    method: str | None = None
    times: int = 1
    status: int = 500
    body: Any = field(default_factory=lambda: {"message": "injected fault"})
    delay: float = 0.0
    drop: bool = False
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    apply: bool = False
    on_hit: Callable[[str, str], None] | None = field(default=None, compare=False)
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Refuse a fault that would break every later request (bad regex, wrong types)."""
        if not isinstance(self.path, str):
            raise ValueError("path must be a string (a regular expression)")
        try:
            self._pattern = re.compile(self.path)
        except re.error as exc:
            raise ValueError(f"path is not a regular expression: {exc}") from None
        if self.method is not None and not isinstance(self.method, str):
            raise ValueError("method must be a string")
        if not _is_int(self.times) or self.times < 0:
            raise ValueError("times must be a whole number >= 0")
        if not _is_int(self.status) or not (self.status == 0 or 100 <= self.status <= 599):
            raise ValueError("status must be 0 (pass through) or an HTTP status 100-599")
        if not (_is_int(self.delay) or isinstance(self.delay, float)) or self.delay < 0:
            raise ValueError("delay must be a number of seconds >= 0")
        if not isinstance(self.drop, bool):
            raise ValueError("drop must be true or false")
        if not isinstance(self.content_type, str):
            raise ValueError("content_type must be a string")
        if not isinstance(self.headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k.isascii() and v.isascii() and "\n" not in k + v
            for k, v in self.headers.items()
        ):
            raise ValueError("headers must be an object of ASCII strings")
        if not isinstance(self.apply, bool):
            raise ValueError("apply must be true or false")
        if self.on_hit is not None and not callable(self.on_hit):
            raise ValueError("on_hit must be callable")

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return self._pattern.search(path) is not None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class FaultInjector:
    """WSGI middleware that applies registered faults before the wrapped app sees the request."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.hits: list[tuple[str, str]] = []

    def add(self, path: str, **kwargs: Any) -> Fault:
        fault = Fault(path=path, **kwargs)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if f.times > 0]

    def _take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    self.hits.append((method, path))
                    return fault
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == CONTROL_PATH:
            return self._control(environ, start_response)
        fault = self._take(method, path)
        if fault is None:
            return self.app(environ, start_response)
        if fault.apply:
            return self._after(fault, method, path, environ, start_response)
        if fault.on_hit is not None:
            fault.on_hit(method, path)
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop:
            _drop(environ)
            return []
        if fault.status == 0:  # delay only: pass through after the delay
            return self.app(environ, start_response)
        return _answer(fault, environ, start_response)

    def _after(
        self,
        fault: Fault,
        method: str,
        path: str,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
    ) -> Iterable[bytes]:
        """The emulator does the work first; then the answer is late, lost or replaced."""
        answered: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            answered.update(status=status, headers=headers)
            return lambda _data: None

        chunks = self.app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        if fault.on_hit is not None:
            fault.on_hit(method, path)
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop:
            _drop(environ)
            return []
        if fault.status != 0 and fault.body is not None:
            return _answer(fault, environ, start_response)
        status = answered["status"]
        if fault.status != 0:  # body null: the emulator's own answer under another status (a 512)
            status = f"{fault.status} {HTTP_STATUS_CODES.get(fault.status, 'Injected')}"
        start_response(status, [*answered["headers"], *fault.headers.items()])
        return [body]

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if request.method == "DELETE":
            self.clear()
            return Response(status=204)(environ, start_response)
        if request.method == "POST":
            try:
                spec = json.loads(request.get_data(cache=True) or b"null")
                if not isinstance(spec, dict):
                    raise ValueError("the body must be a JSON object")
                if "on_hit" in spec:
                    raise ValueError("on_hit is for in-process tests only")
                fault = self.add(**spec)
            except (TypeError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
                return json_response({"message": f"bad fault: {exc}"}, 400)(environ, start_response)
            return json_response({"path": fault.path, "times": fault.times}, 201)(environ, start_response)
        if request.method in ("GET", "HEAD"):
            listed = [{"path": f.path, "method": f.method, "times": f.times} for f in self.pending()]
            return json_response(listed)(environ, start_response)
        allowed = {"Allow": "GET, HEAD, POST, DELETE"}
        return json_response({"message": "method not allowed"}, 405, allowed)(environ, start_response)


def _drop(environ: dict[str, Any]) -> None:
    """Close the connection without any answer (a network failure)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()


def _answer(fault: Fault, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = fault.body if isinstance(fault.body, str) else json.dumps(fault.body)
    response = Response(body, status=fault.status, content_type=fault.content_type)
    for name, value in fault.headers.items():
        response.headers[name] = value
    return response(environ, start_response)


class _QuietHandler(WSGIRequestHandler):
    """Request handler that logs to our logger at debug level instead of printing each request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logging.getLogger("hyperota.sandbox.http").debug("%s %s", self.requestline, code)

    def log_error(self, format: str, *args: Any) -> None:
        logging.getLogger("hyperota.sandbox.http").debug(format, *args)


@dataclass
class RunningServer:
    name: str
    server: BaseWSGIServer
    thread: threading.Thread
    faults: FaultInjector

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(app: WSGIApp, name: str, port: int = 0) -> RunningServer:
    """Start `app` on 127.0.0.1 (a free port unless one is given) in a daemon thread."""
    faults = FaultInjector(app)
    server = make_server("127.0.0.1", port, faults, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name=f"sandbox-{name}", daemon=True)
    thread.start()
    return RunningServer(name=name, server=server, thread=thread, faults=faults)
