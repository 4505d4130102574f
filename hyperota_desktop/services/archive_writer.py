"""Writing `.hota` archives (blocking: run in a worker thread). Layout: docs/archive-format.md.

Plain:      manifest.json, files/<path>..., seal.json, end.
Encrypted:  envelope.json, payload.bin (the plain members as one encrypted tar stream), seal.json, end.
The file is written next to its destination and renamed into place once complete, so a cancelled or
failed build never leaves a half archive under the destination's name.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hyperota_desktop.domain.archive_manifest import (
    ENVELOPE_MEMBER,
    MANIFEST_MEMBER,
    PAYLOAD_MEMBER,
    SEAL_MEMBER,
    ArchiveManifest,
    member_name,
)
from hyperota_desktop.domain.archive_seal import NONCE_PREFIX_SIZE, Envelope, Seal
from hyperota_desktop.domain.archive_tar import END_OF_ARCHIVE, end_padding, member_header, padding
from hyperota_desktop.domain.errors import IntegrityError
from hyperota_desktop.services.archive_crypto import ChunkCipher
from hyperota_desktop.services.archive_stream import EncryptingSink, PlainSink, Ticker
from hyperota_desktop.services.kms import DataKey


@dataclass(frozen=True)
class LocalFile:
    """Where the bytes of one archive file are, and the state they were hashed in."""

    local: Path
    size: int
    mtime_ns: int = 0  # 0: do not compare


def plain_stream_size(manifest: ArchiveManifest) -> int:
    """Bytes of the plain members plus the end marker: the plaintext of an encrypted payload."""
    mtime = manifest.mtime
    size = len(manifest.canonical())
    total = len(member_header(MANIFEST_MEMBER, size, mtime)) + size + padding(size)
    for f in manifest.files:
        total += len(member_header(member_name(f.path), f.size, mtime)) + f.size + padding(f.size)
    return total + len(END_OF_ARCHIVE)


def new_envelope(manifest: ArchiveManifest, key: DataKey, context: Mapping[str, str]) -> Envelope:
    return Envelope(
        kms_key_id=key.key_id, encrypted_data_key=key.encrypted, encryption_context=dict(context),
        nonce_prefix=secrets.token_bytes(NONCE_PREFIX_SIZE), manifest_sha256=manifest.digest(),
        plaintext_size=plain_stream_size(manifest),
    )  # fmt: skip


def _member(sink: PlainSink | EncryptingSink, name: str, data: bytes, mtime: int) -> None:
    sink.write(member_header(name, len(data), mtime))
    sink.write(data)
    sink.write(bytes(padding(len(data))))


def _copy_file(sink: PlainSink | EncryptingSink, file: LocalFile, label: str, expected: int) -> None:
    if file.size != expected:
        raise IntegrityError(f"'{label}' is {file.size} bytes, the manifest says {expected}.")
    fd = os.open(file.local, os.O_RDONLY)
    try:
        before = os.fstat(fd)
        if before.st_size != expected or (file.mtime_ns and before.st_mtime_ns != file.mtime_ns):
            raise IntegrityError(f"'{label}' changed after it was hashed.", hint="Build the archive again.")
        sink.copy_from(fd, expected, label)
        after = os.fstat(fd)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise IntegrityError(f"'{label}' changed while it was being archived.", hint="Build it again.")
    finally:
        os.close(fd)
    sink.ticker.advance(0, file_finished=True)


def _plain_members(
    sink: PlainSink | EncryptingSink, manifest: ArchiveManifest, sources: Mapping[str, LocalFile]
) -> None:
    mtime = manifest.mtime
    _member(sink, MANIFEST_MEMBER, manifest.canonical(), mtime)
    for f in manifest.files:
        sink.write(member_header(member_name(f.path), f.size, mtime))
        _copy_file(sink, sources[f.path], f.path, f.size)
        sink.write(bytes(padding(f.size)))


def write_archive(
    dest: Path,
    manifest: ArchiveManifest,
    sources: Mapping[str, LocalFile],
    seal: Seal,
    ticker: Ticker,
    *,
    encryption: tuple[Envelope, bytes] | None = None,
) -> int:
    """Write the archive to `dest` (atomically); returns its size. `encryption` = (envelope, data key)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        sink = PlainSink(fd, ticker)
        mtime = 0 if encryption else manifest.mtime  # an encrypted archive's outer headers reveal no time
        if encryption is None:
            _plain_members(sink, manifest, sources)
        else:
            envelope, data_key = encryption
            _member(sink, ENVELOPE_MEMBER, envelope.canonical(), mtime)
            sink.write(member_header(PAYLOAD_MEMBER, envelope.ciphertext_size, mtime))
            inner = EncryptingSink(sink, ChunkCipher(data_key, envelope), envelope)
            _plain_members(inner, manifest, sources)
            inner.write(END_OF_ARCHIVE)
            inner.close()
            sink.write(bytes(padding(envelope.ciphertext_size)))
        _member(sink, SEAL_MEMBER, seal.canonical(), mtime)
        sink.write(bytes(end_padding(sink.offset)))
        ticker.flush()
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    os.close(fd)
    os.replace(partial, dest)
    return sink.offset


def reseal(source: Path, seal_offset: int, seal: Seal, mtime: int, dest: Path) -> int:
    """A copy of `source` up to its seal member, with `seal` instead (signing); written atomically."""
    partial = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        sink = PlainSink(fd, Ticker())
        src = os.open(source, os.O_RDONLY)
        try:
            sink.copy_from(src, seal_offset, source.name)
        finally:
            os.close(src)
        _member(sink, SEAL_MEMBER, seal.canonical(), mtime)
        sink.write(bytes(end_padding(sink.offset)))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    os.close(fd)
    os.replace(partial, dest)
    return sink.offset
