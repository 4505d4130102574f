"""Issue 16.2: what alice typed does not wait in the window for bob.

alice types a device identifier and toss in the device preview, a person to add on the Members page
and a tag on the Packages page, then signs out; bob signs in in the same window. None of it is there
for him; the package search (a filter, not alice's data) stays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hyperota_desktop.sandbox.runtime import Sandbox
from tests.support.gui import select, until
from tests.support.gui_app import signed_in_on, unique, wired
from tests.support.signin import grant
from tests.ui.test_second_person import sign_in_as


def test_the_next_person_finds_no_input_of_the_previous_one(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    app = unique("inputs")
    services, gui = wired(tmp_path, sandbox, qtbot, "alice", f"/guiorg/{app}/admin")
    grant(sandbox, "bob", f"/guiorg/{app}/read")
    panel = gui.release_gui.releases_page.preview
    members, packages = gui.orgs.members_page, gui.packages._page

    async def scenario() -> None:
        await signed_in_on(gui, "guiorg", app)
        gui.window.show_page("releases")
        gui.release_gui.releases_page.tabs.setCurrentWidget(panel)
        panel.identifier.setText("device-0042")
        panel.toss.setValue(42)
        members.user_edit.setText("carol@example.com")
        packages.tag_edit.setText("beta")
        packages.detail_tag_edit.setText("stable")
        packages.search.setText("v1")

        gui.window.sign_out_action.trigger()
        await until(lambda: gui.auth.identity is None, "the sign-out")
        await gui.wait_idle()
        await sign_in_as(gui, sandbox, "bob")
        select(gui.window, "guiorg", app)
        await gui.wait_idle()
        left = {
            "preview identifier": panel.identifier.text(),
            "preview toss": panel.toss.value() if panel.toss.value() != panel.toss.minimum() else "",
            "member to add": members.user_edit.text(),
            "tag to publish with": packages.tag_edit.text(),
            "tag to move": packages.detail_tag_edit.text(),
        }
        assert not any(left.values()), left
        assert packages.search.text() == "v1"  # a filter stays
        await services.aclose()

    loop.run_until_complete(scenario())
