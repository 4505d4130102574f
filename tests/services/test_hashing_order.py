"""How the hashing uses the machine's cores: the largest file is hashed first (hashed last, it would run
alone after the small ones), and a file sent in parts gets its whole-file digest on a thread beside the
one computing its part digests, from the same read. The digests are checked against hashlib's."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hyperota_desktop.domain.errors import IntegrityError
from hyperota_desktop.services import hashing
from hyperota_desktop.services.bundle_scan import scan
from hyperota_desktop.services.hashing import Hashed, PartPlan, hash_files, sha256_file_and_parts
from hyperota_desktop.services.workers import Workers
from tests.support import bundles

MiB = 1024 * 1024


async def _scanned_and_hashed(
    root: Path, cache_dir: Path, **options: Any
) -> tuple[list[str], dict[str, Hashed]]:
    """The bundle's paths in the scan's order, and `hash_files` of them (no hash cache)."""
    workers = Workers()
    bundle = await scan([root], index=None, cache_dir=cache_dir, workers=workers)
    return [f.path for f in bundle.files], await hash_files(bundle.files, None, workers=workers, **options)


def test_the_largest_file_is_hashed_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"assets/{n:02d}.png": os.urandom(1000 + n) for n in range(20)}
    root = bundles.write(tmp_path / "b", {**files, "index.android.bundle": os.urandom(3 * MiB)})
    order: list[str] = []
    hash_batch = hashing._hash_batch

    def recorded(batch: list[Any], plan: Any = None) -> Any:
        order.extend(file.path for file, _mtime in batch)
        return hash_batch(batch, plan)

    monkeypatch.setattr(hashing, "_hash_batch", recorded)
    scanned, result = asyncio.run(_scanned_and_hashed(root, tmp_path / "cache", concurrency=1))
    assert scanned[-1] == "index.android.bundle"  # the scan's order: by name
    assert order[0] == "index.android.bundle" and sorted(order) == sorted(result), order
    big = (root / "index.android.bundle").read_bytes()
    assert result["index.android.bundle"].sha256 == hashlib.sha256(big).hexdigest()


def test_a_parted_file_gets_its_two_digests_on_two_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(3 * MiB + 5)
    path = tmp_path / "big"
    path.write_bytes(data)
    threads: list[set[int]] = []  # per digest object, in creation order: the whole file's first

    class Recorded:
        def __init__(self) -> None:
            self._digest = hashlib.sha256()
            self._threads: set[int] = set()
            threads.append(self._threads)

        def update(self, chunk: bytes) -> None:
            self._threads.add(threading.get_ident())
            self._digest.update(chunk)

        def digest(self) -> bytes:
            return self._digest.digest()

        def hexdigest(self) -> str:
            return self._digest.hexdigest()

    monkeypatch.setattr(hashing, "hashlib", SimpleNamespace(sha256=Recorded))
    whole, sums = sha256_file_and_parts(path, len(data), 1 * MiB)
    whole_threads, part_threads = threads[0], set().union(*threads[1:])
    assert len(whole_threads) == 1 and whole_threads.isdisjoint(part_threads), threads
    assert threading.get_ident() in part_threads  # the reader's
    assert whole == hashlib.sha256(data).hexdigest()
    parts = [data[at : at + MiB] for at in range(0, len(data), MiB)]
    assert sums == tuple(base64.b64encode(hashlib.sha256(p).digest()).decode() for p in parts)


def test_a_file_that_grows_while_hashed_in_parts_is_refused_and_leaves_no_thread(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(os.urandom(2 * MiB))
    before = {t.name for t in threading.enumerate()}
    with pytest.raises(IntegrityError, match="changed while it was being read"):
        sha256_file_and_parts(path, 2 * MiB - 1, MiB)
    assert not {t.name for t in threading.enumerate()} - before  # the helper thread ended


def test_plan_parts_hash_through_hash_files(tmp_path: Path) -> None:
    data = os.urandom(2 * MiB + 3)
    root = bundles.write(tmp_path / "b", {"index.android.bundle": data, "a.png": b"x"})

    _scanned, result = asyncio.run(_scanned_and_hashed(root, tmp_path / "cache", parts=PartPlan(MiB, MiB)))
    big = result["index.android.bundle"]
    assert big.sha256 == hashlib.sha256(data).hexdigest() and big.part_size == MiB and len(big.part_sums) == 3
