"""Reading and verifying `.hota` archives in one strict pass (blocking: run in a worker thread).

Each member's header is compared with the canonical bytes the manifest implies, every file is hashed as
it streams by (and, when extracting, written under a fresh folder by its manifest path only), padding
must be zeros and nothing may follow the end. The report gets one check per part; the first structural
deviation stops the read (what comes after it cannot be trusted) and is described by `diagnose`. The
signature is not checked here: the service does that with the caller's trusted key or KMS.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from hyperota_desktop.domain.archive_manifest import (
    ENVELOPE_MEMBER,
    MANIFEST_MEMBER,
    MAX_MANIFEST_SIZE,
    PAYLOAD_MEMBER,
    SEAL_MEMBER,
    ArchiveFile,
    ArchiveManifest,
    member_name,
    package_problems,
    release_config_problems,
    release_problems,
)
from hyperota_desktop.domain.archive_report import VerifyReport
from hyperota_desktop.domain.archive_seal import MAX_SMALL_MEMBER, Envelope, Seal
from hyperota_desktop.domain.archive_tar import (
    BLOCK,
    END_OF_ARCHIVE,
    RawHeader,
    end_padding,
    is_zero_block,
    member_header,
    padding,
    parse_header,
)
from hyperota_desktop.domain.bundles import DEFAULT_LIMITS, Limits
from hyperota_desktop.domain.errors import IntegrityError, ValidationError
from hyperota_desktop.services.archive_crypto import ChunkCipher
from hyperota_desktop.services.archive_diagnose import Expected, diagnose
from hyperota_desktop.services.archive_stream import CHUNK, DecryptingSource, PlainSource, Ticker, Truncated

_ORDER = {"structure": 0, "encryption": 1, "manifest": 2, "package": 3, "release config": 4, "release": 4,
          "seal": 6, "signature": 7}  # fmt: skip
Source = PlainSource | DecryptingSource


class _Stop(Exception):
    """Reading cannot go on; the report says why."""


@dataclass
class ReadResult:
    report: VerifyReport
    manifest: ArchiveManifest | None = None
    seal: Seal | None = None
    envelope: Envelope | None = None
    seal_offset: int = 0  # where the seal member starts (signing replaces it)
    outer_mtime: int = 0  # time in the outer headers (0 for an encrypted archive)


def _max_plaintext(limits: Limits) -> int:
    return limits.max_total_size + MAX_MANIFEST_SIZE + 4096 * (limits.max_files + 8)


def peek_envelope(path: Path, limits: Limits = DEFAULT_LIMITS) -> Envelope | None:
    """The envelope of an encrypted archive, None for a plain one (or one too broken to say: the full
    read reports that)."""
    try:
        with path.open("rb") as fh:
            block = fh.read(BLOCK)
            head = parse_header(block) if len(block) == BLOCK else None
            if head is None or head.name != ENVELOPE_MEMBER or not 0 <= head.size <= MAX_SMALL_MEMBER:
                return None
            return Envelope.parse(fh.read(head.size), max_plaintext=_max_plaintext(limits))
    except ValidationError:
        return None


class ArchiveReader:
    def __init__(
        self,
        path: Path,
        *,
        limits: Limits = DEFAULT_LIMITS,
        data_key: bytes | None = None,
        extract_to: Path | None = None,
        ticker: Ticker | None = None,
    ) -> None:
        self.path = path
        self.limits = limits
        self.data_key = data_key
        self.extract_to = extract_to
        self.ticker = ticker or Ticker()
        self._where = "its first header"
        self._buffer = bytearray(CHUNK)

    def read(self) -> ReadResult:
        result = ReadResult(VerifyReport(archive=str(self.path)))
        report = result.report
        try:
            with self.path.open("rb", buffering=CHUNK) as fh:
                self._outer(PlainSource(fh, self.ticker), result)
            report.passed("structure", "every member is where the manifest says, in canonical form")
        except _Stop:
            pass
        except Truncated:
            report.failed("structure", f"the archive is truncated: it ends in {self._where}")
        except OSError as exc:
            report.failed("structure", f"the archive could not be read ({exc.strerror or exc})")
        finally:
            self.ticker.flush(file_finished=True)
        report.checks.sort(key=lambda c: _ORDER.get(c.part, 5))
        return result

    # -- helpers ------------------------------------------------------------------------------------
    def _fail(self, message: str, part: str = "structure", *, report: VerifyReport) -> NoReturn:
        report.failed(part, message)
        raise _Stop()

    def _small(
        self, src: Source, block: bytes, head: RawHeader, name: str, limit: int, r: VerifyReport
    ) -> bytes:
        if not head.checksum_ok:
            self._fail(f"the tar header of '{name}' is corrupt (its checksum does not match)", report=r)
        if not head.regular:
            self._fail(f"'{name}' is {head.kind}, not a regular file", report=r)
        if not 0 <= head.size <= limit:
            self._fail(f"'{name}' is larger than the format allows ({head.size} > {limit} bytes)", report=r)
        self._where = f"'{name}'"
        data = src.read_exact(head.size)
        self._zeros(src, head.size, name, r)
        return data

    def _zeros(self, src: Source, size: int, name: str, r: VerifyReport) -> None:
        if any(src.read_exact(padding(size))):
            self._fail(f"the padding after '{name}' is not zeros (bytes were altered)", report=r)

    def _canonical(self, block: bytes, name: str, size: int, mtime: int, r: VerifyReport) -> None:
        if member_header(name, size, mtime) != block:
            self._fail(f"the tar header of '{name}' is not in canonical form (it was altered)", report=r)

    def _end(self, src: PlainSource, r: VerifyReport) -> None:
        self._where = "its end marker"
        expected = end_padding(src.offset)
        tail = src.read_up_to(expected)
        if len(tail) < expected:
            raise Truncated()
        if any(tail):
            first = tail[:BLOCK]
            if not is_zero_block(first) and parse_header(first).checksum_ok:
                self._fail(f"unexpected member '{parse_header(first).name}' after the seal", report=r)
            self._fail("the end-of-archive marker was altered (it must be zeros)", report=r)
        extra = len(src.read_up_to(CHUNK))
        if extra:
            self._fail(f"there is data after the end of the archive ({extra}+ bytes)", report=r)

    # -- outer layout -------------------------------------------------------------------------------
    def _outer(self, src: PlainSource, result: ReadResult) -> None:
        r = result.report
        block = src.read_up_to(BLOCK)
        head = parse_header(block) if len(block) == BLOCK else None
        if head is None or is_zero_block(block) or not head.ustar:
            self._fail(
                "this is not a HyperOTA archive (.hota): it does not start with a tar header", report=r
            )
        assert head is not None
        if not head.checksum_ok:
            self._fail("the tar header of the archive's first member is corrupt (checksum)", report=r)
        if head.name == ENVELOPE_MEMBER:
            self._encrypted(src, block, head, result)
        elif head.name == MANIFEST_MEMBER:
            result.manifest = self._plain(src, block, head, result, inner=False)
            result.outer_mtime = result.manifest.mtime
        else:
            self._fail(
                f"this is not a HyperOTA archive: its first member is '{head.name}', not {MANIFEST_MEMBER}",
                report=r,
            )
        self._seal(src, result)
        self._end(src, r)

    def _encrypted(self, src: PlainSource, block: bytes, head: RawHeader, result: ReadResult) -> None:
        r = result.report
        r.encrypted = True
        raw = self._small(src, block, head, ENVELOPE_MEMBER, MAX_SMALL_MEMBER, r)
        try:
            envelope = Envelope.parse(raw, max_plaintext=_max_plaintext(self.limits))
        except ValidationError as exc:
            self._fail(f"the envelope is not valid: {exc.message}", "encryption", report=r)
        self._canonical(block, ENVELOPE_MEMBER, len(raw), 0, r)
        result.envelope = envelope
        block = src.read_up_to(BLOCK)
        self._where = "the payload's header"
        want = member_header(PAYLOAD_MEMBER, envelope.ciphertext_size, 0)
        if block != want:
            found = parse_header(block) if len(block) == BLOCK else None
            if found is not None and found.name == PAYLOAD_MEMBER and found.size != envelope.ciphertext_size:
                self._fail(
                    f"the payload is {found.size} bytes, its envelope announces {envelope.ciphertext_size} "
                    "(truncated or extended)",
                    report=r,
                )
            if len(block) < BLOCK:
                raise Truncated()
            self._fail(
                diagnose(block, src, [Expected(PAYLOAD_MEMBER, envelope.ciphertext_size)], set()), report=r
            )
        self._where = "the encrypted payload"
        if self.data_key is None:
            remaining = envelope.ciphertext_size
            while remaining:
                got = src.readinto(memoryview(self._buffer)[: min(CHUNK, remaining)])
                if not got:
                    raise Truncated()
                remaining -= got
            r.skipped("files", "not checked: the payload could not be decrypted")
        else:
            inner = DecryptingSource(src, ChunkCipher(self.data_key, envelope), envelope)
            try:
                first = inner.read_up_to(BLOCK)
                first_head = parse_header(first) if len(first) == BLOCK else None
                if first_head is None or first_head.name != MANIFEST_MEMBER:
                    self._fail(
                        "the decrypted payload does not start with the manifest", "encryption", report=r
                    )
                assert first_head is not None
                manifest = self._plain(inner, first, first_head, result, inner=True)
                if any(inner.read_exact(len(END_OF_ARCHIVE))) or not inner.exhausted:
                    self._fail("the decrypted payload has data after its end marker", "encryption", report=r)
            except IntegrityError as exc:
                self._fail(exc.message, "encryption", report=r)
            r.passed(
                "encryption",
                f"AES-256-GCM, {envelope.chunk_count} chunk(s) authentic; "
                f"data key of KMS key {envelope.kms_key_id}",
            )
            result.manifest = manifest
            if manifest.digest() != envelope.manifest_sha256:
                self._fail("the decrypted manifest is not the one its envelope names", "manifest", report=r)
        self._zeros(src, envelope.ciphertext_size, PAYLOAD_MEMBER, r)

    # -- plain members ------------------------------------------------------------------------------
    def _plain(
        self, src: Source, block: bytes, head: RawHeader, result: ReadResult, *, inner: bool
    ) -> ArchiveManifest:
        r = result.report
        raw = self._small(src, block, head, MANIFEST_MEMBER, MAX_MANIFEST_SIZE, r)
        try:
            manifest = ArchiveManifest.parse(raw, self.limits)
        except ValidationError as exc:
            self._fail(exc.user_text(), "manifest", report=r)
        self._canonical(block, MANIFEST_MEMBER, len(raw), manifest.mtime, r)
        r.manifest_sha256 = manifest.digest()
        r.org, r.app, r.package_version = manifest.org, manifest.app, manifest.package.version
        r.files, r.total_size = len(manifest.files), manifest.total_size
        r.kind = manifest.kind
        r.passed("manifest", f"format {manifest.format}, {manifest.kind}, sha256 {r.manifest_sha256[:16]}…")
        parts = [("package", package_problems(manifest), "matches the archive's files"),
                 ("release config", release_config_problems(manifest), "valid for this package")]  # fmt: skip
        release = manifest.release_part
        if release is not None:
            r.release = release.describe()
            parts.append(("release", release_problems(manifest), f"{release.describe()}, as its config says"))
        for part, problems, fine in parts:
            if problems:
                r.failed(part, "; ".join(problems[:5]))
            else:
                r.passed(part, fine)
        expected = [Expected(member_name(f.path), f.size) for f in manifest.files]
        if not inner:
            expected.append(Expected(SEAL_MEMBER, None))
        consumed: set[str] = set()
        for i, file in enumerate(manifest.files):
            self._file(src, file, manifest.mtime, expected[i:], consumed, r)
            consumed.add(expected[i].name)
        return manifest

    def _file(
        self,
        src: Source,
        file: ArchiveFile,
        mtime: int,
        expected: list[Expected],
        consumed: set[str],
        r: VerifyReport,
    ) -> None:
        name = member_name(file.path)
        want = member_header(name, file.size, mtime)
        self._where = f"the header of '{name}'"
        for offset in range(0, len(want), BLOCK):
            block = src.read_up_to(BLOCK)
            if block != want[offset : offset + BLOCK]:
                if len(block) < BLOCK:
                    raise Truncated()
                if offset:
                    self._fail(f"the tar header of '{name}' was altered", report=r)
                self._fail(diagnose(block, src, expected, consumed), report=r)
        self._where = f"the data of '{name}'"
        digest = hashlib.sha256()
        out = None
        if self.extract_to is not None:
            dest = self.extract_to.joinpath(*file.path.split("/"))
            dest.parent.mkdir(parents=True, exist_ok=True)
            out = dest.open("xb")  # never follows or replaces anything already there
        try:
            view = memoryview(self._buffer)
            remaining = file.size
            while remaining:
                got = src.readinto(view[: min(CHUNK, remaining)])
                if not got:
                    raise Truncated()
                digest.update(view[:got])
                if out is not None:
                    out.write(view[:got])
                remaining -= got
                self.ticker.check()
        finally:
            if out is not None:
                out.close()
        self._zeros(src, file.size, name, r)
        actual = digest.hexdigest()
        if actual == file.sha256:
            r.passed(f"file {file.path}", f"{file.size} bytes, sha256 {actual[:16]}…")
        else:
            r.failed(
                f"file {file.path}",
                f"its SHA-256 is {actual[:16]}…, the manifest says {file.sha256[:16]}… (it was altered)",
            )

    def _seal(self, src: PlainSource, result: ReadResult) -> None:
        r = result.report
        result.seal_offset = src.offset
        self._where = "the seal's header"
        block = src.read_up_to(BLOCK)
        if len(block) < BLOCK:
            raise Truncated()
        head = parse_header(block)
        if is_zero_block(block):
            self._fail("the seal is missing (the archive ends after its files)", report=r)
        if head.name != SEAL_MEMBER:
            self._fail(diagnose(block, src, [Expected(SEAL_MEMBER, None)], set()), report=r)
        raw = self._small(src, block, head, SEAL_MEMBER, MAX_SMALL_MEMBER, r)
        self._canonical(block, SEAL_MEMBER, len(raw), result.outer_mtime, r)
        try:
            seal = Seal.parse(raw)
        except ValidationError as exc:
            self._fail(exc.message, "seal", report=r)
        result.seal = seal
        r.signed = seal.signature is not None
        if result.manifest is not None:
            digest = result.manifest.digest()
        elif result.envelope is not None:
            digest = result.envelope.manifest_sha256
        else:
            digest = ""
        if seal.manifest_sha256 == digest:
            r.passed("seal", f"records this manifest (sha256 {digest[:16]}…)")
        else:
            r.failed(
                "seal",
                f"records manifest sha256 {seal.manifest_sha256[:16]}…, but the manifest's is {digest[:16]}… "
                "(the manifest or the seal was altered, or the seal is another archive's)",
            )
