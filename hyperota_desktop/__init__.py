"""HyperOTA Desktop: administration client for the HyperOTA over-the-air update system."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hyperota-desktop")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"
