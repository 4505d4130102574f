"""Sizes for people: one format (binary units) everywhere the app shows bytes."""

from __future__ import annotations


def human_size(n: float) -> str:
    """`512 B`, `3.0 KiB`, `1.5 MiB`, ... up to TiB."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"
