"""Modules the app never uses but its libraries import by default, kept out of the process.

`httpx/__init__.py` imports its own command-line client (`httpx._main`: click, rich, pygments) whenever
those happen to be installed (the sandbox's Flask brings click, dev tools bring rich): 0.1-0.2 s of every
command's start-up for a function nobody calls. A `None` in `sys.modules` makes that import fail at once,
and httpx then defines a stub `httpx.main` that says the CLI extra is missing (`except ImportError` in
its `__init__.py`); the rest of httpx is unaffected.

keyring imports every backend when it picks one; its macOS backend's `api` module looks for the macOS
frameworks with `ctypes.util.find_library`, which on Linux runs `ldconfig -p` (and gcc) in subprocesses:
about 60 ms before the first keyring read, for a module that then fails to load (no `CFDictionaryCreate`)
and that `keyring/backends/macOS/__init__.py` imports inside `try/except Exception`. Off macOS it is
blocked too; the macOS backend reports itself unusable there either way ("macOS required").
"""

from __future__ import annotations

import sys

UNUSED = ("httpx._main",) + (("keyring.backends.macOS.api",) if sys.platform != "darwin" else ())


def skip_unused_modules() -> None:
    """Call before anything imports httpx (entry points); a module already imported stays as it is."""
    for name in UNUSED:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None blocks the import
