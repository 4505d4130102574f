"""Issue 16 item 11: "Test connection" in the profile editor checks each backend of the profile as it
stands in the editor (saved or not), against the sandbox over HTTP, and says per backend what failed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import build_gui
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.profiles import profile_from_endpoints
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.ui.widgets.profile_editor import edit_profile


def lines(editor: Any) -> dict[str, str]:
    """Backend → its result line."""
    found = {}
    for line in editor.test_results.text().splitlines():
        backend = line[2:].split(":", 1)[0]
        found[backend] = line
    return found


def test_each_backend_is_checked_and_failures_say_which(
    qtbot: Any, tmp_path: Path, loop: Any, memory_keyring: Any, sandbox: Sandbox
) -> None:
    sb = sandbox  # the session's
    services = build_services(AppDirs.under(tmp_path))
    gui = build_gui(services)
    qtbot.addWidget(gui.window)
    profile, keys = profile_from_endpoints(sb.endpoints, "fresh")
    assert keys is not None
    editor = edit_profile(gui.window, None, set(), lambda *_: None, gui.shell._test)
    for name, value in profile.to_dict().items():
        if name in editor._edits:
            editor._edits[name].setText(str(value))
    editor.mode.setCurrentText(profile.aws_credential_mode.value)
    editor.key_id.setText(keys[0])
    editor.secret.setText(keys[1])
    button = editor.test_button
    assert button.isVisible() and button.isEnabled() and button.accessibleName()

    async def test() -> None:
        button.click()
        assert not button.isEnabled() and "Testing" in editor.test_results.text()
        await gui.shell.wait_idle()

    loop.run_until_complete(test())
    shown = lines(editor)
    assert set(shown) == {"Sign-in (Keycloak)", "Superposition", "S3", "KMS"}, shown
    assert all(line.startswith("✔") for line in shown.values()), shown
    assert button.isEnabled()
    assert services.profiles.list() == [], "a test saves nothing"

    # What is wrong is said per backend: an unknown bucket, a Superposition that is down.
    editor._edits["bucket"].setText("no-such-bucket-here")
    sb.servers["superposition"].faults.add(r"^/health$", method="GET", status=503, body={}, times=5)
    loop.run_until_complete(test())
    shown = lines(editor)
    assert shown["S3"].startswith("✘") and ("404" in shown["S3"] or "NoSuchBucket" in shown["S3"]), shown
    assert shown["Superposition"].startswith("✘") and "503" in shown["Superposition"], shown
    assert shown["Sign-in (Keycloak)"].startswith("✔") and shown["KMS"].startswith("✔"), shown
    sb.servers["superposition"].faults.clear()

    editor._edits["issuer"].setText(sb.endpoints["issuer"].rsplit("/realms/", 1)[0] + "/realms/nope")
    loop.run_until_complete(test())
    assert lines(editor)["Sign-in (Keycloak)"].startswith("✘"), editor.test_results.text()
    editor.reject()
    loop.run_until_complete(gui.shutdown())
