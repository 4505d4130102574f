"""Issue 16.2: the window never tells its user to run a CLI command.

Two walks: every `HyperOtaError` subclass of the app, built as the code builds it where that needs no
more than a message, and every error the services, stores and domain raise with a `hint=` (read from
the source, so an error raised on a path no test reaches is checked too). Whatever names a `hyperota`
command or a CLI flag in its hint must carry a `gui_hint` (what to click, whom to ask) that names none.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import hyperota_desktop
from hyperota_desktop.domain.errors import HyperOtaError

CLI_WORDS = re.compile(r"hyperota [a-z][a-z-]*|(?<![\w-])--[a-z][a-z-]+")
ROOT = Path(hyperota_desktop.__file__).parent
LAYERS = ("domain", "stores", "services")


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _text(node: ast.AST | None) -> str:
    """The literal text of a str expression (f-string holes, names and calls left out)."""
    if node is None:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(part) for part in node.values)
    if isinstance(node, ast.BinOp):
        return _text(node.left) + _text(node.right)
    if isinstance(node, ast.IfExp):
        return _text(node.body) + " " + _text(node.orelse)
    return ""


def test_every_error_class_speaks_to_a_window_user_without_cli_commands() -> None:
    for info in pkgutil.walk_packages([str(ROOT)], "hyperota_desktop."):
        if info.name.split(".")[1] in (*LAYERS, "ui") and ".sandbox" not in info.name:
            importlib.import_module(info.name)
    classes = _subclasses(HyperOtaError)
    assert len(classes) > 20, classes  # the walk saw the app's errors, not just the base's own
    shown = {}
    for cls in classes:
        required = [
            p
            for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
            if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if [p.name for p in required] == ["message"]:  # the message alone: what its default hint says
            shown[cls.__qualname__] = cls("Something went wrong.").user_text(gui=True)
    bad = {name: text for name, text in shown.items() if CLI_WORDS.search(text)}
    assert not bad, bad


def test_every_hint_raised_naming_a_cli_command_has_window_wording() -> None:
    missing: list[str] = []
    checked = 0
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                words = {k.arg: k.value for k in node.keywords if k.arg in ("hint", "gui_hint")}
                hint = _text(words.get("hint"))
                if not CLI_WORDS.search(hint):
                    continue
                checked += 1
                gui = _text(words.get("gui_hint"))
                if "gui_hint" not in words or CLI_WORDS.search(gui):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {hint!r} / {gui!r}")
    assert checked >= 10, checked  # the walk found the hints that name commands
    assert not missing, "\n".join(missing)
