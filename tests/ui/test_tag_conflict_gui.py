"""The window when someone else moves a tag between this person's read and write (*Set tag*): the
message says who moved it to which version and that nothing changed, Activity shows the run rolled
back with that reason, and the list shows the tag where the other person put it.

Runs on a qasync loop and polls with asyncio.sleep (never qtbot.waitUntil inside the loop).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import build_gui
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.stores.dirs import AppDirs
from tests.support import bundles
from tests.support.gui import select, until
from tests.support.signin import sign_in
from tests.ui.test_tag_activity_gui import _rows


def test_set_tag_says_who_moved_the_tag_meanwhile(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    aws = sandbox.aws
    services = build_services(AppDirs.under(tmp_path / "home"))
    (tmp_path / "e.json").write_text(json.dumps(sandbox.endpoints))
    services.profiles.import_file(tmp_path / "e.json", name="sb")
    services.profiles.use("sb")
    sign_in(sandbox, "sb", "alice")
    gui = build_gui(services, error_dialogs=False)
    qtbot.addWidget(gui.window)
    gui.window.resize(1200, 760)
    gui.window.show()
    orgs, packages = gui.orgs, gui.packages
    assert orgs is not None and packages is not None
    page, activity = packages._page, orgs.activity_page
    unique = uuid.uuid4().hex[:8]
    org, app = f"tagcas-{unique}", f"shop-{unique}"
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))
    key = f"{org}/{app}/tags/beta.json"
    bobs = {"tag": "beta", "version": 3, "updated_by": "bob", "updated_at": "2026-01-02T00:00:00+00:00"}

    def bob_moves_it_first(_method: str, _path: str) -> None:  # after alice's read, before her PUT lands
        aws.client("s3").put_object(Bucket=aws.bucket, Key=key, Body=json.dumps(bobs).encode())

    async def scenario() -> None:
        gui.auth.restore()
        await until(lambda: gui.auth.identity is not None, "the restored sign-in")
        await gui.wait_idle()
        profile = services.profile()
        await profile.orgs.create_org(org)
        await profile.orgs.create_app(org, app)
        root = bundles.react_native(tmp_path / "rn")
        await profile.packages.publish(org, app, [root], tag="beta")
        for content in (b"second", b"third"):
            (root / "index.android.bundle").write_bytes(content)
            await profile.packages.publish(org, app, [root])
        await orgs.refresh()
        select(gui.window, org, app)
        await orgs.wait_idle()
        await packages.wait_idle()
        await until(lambda: page.list_model.rowCount() == 3, "the three versions in the list")

        page.list_table.selectRow(1)
        await until(lambda: page.browser.shown_version == 2, "version 2 in the detail")
        aws.server.faults.add(f"/{key}$", method="PUT", status=0, times=1, on_hit=bob_moves_it_first)
        page.detail_tag_edit.setText("beta")
        page.tag_button.click()
        title = f"Move tag 'beta' of {org}/{app} to version 2"
        await until(lambda: any(r[0] == title for r in _rows(activity)), "the failed move on Activity")
        row = next(r for r in _rows(activity) if r[0] == title)
        said = f"Tag 'beta' of {org}/{app} was moved to version 3 by bob meanwhile; nothing changed."
        assert row[1] == "rolled back" and said in row[3], row
        await until(lambda: any(said in text for _level, text in posted), "the conflict in the window")
        assert any(
            level == "error" and said in text and "Look at the tags again" in text for level, text in posted
        ), posted
        await until(lambda: page.list_model.rows[0].tags == ("beta",), "bob's tag on version 3 in the list")
        assert page.list_model.rows[1].tags == ()
        await packages.wait_idle()
        await services.aclose()

    try:
        loop.run_until_complete(scenario())
    finally:
        aws.server.faults.clear()
