"""`hyperota` starts light: `--version` and `--help` import no backend library, a command imports only
its own module, and the command table `--help` shows says what the modules really register."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hyperota_desktop.cli.commands import COMMANDS, load, module_names

HEAVY = ("boto3", "botocore", "httpx", "PySide6", "authlib", "joserfc", "jsonschema", "keyring", "moto")
# The console script's own code (`from hyperota_desktop.app.cli_entry import main; sys.exit(main())`),
# writing the modules loaded when the process ends (a None entry is an import the app blocks, not a module).
LAUNCHER = """
import atexit, json, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(k for k, v in sys.modules.items() if v))))
from hyperota_desktop.app.cli_entry import main
sys.exit(main())
"""


def _imported(tmp_path: Path, *args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Every module the real `hyperota ARGS` process had imported when it ended."""
    out = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(out), *args], capture_output=True, text=True, timeout=60
    )
    return set(json.loads(out.read_text())), proc


@pytest.mark.parametrize("args", [("--version",), ("--help",), ()])
def test_version_help_and_usage_import_no_backend_library(args: tuple[str, ...], tmp_path: Path) -> None:
    modules, proc = _imported(tmp_path, *args)
    assert proc.returncode == (2 if not args else 0), proc.stderr[-2000:]
    loaded = {m.split(".")[0] for m in modules}
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    if args == ("--version",):
        assert proc.stdout.startswith("hyperota ")
    if args == ("--help",):
        assert all(name in proc.stdout for name in COMMANDS)  # every command listed, none imported
        assert not {m for m in modules if m.startswith("hyperota_desktop.cli.commands.")}


def test_a_command_imports_only_its_own_module(tmp_path: Path) -> None:
    modules, proc = _imported(tmp_path, "package", "--help")
    assert proc.returncode == 0 and "publish" in proc.stdout
    commands = {m.rsplit(".", 1)[1] for m in modules if m.startswith("hyperota_desktop.cli.commands.")}
    assert commands == {"packages"}  # not releases, archives, ... (each pulls in its own services)


@pytest.mark.parametrize("module", module_names())
def test_the_command_table_says_what_each_module_registers(module: str) -> None:
    sub = argparse.ArgumentParser().add_subparsers()
    load(module).register(sub)
    registered = {action.dest: action.help for action in sub._choices_actions}
    assert registered == {name: text for name, (owner, text) in COMMANDS.items() if owner == module}


def test_a_command_that_imports_httpx_leaves_out_its_command_line_client(tmp_path: Path) -> None:
    """httpx imports `httpx._main` (click, rich, pygments: 0.1-0.2 s) whenever those are installed, as
    they are here (Flask brings click, import-linter rich); the entry point keeps it out."""
    import importlib.util

    assert importlib.util.find_spec("click") and importlib.util.find_spec("rich")  # else nothing to show
    home = tmp_path / "home"
    env_script = f"import os; os.environ['HYPEROTA_HOME'] = {str(home)!r}\n" + LAUNCHER
    out = tmp_path / "modules.json"
    publish = ["package", "publish", "--org", "o", "--app", "a", str(tmp_path)]
    proc = subprocess.run(
        [sys.executable, "-c", env_script, str(out), *publish], capture_output=True, text=True, timeout=60
    )
    modules = set(json.loads(out.read_text()))
    assert "httpx" in modules, proc.stderr[-2000:]  # the command's services were built
    assert not {"httpx._main", "rich", "click", "pygments"} & modules
    # the archive service is built on first use: a publish never imports the archive format or its crypto
    assert not {"hyperota_desktop.services.archives", "hyperota_desktop.services.archive_crypto"} & modules
    # so are organisations, members and releases (profile_composition.py, `org_and_release`)
    assert not {"hyperota_desktop.services.orgs", "hyperota_desktop.services.releases"} & modules
    assert not {"hyperota_desktop.services.superposition", "hyperota_desktop.services.kms"} & modules


@pytest.mark.skipif(sys.platform == "darwin", reason="the macOS keyring backend is used there")
def test_choosing_a_keyring_does_not_look_for_macos_frameworks() -> None:
    """keyring's macOS backend runs `ldconfig -p` (via ctypes.util.find_library) when imported on Linux;
    the entry point blocks that module, and keyring still ranks the other backends."""
    script = (
        "import ctypes.util\n"
        "looked: list[str] = []\n"
        "ctypes.util.find_library = lambda name: looked.append(name)\n"
        "from hyperota_desktop.app.lean_imports import skip_unused_modules\n"
        "skip_unused_modules()\n"
        "import keyring.backend, keyring.core\n"
        "keyring.core.get_keyring()\n"
        "ranked = {type(k).__module__ for k in keyring.backend.get_all_keyring()}\n"
        "print(looked or 'none', 'keyring.backends.chainer' in ranked)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["none", "True"], proc.stderr[-2000:]


def test_the_command_freezes_its_start_up_and_leaves_its_objects_to_the_os(tmp_path: Path) -> None:
    """The `hyperota` script runs `console`: the command runs with the collector on (a long-running one,
    `sandbox up`, must not grow) and its start-up frozen out of it; at the end its objects are kept out
    of the interpreter's final collections, and its output is still written out whole."""
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="hyperota")
    assert script.value == "hyperota_desktop.app.cli_entry:console"
    probe = (
        "import gc, sys\n"
        "import hyperota_desktop.cli.main as cli\n"
        "real = cli.run_handler\n"
        "def spy(*args):\n"
        "    print('running', gc.isenabled(), gc.get_freeze_count(), file=sys.stderr)\n"
        "    return real(*args)\n"
        "cli.run_handler = spy\n"
        "from hyperota_desktop.app.cli_entry import console\n"
        "sys.argv = ['hyperota', '--json', 'profile', 'list']\n"
        "code = console()\n"
        "print('ended', gc.get_freeze_count(), file=sys.stderr)\n"
        "raise SystemExit(code)\n"
    )
    env = {**os.environ, "HYPEROTA_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env)
    running = proc.stderr.split("running ", 1)[1].split()[:2]
    ended = int(proc.stderr.rsplit("ended ", 1)[1].split()[0])
    assert running[0] == "True" and int(running[1]) > 10_000, proc.stderr[-2000:]
    assert ended >= int(running[1])
    json.loads(proc.stdout)  # the whole answer was flushed before the process ended
