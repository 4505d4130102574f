"""Read what was dropped (folder, .zip or loose files) into a checked bundle: I/O side of `domain.bundles`.

Every check happens before anything is uploaded. A zip is validated entry by entry (names, types, sizes,
compression ratio), then extracted into `cache/bundles/<key>/` while counting bytes, so a lying header
cannot expand past the limits. The extraction folder is keyed by the zip's path, size and mtime, so a
publish resumed after a crash reuses it.

`scan` runs on the app's transfer workers (`Workers`, from the composition root: in the GUI their
threads run below the UI thread), not on asyncio's default pool. A cancel stops the walk or the
extraction between two files (or chunks) and removes a partial extraction before it is raised.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import stat
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hyperota_desktop.domain.bundles import (
    DEFAULT_LIMITS,
    BundleEntry,
    BundleLayout,
    EntryRules,
    Limits,
    check_ratio,
    recognise,
)
from hyperota_desktop.domain.errors import ValidationError
from hyperota_desktop.services.workers import Workers, landed_before_cancel

_COMPLETE = ".hyperota-extracted"


@dataclass(frozen=True)
class ScannedFile:
    path: str  # inside the bundle
    local: Path
    size: int
    # as the scan's stat saw it: hashing looks the file up in the cache by it without a second stat
    # (None: not known, stat'ed when hashed); uploads check the file still has it
    mtime_ns: int | None = None


@dataclass(frozen=True)
class ScannedBundle:
    source: str  # what was dropped, for the manifest's `source`
    files: tuple[ScannedFile, ...]
    layout: BundleLayout
    extracted_to: Path | None = None  # temporary extraction folder of a zip

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def index(self) -> str:
        return self.layout.index


class _Stopped(Exception):
    """The scan's thread stopping at a cancel; never seen by callers (they get the cancel)."""


def _go_on(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise _Stopped


async def scan(
    sources: Sequence[Path],
    *,
    index: str | None,
    cache_dir: Path,
    limits: Limits = DEFAULT_LIMITS,
    workers: Workers | None = None,
) -> ScannedBundle:
    """Scan on `workers`' transfer threads (None: the loop's default pool, for services built by hand);
    raise ValidationError with a clear message for refused input. Cancelled: the thread stops at the
    next file and cleans up before the cancel is raised."""
    stop = threading.Event()
    work = (workers or Workers()).transfer(
        scan_sync, list(sources), index=index, cache_dir=cache_dir, limits=limits, stop=stop
    )
    try:
        return await landed_before_cancel(work, on_cancel=stop.set)
    except _Stopped:  # stopped without a cancel of ours (cannot happen: only `on_cancel` sets it)
        raise asyncio.CancelledError from None


def scan_sync(
    sources: list[Path],
    *,
    index: str | None,
    cache_dir: Path,
    limits: Limits = DEFAULT_LIMITS,
    stop: threading.Event | None = None,
) -> ScannedBundle:
    if not sources:
        raise ValidationError("Nothing to publish: drop a folder, a .zip or files.")
    missing = [str(p) for p in sources if not os.path.lexists(p)]
    if missing:
        raise ValidationError(f"Not found: {', '.join(missing)}.")
    if len(sources) == 1 and sources[0].is_dir():
        root = sources[0]
        files = _walk_folder(root, limits, stop=stop)
        return _finish(str(root), files, index, None)
    if len(sources) == 1 and sources[0].suffix.lower() == ".zip":
        root = _extract_zip(sources[0], cache_dir / "bundles", limits, stop)
        files = _walk_folder(root, limits, skip={_COMPLETE}, stop=stop)
        return _finish(str(sources[0]), files, index, root)
    return _finish(", ".join(str(p) for p in sources), _loose_files(sources, limits, stop), index, None)


def _finish(
    source: str, files: list[ScannedFile], index: str | None, extracted: Path | None
) -> ScannedBundle:
    entries = [BundleEntry(f.path, f.size) for f in files]
    by_path = {f.path: f for f in files}
    heads: dict[str, bytes] = {}
    for f in files:
        if f.path.endswith((".hbc", ".bundle", ".jsbundle", ".js")) or f.path == index or len(files) == 1:
            with f.local.open("rb") as fh:
                heads[f.path] = fh.read(8)
    metadata = None
    meta = by_path.get("metadata.json")
    if meta is not None and meta.size <= 1024 * 1024:
        metadata = meta.local.read_bytes()
    layout = recognise(entries, index=index, heads=heads, metadata=metadata)
    return ScannedBundle(source=source, files=tuple(files), layout=layout, extracted_to=extracted)


def _check_name_bytes(name: str) -> None:
    """File names the OS gave us with undecodable bytes (surrogate escapes) are refused."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        raise ValidationError(
            f"The file name '{shown}' is not valid UTF-8.", hint="Rename it and try again."
        ) from None


def _walk_folder(
    root: Path, limits: Limits, skip: set[str] | None = None, stop: threading.Event | None = None
) -> list[ScannedFile]:
    """Every file below `root`, each stat'ed once (its size and mtime kept). Paths are built as strings
    (a bundle has thousands of files: pathlib's parsing per file cost more than the stats)."""
    root = root.resolve()
    rules = EntryRules(limits)
    files: list[ScannedFile] = []
    stack = [(str(root), "")]  # (folder, its path inside the bundle with a trailing "/", or "")
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as it:
            children = sorted(it, key=lambda d: d.name)
        for child in children:
            _go_on(stop)
            _check_name_bytes(child.name)
            rel = prefix + child.name
            if skip and rel in skip:
                continue
            st = os.lstat(child.path)
            if stat.S_ISLNK(st.st_mode):
                target = Path(child.path).resolve()
                if not target.is_relative_to(root):
                    raise ValidationError(
                        f"'{rel}' is a symbolic link that leaves the bundle folder (to {target}).",
                        hint="Replace the link by the file itself.",
                    )
                if target.is_dir():
                    continue  # its content is in the bundle under its real path already
                if not target.exists():
                    raise ValidationError(f"'{rel}' is a broken symbolic link.")
                st = os.stat(target)
            if stat.S_ISDIR(st.st_mode):
                stack.append((child.path, rel + "/"))
            elif stat.S_ISREG(st.st_mode):
                entry = rules.add(rel, st.st_size)
                files.append(ScannedFile(entry.path, Path(child.path), st.st_size, st.st_mtime_ns))
            else:
                raise ValidationError(f"'{rel}' is not a regular file (device, pipe or socket).")
    rules.finish()
    return sorted(files, key=lambda f: f.path)


def _loose_files(sources: list[Path], limits: Limits, stop: threading.Event | None) -> list[ScannedFile]:
    rules = EntryRules(limits)
    files: list[ScannedFile] = []
    for path in sources:
        _go_on(stop)
        _check_name_bytes(path.name)
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise ValidationError(
                f"'{path}' is not a regular file.", hint="Drop one folder, one .zip or several files."
            )
        entry = rules.add(path.name, st.st_size)
        files.append(ScannedFile(entry.path, path, st.st_size, st.st_mtime_ns))
    rules.finish()
    return sorted(files, key=lambda f: f.path)


def _zip_name(info: zipfile.ZipInfo) -> str:
    """Names without the UTF-8 flag are cp437 by the spec; non-ASCII ones must still be valid UTF-8."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    if raw.isascii():
        return name
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(
            f"The zip has a file name in an unknown encoding: {raw!r}.",
            hint="Re-create the zip with UTF-8 names (e.g. `zip` from Info-ZIP 3 or `7z`).",
        ) from None


def _zip_key(path: Path) -> str:
    st = path.stat()
    ident = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()
    return hashlib.sha256(ident).hexdigest()[:32]


def _extract_zip(path: Path, cache: Path, limits: Limits, stop: threading.Event | None = None) -> Path:
    target = cache / _zip_key(path)
    if (target / _COMPLETE).exists():
        return target
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValidationError(f"'{path.name}' is not a readable zip file ({exc}).") from None
    except UnicodeDecodeError:
        raise ValidationError(f"'{path.name}' has file names that are not valid UTF-8.") from None
    with zf:
        rules = EntryRules(limits)
        plan: list[tuple[zipfile.ZipInfo, str]] = []
        for info in zf.infolist():
            name = _zip_name(info)
            mode = info.external_attr >> 16
            # not `info.is_dir()`: a name that began with NUL is "" here (zipfile cuts it there) and
            # would raise IndexError; the entry rules refuse it with a clear error instead
            if info.filename.endswith("/") or (mode and stat.S_ISDIR(mode)):
                continue
            if mode and stat.S_ISLNK(mode):
                raise ValidationError(
                    f"Zip entry '{name}' is a symbolic link.", hint="Refusing an unsafe archive."
                )
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                raise ValidationError(f"Zip entry '{name}' is not a regular file.")
            if info.flag_bits & 0x1:
                raise ValidationError(f"Zip entry '{name}' is encrypted.")
            entry = rules.add(name, info.file_size)
            check_ratio(entry.path, info.file_size, info.compress_size, limits)
            plan.append((info, entry.path))
        rules.finish()
        partial = cache / (target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True, mode=0o700)
        try:
            budget = limits.max_total_size
            for info, rel in plan:
                dest = partial.joinpath(*rel.split("/"))
                dest.parent.mkdir(parents=True, exist_ok=True)
                written = 0
                with zf.open(info) as src, dest.open("wb") as out:
                    while chunk := src.read(1024 * 1024):
                        _go_on(stop)
                        written += len(chunk)
                        budget -= len(chunk)
                        if written > info.file_size or budget < 0:
                            raise ValidationError(
                                f"Zip entry '{rel}' expands beyond its declared size.",
                                hint="This looks like a zip bomb; nothing was uploaded.",
                            )
                        out.write(chunk)
            (partial / _COMPLETE).write_text("ok\n")
            shutil.rmtree(target, ignore_errors=True)
            partial.rename(target)
        except zipfile.BadZipFile as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise ValidationError(f"'{path.name}' is corrupt: {exc}.") from None
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    return target


def discard_extraction(bundle: ScannedBundle) -> None:
    if bundle.extracted_to is not None:
        shutil.rmtree(bundle.extracted_to, ignore_errors=True)
