"""Streamed SHA-256 of local files in worker threads, with bounded memory and a (path, size, mtime) cache."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hyperota_desktop.domain.errors import IntegrityError, ValidationError
from hyperota_desktop.services.bundle_scan import ScannedFile
from hyperota_desktop.services.transfer import ProgressMeter, TransferControl, run_bounded
from hyperota_desktop.services.workers import Workers
from hyperota_desktop.stores.hash_cache import HashCache

CHUNK = 1024 * 1024


def sha256_file(path: Path, expected_size: int | None = None) -> str:
    """Hex SHA-256 of a file read in 1 MiB chunks (memory stays bounded whatever the size)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    if expected_size is not None and size != expected_size:
        raise IntegrityError(f"'{path}' changed while it was being read ({expected_size} → {size} bytes).")
    return digest.hexdigest()


@dataclass(frozen=True)
class Hashed:
    sha256: str
    mtime_ns: int  # of the file when it was hashed: uploads check it is unchanged


def _hash_one(file: ScannedFile, cache: HashCache | None) -> Hashed:
    try:
        st = os.stat(file.local)
    except FileNotFoundError:
        raise ValidationError(f"'{file.path}' disappeared before it was hashed.") from None
    if st.st_size != file.size:
        raise IntegrityError(f"'{file.path}' changed since the bundle was scanned.")
    if cache is not None:
        hit = cache.get(file.local.resolve(), st.st_size, st.st_mtime_ns)
        if hit:
            return Hashed(hit, st.st_mtime_ns)
    hex_digest = sha256_file(file.local, st.st_size)
    if cache is not None:
        cache.put(file.local.resolve(), st.st_size, st.st_mtime_ns, hex_digest)
    return Hashed(hex_digest, st.st_mtime_ns)


async def hash_files(
    files: Sequence[ScannedFile],
    cache: HashCache | None,
    *,
    meter: ProgressMeter | None = None,
    control: TransferControl | None = None,
    concurrency: int = 4,
    workers: Workers | None = None,
) -> dict[str, Hashed]:
    """Bundle path → SHA-256 and mtime. hashlib releases the GIL, so files hash in parallel threads
    (`concurrency` workers, not one task per file: see `transfer.run_bounded`)."""
    result: dict[str, Hashed] = {}
    workers = workers or Workers()

    async def one(file: ScannedFile) -> None:
        if control is not None:
            await control.checkpoint()
        if meter is not None:
            meter.file(file.path, 0, file.size, "hashing")
        result[file.path] = await workers.transfer(_hash_one, file, cache)
        if meter is not None:
            meter.file(file.path, file.size, file.size, "done")
            meter.advance(file.size, file_finished=True)

    await run_bounded(files, one, concurrency)
    return result
