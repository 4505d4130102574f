"""The window when someone else moves a tag between this person's read and write (*Set tag*): the
message says who moved it to which version and that nothing changed, Activity shows the run rolled
back with that reason, and the list shows the tag where the other person put it.

Runs on a qasync loop and polls with asyncio.sleep (never qtbot.waitUntil inside the loop).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hyperota_desktop.sandbox.runtime import Sandbox
from tests.support.gui import until
from tests.support.tag_gui import alices_window, listed, org_and_app, rows_of


def test_set_tag_says_who_moved_the_tag_meanwhile(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    aws = sandbox.aws
    services, gui, posted = alices_window(tmp_path, sandbox, qtbot)
    page, activity = gui.packages._page, gui.orgs.activity_page
    org, app = org_and_app("tagcas")
    key = f"{org}/{app}/tags/beta.json"
    bobs = {"tag": "beta", "version": 3, "updated_by": "bob", "updated_at": "2026-01-02T00:00:00+00:00"}

    def bob_moves_it_first(_method: str, _path: str) -> None:  # after alice's read, before her PUT lands
        aws.client("s3").put_object(Bucket=aws.bucket, Key=key, Body=json.dumps(bobs).encode())

    async def scenario() -> None:
        await listed(services, gui, tmp_path / "rn", org, app, versions=3)

        page.list_table.selectRow(1)
        await until(lambda: page.browser.shown_version == 2, "version 2 in the detail")
        aws.server.faults.add(f"/{key}$", method="PUT", status=0, times=1, on_hit=bob_moves_it_first)
        page.detail_tag_edit.setText("beta")
        page.tag_button.click()
        title = f"Move tag 'beta' of {org}/{app} to version 2"
        await until(lambda: any(r[0] == title for r in rows_of(activity)), "the failed move on Activity")
        row = next(r for r in rows_of(activity) if r[0] == title)
        said = f"Tag 'beta' of {org}/{app} was moved to version 3 by bob meanwhile; nothing changed."
        assert row[1] == "rolled back" and said in row[3], row
        await until(lambda: any(said in text for _level, text in posted), "the conflict in the window")
        assert any(
            level == "error" and said in text and "Look at the tags again" in text for level, text in posted
        ), posted
        await until(lambda: page.list_model.rows[0].tags == ("beta",), "bob's tag on version 3 in the list")
        assert page.list_model.rows[1].tags == ()
        await gui.packages.wait_idle()
        await services.aclose()

    try:
        loop.run_until_complete(scenario())
    finally:
        aws.server.faults.clear()
