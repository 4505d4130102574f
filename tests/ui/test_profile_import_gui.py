"""Issue 16 item 11: a profile (or a sandbox endpoints file) is imported from the window, File >
Import profile…, as `hyperota profile import` does; it becomes the active profile. A bad file or a
name already taken is refused with the reason and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import build_gui
from hyperota_desktop.stores.dirs import AppDirs

PROFILE = {
    "name": "imported",
    "issuer": "https://sso.example.com/realms/ota",
    "client_id": "hyperota-desktop",
    "bucket": "ota-files",
    "region": "eu-west-1",
}


def test_import_profile_from_the_file_menu(
    qtbot: Any, tmp_path: Path, loop: Any, memory_keyring: Any
) -> None:
    services = build_services(AppDirs.under(tmp_path / "home"))
    gui = build_gui(services)
    qtbot.addWidget(gui.window)
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))
    action = gui.window.import_profile_action
    assert action.objectName() and action.text() == "Import profile…"
    assert action in gui.window.menus["&File"].actions()

    good = tmp_path / "imported.json"
    good.write_text(json.dumps({"format": 1, "profile": PROFILE}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"hello": "world"}))
    chosen: list[Path | None] = [None, bad, good, good]

    async def choose() -> Path | None:
        return chosen.pop(0)

    gui.shell.choose_import_file = choose  # type: ignore[method-assign]

    async def scenario() -> None:
        for _ in range(4):
            action.trigger()
            await gui.shell.wait_idle()
            await gui.wait_idle()  # an import switches the profile: let the switch finish

    loop.run_until_complete(scenario())
    assert services.profiles.active_name() == "imported"
    assert services.profiles.get("imported").bucket == "ota-files"
    switcher = gui.window.profile_switcher
    assert switcher.currentText().startswith("imported")
    errors = [text for level, text in posted if level == "error"]
    # the bad file, then the second import of a name already taken
    assert not chosen and len(errors) == 2, (chosen, posted)
    assert "neither an exported profile nor a sandbox endpoints file" in errors[0]
    assert "imported" in errors[1]
    assert ("info", "Imported profile 'imported' from imported.json; it is now active.") in posted
