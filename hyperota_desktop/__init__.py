"""HyperOTA Desktop: administration client for the HyperOTA over-the-air update system."""

# The one place the version is written (pyproject.toml reads it from here): a literal, so `--version`
# and every start-up need no importlib.metadata lookup (~20 ms).
__version__ = "0.1.0"
