"""The one verifying TLS context of the process, shared by every httpx client.

httpx builds a new context for each client it makes, reading the whole CA bundle each time (20-40 ms);
a command makes several clients. This builds the same context httpx would (`httpx._config.
create_ssl_context(verify=True)`, httpx 0.28: `SSL_CERT_FILE`, else `SSL_CERT_DIR`, else certifi's
bundle) once, and without importing httpx, so that an entry point can build it on a thread of its own
while the main thread imports the rest (loading the bundle releases the GIL). Verification is always on:
`CERT_REQUIRED` and host-name checks, as `ssl.create_default_context` sets them.
"""

from __future__ import annotations

import os
import ssl
import threading

_lock = threading.Lock()
_context: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    global _context
    with _lock:
        if _context is None:
            _context = _build()
        return _context


def _build() -> ssl.SSLContext:
    if cafile := os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=cafile)
    if capath := os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=capath)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def warm_in_background() -> None:
    """Build it on a daemon thread now (an entry point, before its imports)."""
    threading.Thread(target=tls_context, name="tls-context", daemon=True).start()
