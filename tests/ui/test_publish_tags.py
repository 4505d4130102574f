"""Issue 16.3: tags do not move silently.

The tag field is cleared after a publish (the next publish does not move the tag unasked); the
confirmation names the version the package will get and says when the tag would move; Detail shows
the tags of a version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.ui.views.publish_panel import DropArea
from tests.support import bundles
from tests.support.gui import drop, until
from tests.support.gui_app import signed_in_on, unique, wired


def test_the_confirmation_says_the_version_and_that_a_tag_moves(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    app = unique("tags")
    services, gui = wired(tmp_path, sandbox, qtbot, "dave", f"/guiorg/{app}/write")
    presenter, page = gui.packages, gui.packages._page
    first = bundles.write(tmp_path / "one", {"index.android.bundle": b"one"})
    second = bundles.write(tmp_path / "two", {"index.android.bundle": b"two"})

    async def review(root: Path, tag: str) -> str:
        drop(page, [root])
        assert page.drop_area.label.text() == f"Bundle: {root}"  # issue 16.10: the chosen folder is shown
        await until(lambda: page.publish_button.isEnabled(), "the pre-flight")
        page.tag_edit.setText(tag)
        page.publish_button.click()
        await until(lambda: page.confirm_panel.isVisibleTo(page), "the confirmation")
        return str(page.confirm_label.text())

    async def scenario() -> None:
        await signed_in_on(gui, "guiorg", app)
        text = await review(first, "beta")
        assert f"Publish version 1 of guiorg/{app}" in text and "Tag 'beta' will point at it." in text
        page.confirm_button.click()
        await until(lambda: page.list_model.rowCount() == 1, "version 1")
        await presenter.wait_idle()
        assert page.tag_edit.text() == ""  # cleared: the next publish does not take the tag along
        assert page.drop_area.label.text() == DropArea.PROMPT  # published: the drop zone asks again
        page.list_table.selectRow(0)
        await until(lambda: "tags: beta" in page.detail_label.text(), "the tags in Detail")
        text = await review(second, "beta")
        assert f"Publish version 2 of guiorg/{app}" in text
        assert "Tag 'beta' will MOVE from version 1 to version 2." in text
        page.back_button.click()
        await presenter.wait_idle()
        await services.aclose()

    loop.run_until_complete(scenario())
