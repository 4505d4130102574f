"""The verification report of an archive: one line per check, each passed, failed or skipped.

Parts checked, in order: `structure` (the tar container: every header canonical, members in the order
the manifest gives, zero padding, nothing after the end), `encryption` (data key and every chunk, for an
encrypted archive), `manifest`, `package`, `release config`, `release` (a release archive's release agrees
with its release config), `file <path>` (SHA-256 and size of each),
`seal` (the manifest digest it records) and `signature`. A failed check names the part that is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Check:
    part: str
    status: Status
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"part": self.part, "status": self.status.value, "detail": self.detail}


@dataclass
class VerifyReport:
    archive: str
    checks: list[Check] = field(default_factory=list)
    manifest_sha256: str = ""
    encrypted: bool = False
    signed: bool = False
    org: str | None = None
    app: str | None = None
    package_version: int | None = None
    files: int = 0
    total_size: int = 0
    kind: str = ""  # "package" or "release" (once the manifest was read)
    release: str = ""  # a release archive's release, described ("release 12 to city=Pune")

    def passed(self, part: str, detail: str) -> None:
        self.checks.append(Check(part, Status.PASSED, detail))

    def failed(self, part: str, detail: str) -> None:
        self.checks.append(Check(part, Status.FAILED, detail))

    def skipped(self, part: str, detail: str) -> None:
        self.checks.append(Check(part, Status.SKIPPED, detail))

    def status_of(self, part: str) -> Status | None:
        found = [c.status for c in self.checks if c.part == part]
        if not found:
            return None
        return Status.FAILED if Status.FAILED in found else found[-1]

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status is Status.FAILED]

    @property
    def ok(self) -> bool:
        return bool(self.checks) and not self.failures

    @property
    def trusted(self) -> bool:
        """Every check passed and the signature was checked against a key the caller trusts."""
        return self.ok and self.status_of("signature") is Status.PASSED

    def summary(self) -> str:
        if not self.ok:
            first = (
                self.failures[0] if self.failures else Check("archive", Status.FAILED, "nothing was checked")
            )
            more = f" (and {len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
            return f"Verification FAILED — {first.part}: {first.detail}{more}"
        sig = next((c for c in self.checks if c.part == "signature"), None)
        trust = "signed and trusted" if self.trusted else (sig.detail if sig else "not signed")
        return f"Verified: {self.files} file(s), every check passed; {trust}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "archive": self.archive, "ok": self.ok, "trusted": self.trusted, "encrypted": self.encrypted,
            "signed": self.signed, "manifest_sha256": self.manifest_sha256, "org": self.org, "app": self.app,
            "package_version": self.package_version, "files": self.files, "total_size": self.total_size,
            "kind": self.kind or None, "release": self.release or None,
            "checks": [c.to_dict() for c in self.checks],
        }  # fmt: skip

    def text(self) -> str:
        """The human report: failures and non-file checks one per line, passed files counted."""
        marks = {Status.PASSED: "ok  ", Status.FAILED: "FAIL", Status.SKIPPED: "skip"}
        lines = [f"{self.archive}:"]
        file_passes = 0
        for check in self.checks:
            if check.part.startswith("file ") and check.status is Status.PASSED:
                file_passes += 1
                continue
            lines.append(f"  {marks[check.status]}  {check.part}: {check.detail}")
        if file_passes:
            lines.append(
                f"  {marks[Status.PASSED]}  files: {file_passes} file(s) match their SHA-256 and size"
            )
        lines.append(self.summary())
        return "\n".join(lines)
