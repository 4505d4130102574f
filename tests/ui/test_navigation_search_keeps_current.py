"""Issue 16.2: the navigation's search does not lose what the pages show.

A search that hides the selected application drops it from the tree while the pages still show it.
Cleared (or widened until it is listed again), the tree's current row is that application again, the
one the pages show, without reloading the pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.ui.models.navigation import APP_ROLE, ORG_ROLE
from tests.support.gui import select
from tests.support.gui_app import signed_in, unique, wired


def test_clearing_the_search_reselects_what_the_pages_show(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    shown, other = unique("shown"), unique("other")
    services, gui = wired(tmp_path, sandbox, qtbot, "dave", f"/guiorg/{shown}/read", f"/guiorg/{other}/read")
    window = gui.window

    def current() -> tuple[str, str]:
        index = window.nav_tree.currentIndex()
        return (index.data(ORG_ROLE) or "", index.data(APP_ROLE) or "") if index.isValid() else ("", "")

    async def scenario() -> None:
        await signed_in(gui)
        select(window, "guiorg", shown)
        await gui.wait_idle()
        assert (gui.packages.org, gui.packages.app) == ("guiorg", shown)
        announced: list[tuple[str, str]] = []
        window.selectionChanged.connect(lambda org, app: announced.append((org, app)))

        window.nav_search.setText(other)  # hides the selected application
        assert current() != ("guiorg", shown)
        window.nav_search.setText(shown[:4])  # widened: listed again
        assert current() == ("guiorg", shown)
        window.nav_search.setText(other)
        window.nav_search.clear()
        assert current() == ("guiorg", shown), current()
        assert window.nav_tree.selectionModel().isSelected(window.nav_tree.currentIndex())
        assert not announced, announced  # the pages show it already: nothing reloads
        assert (gui.packages.org, gui.packages.app) == ("guiorg", shown)
        await services.aclose()

    loop.run_until_complete(scenario())
