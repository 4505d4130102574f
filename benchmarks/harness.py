"""What the process benchmarks share: timing a whole process, alternating runs, medians, and the
environment a user's machine has (a Secret Service keyring, the sandbox in its own process, an X display).

- `run_process(argv, env)`: wall time and peak resident memory of one process (`posix_spawn` + `wait4`).
- `KeyringSession`: a private D-Bus session with an unlocked gnome-keyring, so sign-in tokens survive
  between CLI processes exactly as on a desktop (the packages `dbus-daemon gnome-keyring`).
- `SandboxProcess`: `hyperota sandbox up` in its own process (Keycloak, Superposition, S3/KMS on moto),
  auto-approving sign-ins as one user; `signed_in_home()` imports its profile and signs in.
- `Xvfb`: a virtual X display for GUI processes.
- `Samples` / `median_ms`: medians and ratios against the peer measured in the same run.
- `compile_bytecode()`: the app's modules compiled as `pip install` leaves an installed package.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HYPEROTA = str(BIN / "hyperota")
HYPEROTA_DESKTOP = str(BIN / "hyperota-desktop")


def compile_bytecode() -> None:
    """Compile the app's modules to bytecode (`__pycache__`), as `pip install` does for an installed
    package and did for the AWS CLI it is compared with. The checkout is an editable install: with
    `PYTHONDONTWRITEBYTECODE` set (as in CI and on the shared machine) every CLI process would compile
    every module it imports again (about 0.2 s of each run), which no user's installed app does."""
    import compileall

    compileall.compile_dir(str(ROOT / "hyperota_desktop"), quiet=1)


@dataclass(frozen=True)
class ProcessResult:
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float


def run_process(argv: list[str], env: dict[str, str], *, cwd: str | None = None) -> ProcessResult:
    """Run one process to its end (output to /dev/null): wall time, peak resident set, CPU time."""
    devnull = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
    if cwd is not None:
        argv = ["/bin/sh", "-c", 'cd "$0" && exec "$@"', cwd, *argv]
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=devnull)
    _pid, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} failed with exit code {code}")
    return ProcessResult(elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


def checked(argv: list[str], env: dict[str, str], *, input_text: str | None = None) -> str:
    """Run a set-up command; its stdout, or RuntimeError with its output."""
    done = subprocess.run(argv, env=env, input=input_text, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr or done.stdout}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def rounded(value: float, digits: int = 3) -> float:
    return round(value, digits)


@dataclass
class Samples:
    """Measurements of ours and of the peer, taken in alternation in one run."""

    ours: list[float] = field(default_factory=list)
    peer: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return median(self.ours) / median(self.peer) if self.peer else float("nan")


def in_turn(run: int, ours: Callable[[int], None], peer: Callable[[int], None]) -> None:
    """One pair of alternating runs: ours first in even runs, the peer first in odd ones, so a machine
    that gets busier or quieter during the benchmark favours neither."""
    first, second = (ours, peer) if run % 2 == 0 else (peer, ours)
    first(run)
    second(run)


def base_env(home: Path) -> dict[str, str]:
    """The environment of every measured process: its own profile folder, no AWS settings of the machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HYPEROTA_HOME=str(home),
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
    )
    return env


class KeyringSession:
    """A private D-Bus session bus with an unlocked gnome-keyring (Secret Service), as on a desktop."""

    def __init__(self, root: Path) -> None:
        for tool in ("dbus-daemon", "gnome-keyring-daemon"):
            if shutil.which(tool) is None:
                raise RuntimeError(f"{tool} is needed (Debian: apt-get install dbus-daemon gnome-keyring)")
        self.root = root
        runtime = root / "run"
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        (root / "home").mkdir(exist_ok=True)
        self.env = {
            "HOME": str(root / "home"),
            "XDG_RUNTIME_DIR": str(runtime),
            "XDG_DATA_HOME": str(root / "home" / "data"),
            "XDG_CONFIG_HOME": str(root / "home" / "config"),
        }
        address = f"unix:path={runtime}/bus"
        out = subprocess.run(
            ["dbus-daemon", "--session", "--fork", "--print-pid=1", f"--address={address}"],
            capture_output=True, text=True, check=True, env={**os.environ, **self.env},
        )  # fmt: skip
        self._dbus_pid = int(out.stdout.split()[0])
        self.env["DBUS_SESSION_BUS_ADDRESS"] = address
        # In the foreground, so that it is our child and stops by its id.
        self._keyring = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, **self.env},
        )  # fmt: skip
        assert self._keyring.stdin is not None
        self._keyring.stdin.write("bench-keyring")  # the password that unlocks the login keyring
        self._keyring.stdin.close()
        probe = "import keyring; keyring.set_password('hyperota-bench', 'probe', 'ok')"
        for _ in range(100):
            done = subprocess.run([sys.executable, "-c", probe], env={**os.environ, **self.env},
                                  capture_output=True)  # fmt: skip
            if done.returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("gnome-keyring did not answer on the private D-Bus session")

    def close(self) -> None:
        self._keyring.terminate()
        self._keyring.wait(timeout=10)
        with suppress(ProcessLookupError):
            os.kill(self._dbus_pid, signal.SIGTERM)


class SandboxProcess:
    """`hyperota sandbox up` in its own process; sign-ins are approved as `user` at once."""

    def __init__(self, root: Path, env: dict[str, str], *, user: str = "dave") -> None:
        self.endpoints_file = root / "endpoints.json"
        sandbox_env = {**env, "HYPEROTA_HOME": str(root / "sandbox-home")}
        self._log = open(root / "sandbox.log", "w")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [HYPEROTA, "sandbox", "up", "--endpoints-file", str(self.endpoints_file), "--auto-approve", user],
            env=sandbox_env, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while not self.endpoints_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not start: {(root / 'sandbox.log').read_text()}")
            time.sleep(0.05)
        self.endpoints: dict[str, Any] = json.loads(self.endpoints_file.read_text())

    def cpu_seconds(self) -> float:
        """CPU time the sandbox (moto, the emulators: one process) has used so far (Linux `/proc`)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def s3(self) -> Any:
        import boto3

        e = self.endpoints
        return boto3.session.Session().client(
            "s3", endpoint_url=e["s3_endpoint"], region_name=e["region"],
            aws_access_key_id=e["aws_access_key_id"], aws_secret_access_key=e["aws_secret_access_key"],
        )  # fmt: skip

    def delete_prefix(self, prefix: str) -> None:
        """Empty a prefix of the bucket (between runs: moto keeps every object in memory)."""
        s3, bucket = self.s3(), self.endpoints["bucket"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        s3.close()

    def signed_in_home(self, home: Path, env: dict[str, str], profile: str = "bench") -> None:
        """Import the sandbox's profile into `home`, make it active and sign in (auto-approved)."""
        env = {**env, "HYPEROTA_HOME": str(home)}
        checked([HYPEROTA, "profile", "import", str(self.endpoints_file), "--name", profile], env)
        checked([HYPEROTA, "profile", "use", profile], env)
        checked([HYPEROTA, "login", "--profile", profile], env)

    def aws_env(self, env: dict[str, str]) -> dict[str, str]:
        """What `aws` needs to reach the sandbox's S3 (the same keys the profile uses)."""
        e = self.endpoints
        return {
            **env,
            "AWS_ACCESS_KEY_ID": e["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": e["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": e["region"],
        }

    def close(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


class Xvfb:
    """A virtual X display (1400x900x24) for GUI processes; `env` has its DISPLAY."""

    def __init__(self) -> None:
        if shutil.which("Xvfb") is None:
            raise RuntimeError("Xvfb is needed for the GUI benchmarks (Debian: apt-get install xvfb)")
        read, write = os.pipe()
        self.process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        self.env = {"DISPLAY": f":{number}", "QT_QPA_PLATFORM": "xcb"}

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def make_bundle(root: Path, *, big_mb: int, small_files: int, small_kb: int) -> int:
    """A React Native bundle: one `big_mb` index file and `small_files` assets of `small_kb`, random."""
    (root / "assets").mkdir(parents=True)
    with (root / "index.android.bundle").open("wb") as fh:
        for _ in range(big_mb):
            fh.write(os.urandom(1024 * 1024))
    for i in range(small_files):
        folder = root / f"assets/a{i // 100}"
        folder.mkdir(exist_ok=True)
        (folder / f"f{i}.png").write_bytes(os.urandom(small_kb * 1024))
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def temp_root(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_gb, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
