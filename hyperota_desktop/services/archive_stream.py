"""Byte streams under the archive reader and writer: progress from worker threads, plain and decrypting
sources, plain and encrypting sinks. All blocking; memory is bounded by one chunk (1 MiB by default).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import BinaryIO

from hyperota_desktop.domain.archive_seal import TAG_SIZE, Envelope
from hyperota_desktop.domain.errors import Cancelled, IntegrityError
from hyperota_desktop.services.archive_crypto import ChunkCipher
from hyperota_desktop.services.transfer import ProgressMeter, TransferControl

CHUNK = 1024 * 1024


class Truncated(Exception):
    """The stream ended before the bytes the archive's structure promises."""


class Ticker:
    """Progress and cancel of blocking work in a worker thread.

    `advance(n)` counts bytes and hands them to the meter on the event loop's thread (the meter's
    callback updates the UI) at most every 50 ms; `check()` raises Cancelled once `control` is cancelled.
    Worker threads may share one (parallel downloads).
    """

    def __init__(
        self,
        meter: ProgressMeter | None = None,
        control: TransferControl | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.meter = meter
        self.control = control
        self.loop = loop
        self._pending = 0
        self._last = 0.0
        self._lock = threading.Lock()

    def check(self) -> None:
        if self.control is not None and self.control.cancelled:
            raise Cancelled("Cancelled: the archive was not finished.")

    def advance(self, nbytes: int, *, file_finished: bool = False) -> None:
        with self._lock:
            self._pending += nbytes
            now = time.monotonic()
            due = file_finished or now - self._last >= 0.05
            if due:
                self._last = now
        if due:
            self.flush(file_finished=file_finished)

    def flush(self, *, file_finished: bool = False) -> None:
        with self._lock:
            pending, self._pending = self._pending, 0
        if self.meter is None or (not pending and not file_finished):
            return
        meter = self.meter
        if self.loop is None:
            meter.advance(pending, file_finished=file_finished)
        else:
            self.loop.call_soon_threadsafe(lambda: meter.advance(pending, file_finished=file_finished))


class PlainSource:
    """Reads a file from its current position, counting the offset."""

    def __init__(self, fh: BinaryIO, ticker: Ticker) -> None:
        self.fh = fh
        self.ticker = ticker
        self.offset = 0

    def readinto(self, view: memoryview) -> int:
        n = self.fh.readinto(view)  # type: ignore[attr-defined]
        n = n or 0
        self.offset += n
        self.ticker.advance(n)
        return int(n)

    def read_exact(self, size: int) -> bytes:
        data = self.fh.read(size)
        self.offset += len(data)
        self.ticker.advance(len(data))
        if len(data) != size:
            raise Truncated()
        return data

    def read_up_to(self, size: int) -> bytes:
        data = self.fh.read(size)
        self.offset += len(data)
        return data


class DecryptingSource:
    """The plaintext of an encrypted payload, decrypted chunk by chunk from the outer source."""

    def __init__(self, outer: PlainSource, cipher: ChunkCipher, envelope: Envelope) -> None:
        self.outer = outer
        self.cipher = cipher
        self.envelope = envelope
        self.offset = 0
        self._index = 0
        self._chunk = b""
        self._pos = 0

    @property
    def exhausted(self) -> bool:
        return self._index >= self.envelope.chunk_count and self._pos >= len(self._chunk)

    def _next_chunk(self) -> bool:
        env = self.envelope
        if self._index >= env.chunk_count:
            return False
        final = self._index == env.chunk_count - 1
        plain = env.plaintext_size - self._index * env.chunk_size if final else env.chunk_size
        ciphertext = self.outer.read_exact(plain + TAG_SIZE)
        self.outer.ticker.check()
        self._chunk = self.cipher.decrypt(self._index, final, ciphertext)
        self._pos = 0
        self._index += 1
        return True

    def readinto(self, view: memoryview) -> int:
        while self._pos >= len(self._chunk):
            if not self._next_chunk():
                return 0
        n = min(len(view), len(self._chunk) - self._pos)
        view[:n] = self._chunk[self._pos : self._pos + n]
        self._pos += n
        self.offset += n
        return n

    def read_exact(self, size: int) -> bytes:
        parts: list[bytes] = []
        need = size
        while need:
            if self._pos >= len(self._chunk) and not self._next_chunk():
                raise Truncated()
            take = self._chunk[self._pos : self._pos + need]
            self._pos += len(take)
            need -= len(take)
            parts.append(take)
        self.offset += size
        return b"".join(parts)

    def read_up_to(self, size: int) -> bytes:
        try:
            return self.read_exact(size)
        except Truncated:
            return b""


def write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class PlainSink:
    """Writes to a file descriptor; copies files with the kernel (`copy_file_range`) where it can."""

    def __init__(self, fd: int, ticker: Ticker) -> None:
        self.fd = fd
        self.ticker = ticker
        self.offset = 0
        self._kernel_copy = hasattr(os, "copy_file_range")

    def write(self, data: bytes | memoryview) -> None:
        write_all(self.fd, data)
        self.offset += len(data)

    def copy_from(self, src: int, size: int, label: str) -> None:
        remaining = size
        while remaining:
            self.ticker.check()
            step = min(remaining, 8 * CHUNK)
            copied = self._copy_step(src, step)
            if copied == 0:
                raise IntegrityError(f"'{label}' became shorter while it was being archived.")
            remaining -= copied
            self.offset += copied
            self.ticker.advance(copied)

    def _copy_step(self, src: int, step: int) -> int:
        if self._kernel_copy:
            try:
                return os.copy_file_range(src, self.fd, step)
            except OSError:  # another file system, an old kernel: copy through user space
                self._kernel_copy = False
        data = os.read(src, step)
        write_all(self.fd, data)
        return len(data)


class EncryptingSink:
    """Collects plaintext into chunks and writes each chunk's ciphertext to the outer sink."""

    def __init__(self, outer: PlainSink, cipher: ChunkCipher, envelope: Envelope) -> None:
        self.outer = outer
        self.cipher = cipher
        self.envelope = envelope
        self.ticker = outer.ticker
        self.offset = 0
        self._buffer = bytearray()
        self._index = 0

    def write(self, data: bytes | memoryview) -> None:
        self._buffer += data
        self.offset += len(data)
        size = self.envelope.chunk_size
        while len(self._buffer) > size:  # keep the last full chunk: it may be the final one
            self._emit(bytes(self._buffer[:size]), final=False)
            del self._buffer[:size]

    def copy_from(self, src: int, size: int, label: str) -> None:
        remaining = size
        while remaining:
            self.ticker.check()
            data = os.read(src, min(remaining, CHUNK))
            if not data:
                raise IntegrityError(f"'{label}' became shorter while it was being archived.")
            self.write(data)
            remaining -= len(data)
            self.ticker.advance(len(data))

    def _emit(self, plaintext: bytes, *, final: bool) -> None:
        self.outer.write(self.cipher.encrypt(self._index, final, plaintext))
        self._index += 1

    def close(self) -> None:
        """Write the final chunk (possibly empty, for an empty payload)."""
        if self.offset != self.envelope.plaintext_size:
            raise IntegrityError("The payload is not the size its envelope announced.")
        self._emit(bytes(self._buffer), final=True)
        self._buffer.clear()
