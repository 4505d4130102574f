"""Embedded emulator of Superposition (Juspay's config and experimentation service).

See docs/sandbox-superposition.md for what it reproduces and where it differs from a real server.
"""

from .app import SERVER_VERSION, SuperpositionEmulator

__all__ = ["SERVER_VERSION", "SuperpositionEmulator"]
