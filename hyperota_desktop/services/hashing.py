"""Streamed SHA-256 of local files in worker threads, with bounded memory and a (path, size, mtime) cache.

A file large enough to be sent in parts (`PartPlan`) also gets the SHA-256 of each part in the same
read: the upload sends every part with the checksum of the bytes hashed here (S3 refuses a part whose
bytes changed since, even with the same size and mtime), and reads the file only to send it. Its two
digests are computed side by side (the whole file's on a thread beside the reader), and the largest
files are hashed first: a big file last would hash alone after the small ones, on one core.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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


def sha256_file_and_parts(path: Path, expected_size: int, part_size: int) -> tuple[str, tuple[str, ...]]:
    """Hex SHA-256 of a file and the base64 SHA-256 of each `part_size` part (as S3's
    `x-amz-checksum-sha256` wants it), in one read of 1 MiB chunks. The whole file's digest takes each
    chunk on a thread beside this one (hashlib lets go of the GIL): both digests at once, one chunk
    ahead at most."""
    whole, part = hashlib.sha256(), hashlib.sha256()
    sums: list[str] = []
    size = in_part = 0
    with ThreadPoolExecutor(1, thread_name_prefix="hyperota-hash") as beside, path.open("rb") as fh:
        pending: Future[None] | None = None
        while chunk := fh.read(min(CHUNK, part_size - in_part)):
            if pending is not None:
                pending.result()  # in order, and never more than one chunk held for it
            pending = beside.submit(whole.update, chunk)
            part.update(chunk)
            size += len(chunk)
            in_part += len(chunk)
            if in_part == part_size:
                sums.append(base64.b64encode(part.digest()).decode())
                part, in_part = hashlib.sha256(), 0
        if pending is not None:
            pending.result()
    if in_part or not sums:
        sums.append(base64.b64encode(part.digest()).decode())
    if size != expected_size:
        raise IntegrityError(f"'{path}' changed while it was being read ({expected_size} → {size} bytes).")
    return whole.hexdigest(), tuple(sums)


@dataclass(frozen=True)
class PartPlan:
    """How the uploader splits a file: files of `threshold` bytes or more go in `part_size` parts."""

    part_size: int
    threshold: int

    def applies(self, size: int) -> bool:
        return size >= self.threshold


@dataclass(frozen=True)
class Hashed:
    sha256: str
    mtime_ns: int  # of the file when it was hashed: uploads check it is unchanged
    part_size: int = 0  # of `part_sums`; 0: none (a small file, or a cached hash without them)
    part_sums: tuple[str, ...] = ()  # base64 SHA-256 of each part, from the same read as `sha256`


def _stat(file: ScannedFile) -> os.stat_result:
    try:
        st = os.stat(file.local)
    except FileNotFoundError:
        raise ValidationError(f"'{file.path}' disappeared before it was hashed.") from None
    if st.st_size != file.size:
        raise IntegrityError(f"'{file.path}' changed since the bundle was scanned.")
    return st


def _cache_key(file: ScannedFile) -> Path:
    """The file's absolute path: as the scan gives it below a resolved folder (no new Path parsed per
    file), else made absolute and normal (loose files as they were named)."""
    local = file.local
    if local.is_absolute() and ".." not in local.parts:
        return local
    return Path(os.path.abspath(local))


def _look_up(
    files: Sequence[ScannedFile], cache: HashCache | None, plan: PartPlan | None = None
) -> tuple[dict[str, Hashed], list[tuple[ScannedFile, int]]]:
    """Look every file up in the cache at once, by the size and mtime the scan saw (stat'ed here only
    when the scan did not say): (hashes known, files to hash with their mtime). A known large file
    comes with its part checksums when the cache has them for this part size (else the uploader
    computes them per part). Blocking: one worker call for the whole bundle."""
    mtimes = {f.path: f.mtime_ns if f.mtime_ns is not None else _stat(f).st_mtime_ns for f in files}
    keys = {f.path: _cache_key(f) for f in files}
    known = cache.get_many([(keys[f.path], f.size, mtimes[f.path]) for f in files]) if cache else {}
    hashed: dict[str, Hashed] = {}
    missing: list[tuple[ScannedFile, int]] = []
    for f in files:
        digest = known.get(keys[f.path])
        if digest is not None:
            hashed[f.path] = Hashed(digest, mtimes[f.path])
            if cache is not None and plan is not None and plan.applies(f.size):
                sums = cache.get_part_sums(keys[f.path], f.size, mtimes[f.path], plan.part_size)
                if sums:
                    hashed[f.path] = Hashed(digest, mtimes[f.path], plan.part_size, sums)
        else:
            missing.append((f, mtimes[f.path]))
    return hashed, missing


def _hash_batch(batch: list[tuple[ScannedFile, int]], plan: PartPlan | None = None) -> list[Hashed]:
    """Hash a few files in one worker call (each checked unchanged after). Blocking."""
    hashed = []
    for file, mtime_ns in batch:
        if plan is not None and plan.applies(file.size):
            hex_digest, sums = sha256_file_and_parts(file.local, file.size, plan.part_size)
            result = Hashed(hex_digest, mtime_ns, plan.part_size, sums)
        else:
            result = Hashed(sha256_file(file.local, file.size), mtime_ns)
        if _stat(file).st_mtime_ns != mtime_ns:
            raise IntegrityError(f"'{file.path}' changed while it was being hashed.")
        hashed.append(result)
    return hashed


def _batches(
    entries: list[tuple[ScannedFile, int]], *, most_bytes: int = 8 * CHUNK, most_files: int = 64
) -> Iterator[list[tuple[ScannedFile, int]]]:
    """Small files together (up to 8 MiB or 64 files a batch), each large one alone: one hop to a worker
    thread per batch instead of per file."""
    batch: list[tuple[ScannedFile, int]] = []
    size = 0
    for entry in entries:
        if batch and (size + entry[0].size > most_bytes or len(batch) >= most_files):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += entry[0].size
    if batch:
        yield batch


async def hash_files(
    files: Sequence[ScannedFile],
    cache: HashCache | None,
    *,
    meter: ProgressMeter | None = None,
    control: TransferControl | None = None,
    concurrency: int = 4,
    workers: Workers | None = None,
    parts: PartPlan | None = None,
) -> dict[str, Hashed]:
    """Bundle path → SHA-256 and mtime (and, for files `parts` sends in parts, each part's SHA-256).
    Files whose (path, size, mtime) the cache knows are not read; the others hash in parallel threads
    (hashlib releases the GIL; `concurrency` workers, not one task per file: see
    `transfer.run_bounded`), and go into the cache in one transaction at the end."""
    workers = workers or Workers()
    result, missing = await workers.transfer(_look_up, files, cache, parts)
    if meter is not None:
        meter.files_done += len(result)
        meter.advance(sum(f.size for f in files if f.path in result))
    fresh: list[tuple[Path, int, int, str]] = []
    fresh_parts: list[tuple[Path, int, int, int, tuple[str, ...]]] = []

    async def one(batch: list[tuple[ScannedFile, int]]) -> None:
        if control is not None:
            await control.checkpoint()
        if meter is not None:
            for file, _mtime in batch:
                meter.file(file.path, 0, file.size, "hashing")
        for (file, mtime_ns), hashed in zip(
            batch, await workers.transfer(_hash_batch, batch, parts), strict=True
        ):
            result[file.path] = hashed
            key = _cache_key(file)
            fresh.append((key, file.size, mtime_ns, hashed.sha256))
            if hashed.part_sums:
                fresh_parts.append((key, file.size, mtime_ns, hashed.part_size, hashed.part_sums))
            if meter is not None:
                meter.file(file.path, file.size, file.size, "done")
                meter.advance(file.size, file_finished=True)

    try:
        largest_first = sorted(missing, key=lambda entry: -entry[0].size)
        await run_bounded(_batches(largest_first), one, concurrency)
    finally:  # what was hashed before a failure or a cancel is remembered all the same
        if cache is not None and fresh:
            await workers.short(cache.put_many, fresh)
        if cache is not None and fresh_parts:
            await workers.short(cache.put_part_sums, fresh_parts)
    return result
