"""What a crash-point test does: set up, run a command that is killed at the point, run it again.

`CrashEnv.kill(command, crash)` runs the real `hyperota` process and kills it with SIGKILL at `crash`:
a probe point (`step-end:app.create/verify the application`, `parts:1`, ...: tests/support/crash_cli.py)
or a request the emulator has just carried out, before its answer leaves (`request aws PUT <regex>`).
Then the person runs the same command again (`again`), which reconciles the journal first.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.stores.upload_checkpoints import UploadCheckpoints
from tests.reliability.conftest import fresh_org
from tests.reliability.harness import Home, Run
from tests.reliability.invariants import Expect, audit
from tests.support import bundles

MiB = 1024 * 1024


def big_bundle(root: Path, seed: bytes = b"") -> Path:
    """An app whose bundle is uploaded in parts (12 MiB: three 5 MiB parts at the suite's settings)."""
    return bundles.write(root, {
        "index.android.bundle": b"var app = 1;" + seed + os.urandom(12 * MiB),
        "drawable-mdpi/logo.png": b"\x89PNG logo" + seed + os.urandom(64),
        "raw/sound.mp3": b"\x01" * 3000 + seed,
    })  # fmt: skip


@dataclass
class CrashEnv:
    home: Home
    sb: Sandbox
    tmp: Path
    org: str = field(default_factory=fresh_org)
    checkpointed: set[tuple[str, str, int]] = field(default_factory=set)
    kills: list[Run] = field(default_factory=list)

    # -- set-up, in this process through the same services ---------------------------------------------
    async def create(self, *apps: str) -> None:
        async with self.home.services() as s:
            await s.orgs.create_org(self.org)
            for app in apps:
                await s.orgs.create_app(self.org, app)

    async def publish(self, app: str, *, seed: bytes = b"", tag: str | None = None) -> int:
        root = bundles.react_native(self.tmp / f"small-{app}-{seed.hex()}", seed=seed)
        async with self.home.services() as s:
            return (await s.packages.publish(self.org, app, [root], tag=tag)).version

    async def release(self, app: str, package: str) -> str:
        async with self.home.services() as s:
            created = await s.releases.create(self.org, app, ReleaseDraft(package=package))
            return created.release.id

    # -- the command, killed, then again --------------------------------------------------------------
    def kill(self, command: tuple[str, ...], crash: str) -> Run:
        """Run `command`, killed at `crash`; remember which parts it had recorded as stored."""
        if crash.startswith("request "):
            _, server, method, path = crash.split(" ", 3)
            killed = self._kill_on_request(command, server, method, path)
        else:
            killed = self.home.cli(*command, crash_at=crash)
        assert killed.crashed, f"not killed at {crash}:\n{killed}"
        assert crash.startswith("request ") or f"CRASH {crash.split('#')[0]}" in killed.err, killed
        self.kills.append(killed)
        self.checkpointed |= self._checkpointed_parts()
        return killed

    def _kill_on_request(self, command: tuple[str, ...], server: str, method: str, path: str) -> Run:
        proc = self.home.popen(*command)

        def kill(_method: str, _path: str) -> None:
            os.kill(proc.pid, signal.SIGKILL)

        self.sb.servers[server].faults.add(path, method=method, apply=True, drop=True, on_hit=kill)
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        finally:
            self.sb.servers[server].faults.clear()
        return Run(command, proc.returncode, out, err)

    def again(self, command: tuple[str, ...], *, code: int = 0) -> Run:
        run = self.home.cli(*command)
        assert run.code == code, run
        return run

    def _checkpointed_parts(self) -> set[tuple[str, str, int]]:
        path = self.home.path / "data" / "upload_checkpoints.sqlite3"
        if not path.exists():
            return set()
        store = UploadCheckpoints(path)
        try:
            bucket = self.sb.aws.bucket
            found = set()
            for upload_id, key in store.upload_ids(bucket, f"{self.org}/").items():
                checkpoint = store.get(bucket, key)
                for number in checkpoint.parts if checkpoint else {}:
                    found.add((f"{bucket}/{key}", upload_id, number))
            return found
        finally:
            store.close()

    def problems(self, expect: Expect) -> list[str]:
        return audit(self.sb, self.org, expect, journal=self.home.journal(), checkpointed=self.checkpointed)

    def cli_json(self, *argv: str) -> Any:
        run = self.home.cli(*argv, "--json")
        assert run.code == 0, run
        return run.json()
