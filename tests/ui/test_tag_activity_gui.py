"""Issue 16 item 8 in the fully wired window: moving a tag on the Packages page shows on the Activity
page (filtered to the selected application) once the move ends, without a manual refresh, saying who
moved it, the tag, the version and the version it moved from; a failed move shows as failed; a move a
kill interrupted is undone once signed in, and said.

Runs on a qasync loop and polls with asyncio.sleep (never qtbot.waitUntil inside the loop).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import build_gui
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.stores.dirs import AppDirs
from tests.reliability.harness import Home
from tests.support.gui import until
from tests.support.tag_gui import alices_window, app_with_versions, listed, org_and_app, rows_of


def test_a_tag_moved_on_the_packages_page_shows_on_activity_when_it_ends(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    services, gui, posted = alices_window(tmp_path, sandbox, qtbot)
    page, activity = gui.packages._page, gui.orgs.activity_page
    org, app = org_and_app("tagact")

    async def scenario() -> None:
        await listed(services, gui, tmp_path / "rn", org, app, versions=2)
        assert f"{org}/{app}" in activity.scope_label.text()
        assert not [r for r in rows_of(activity) if r[0].startswith("Move tag")]

        # Version 2 in the detail, "beta" typed, Set tag: Activity follows by itself.
        page.list_table.selectRow(0)
        await until(lambda: page.browser.shown_version == 2, "version 2 in the detail")
        page.detail_tag_edit.setText("beta")
        page.tag_button.click()
        title = f"Move tag 'beta' of {org}/{app} to version 2"
        await until(lambda: any(r[0] == title for r in rows_of(activity)), "the tag move on Activity")
        row = next(r for r in rows_of(activity) if r[0] == title)
        assert row == (title, "done", "alice@example.com", "tag beta → version 2 (moved from version 1)")
        said = f"Tag 'beta' of {org}/{app} now points at version 2 (moved from version 1)."
        assert ("info", said) in posted
        await until(lambda: page.list_model.rows[0].tags == ("beta",), "the tag on version 2 in the list")
        assert page.list_model.rows[1].tags == ()
        assert all(f"{org}/{app}" in r[0] for r in rows_of(activity))  # only the selected application

        # A move S3 refuses is recorded as failed, and Activity shows that too, by itself.
        sandbox.aws.server.faults.add(f"/{org}/{app}/tags/stable.json$", method="PUT", status=403, times=1)
        page.detail_tag_edit.setText("stable")
        page.tag_button.click()
        failed = f"Move tag 'stable' of {org}/{app} to version 2"
        await until(lambda: any(r[0] == failed for r in rows_of(activity)), "the failed move on Activity")
        row = next(r for r in rows_of(activity) if r[0] == failed)
        assert row[1] == "rolled back" and "access denied by S3" in row[3], row
        assert any(level == "error" and "failed and was undone" in text for level, text in posted), posted
        await gui.packages.wait_idle()
        await services.aclose()

    try:
        loop.run_until_complete(scenario())
    finally:
        sandbox.aws.server.faults.clear()


def test_a_tag_move_killed_mid_way_is_undone_at_sign_in_and_said(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    """`hyperota package tag` killed (SIGKILL) right after its PUT: the window, once signed in, undoes the
    move (the tag is back on version 1), says so, and Activity shows the run rolled back."""
    home = Home.template(tmp_path / "home", sandbox)
    org, app = org_and_app("tagkill")

    async def set_up() -> None:
        async with home.services() as s:
            await app_with_versions(s, tmp_path / "rn", org, app, versions=2)

    loop.run_until_complete(set_up())
    command = ("package", "tag", "--org", org, "--app", app, "2", "beta")
    killed = home.cli(*command, crash_at="step-end:package.tag/move the tag")
    assert killed.crashed, killed
    key = f"{org}/{app}/tags/beta.json"
    s3 = sandbox.aws.client("s3")
    assert json.loads(s3.get_object(Bucket=sandbox.aws.bucket, Key=key)["Body"].read())["version"] == 2

    with home.keyring_in_use():
        services = build_services(AppDirs.under(home.path))
        gui = build_gui(services, error_dialogs=False)
        qtbot.addWidget(gui.window)
        gui.window.show()
        orgs = gui.orgs
        assert orgs is not None
        posted: list[tuple[str, str]] = []
        gui.messages.posted.connect(lambda level, text: posted.append((level, text)))
        title = f"Move tag 'beta' of {org}/{app} to version 2"

        async def scenario() -> None:
            gui.auth.restore()
            await until(lambda: gui.auth.identity is not None, "the restored sign-in")
            said = f"An interrupted move of tag 'beta' of {org}/{app} to version 2 was rolled back"
            await until(lambda: any(said in text for _level, text in posted), "the undo, said")
            await until(
                lambda: any(r[:2] == (title, "rolled back") for r in rows_of(orgs.activity_page)),
                "the undone move on Activity",
            )
            body = json.loads(s3.get_object(Bucket=sandbox.aws.bucket, Key=key)["Body"].read())
            assert body["version"] == 1
            await gui.wait_idle()
            await services.aclose()

        loop.run_until_complete(scenario())
