"""Build bundle folders and zips of each recognised layout (and broken ones) in a temp folder."""

from __future__ import annotations

from pathlib import Path

from hyperota_desktop.domain.bundles import HERMES_MAGIC


def write(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def react_native(root: Path, *, seed: bytes = b"") -> Path:
    return write(root, {
        "index.android.bundle": b"var app = 1;" + seed,
        "drawable-mdpi/logo.png": b"\x89PNG logo" + seed,
        "drawable-hdpi/logo.png": b"\x89PNG logo hdpi",
        "raw/sound.mp3": b"\x01" * 3000,
    })  # fmt: skip


def expo(root: Path) -> Path:
    meta = (
        b'{"version":0,"bundler":"metro","fileMetadata":{"android":'
        b'{"bundle":"_expo/static/js/android/index-abc.hbc","assets":[]}}}'
    )
    return write(root, {
        "metadata.json": meta,
        "_expo/static/js/android/index-abc.hbc": HERMES_MAGIC + b"bytecode",
        "assets/0123456789abcdef": b"asset",
    })  # fmt: skip


def hermes(root: Path) -> Path:
    return write(root, {"app.hbc": HERMES_MAGIC + b"\x00" * 64, "fonts/a.ttf": b"font"})


def generic(root: Path) -> Path:
    return write(root, {"entry.js": b"console.log(1)", "lib/a.js": b"a", "lib/b.js": b"b"})
