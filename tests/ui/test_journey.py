"""The whole journey through the fully wired GUI against the full sandbox (Keycloak, Superposition, AWS):
sign in as alice through the login dialog, create an organisation and an application, publish a React
Native bundle from the Packages page, then see alice as owner on Members and the operations on Activity.

Runs one coroutine on a qasync loop and polls with asyncio.sleep (never qtbot.waitUntil inside the loop).
Screenshots go to artifacts/journey-*.png.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import Gui, build_gui
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.stores.dirs import AppDirs
from tests.support import bundles
from tests.support.gui import answer, drop, quit_gui, select, until


@pytest.fixture
def alice_approved(sandbox: Sandbox) -> Iterator[Sandbox]:
    sandbox.keycloak.set_auto_approve("alice")
    yield sandbox
    sandbox.keycloak.set_auto_approve(None)


@pytest.fixture
def wired(qtbot, tmp_path: Path, alice_approved: Sandbox, loop) -> Iterator[Gui]:
    services = build_services(AppDirs.under(tmp_path / "home"))
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(alice_approved.endpoints), encoding="utf-8")
    services.profiles.import_file(endpoints, name="sandbox")
    services.profiles.use("sandbox")
    gui = build_gui(services)
    gui.shell.refresh()
    gui.window.resize(1200, 760)
    gui.window.show()
    yield gui
    quit_gui(loop, gui)


def test_alice_signs_in_creates_an_app_publishes_and_sees_members_and_activity(
    wired: Gui, loop, tmp_path: Path, artifacts_dir: Path
) -> None:
    gui = wired
    window, orgs, packages = gui.window, gui.orgs, gui.packages
    assert orgs is not None and packages is not None
    page = packages._page
    unique = uuid.uuid4().hex[:8]
    org, app = f"journey-{unique}", f"mobile-{unique}"
    bundle = bundles.react_native(tmp_path / "rn")
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))

    async def scenario() -> None:
        # Sign in through the real dialog; the emulator approves alice's code by itself.
        assert window.status_user.text() == "Signed out"
        gui.auth.sign_in()
        dialog = gui.auth.dialog
        assert dialog is not None
        await until(lambda: gui.auth.identity is not None, "sign-in")
        await until(lambda: window.status_user.text() == "Signed in as alice", "the user in the status bar")
        assert window.sign_out_action.isEnabled() and not window.sign_in_action.isEnabled()
        await until(lambda: window.status_connection.text().startswith("Connected to"), "the connection")
        await until(
            lambda: gui.auth.dialog is None, "the dialog to close (and go: no dialog per sign-in left)"
        )
        await until(lambda: orgs._live, "the organisations to load")
        await orgs.wait_idle()
        assert window.grab().save(str(artifacts_dir / "journey-1-signed-in.png"))

        # New organisation, then a new application in it: what the toolbar buttons run.
        assert orgs.toolbar.new_org_action.isEnabled(), orgs.toolbar.new_org_action.toolTip()
        orgs.ask_name = answer(org)
        await orgs.new_org()
        assert ("info", f"Organisation '{org}' created; you are its owner.") in posted
        assert window.nav_stack.currentWidget() is window.nav_tree
        select(window, org)
        await orgs.wait_idle()
        assert orgs.toolbar.new_app_action.isEnabled(), orgs.toolbar.new_app_action.toolTip()
        orgs.ask_name = answer(app)
        await orgs.new_app()
        assert any(level == "info" and f"'{org}/{app}' created" in text for level, text in posted), posted

        # Select the application in the tree: the Packages page follows the selection.
        select(window, org, app)
        await orgs.wait_idle()
        await packages.wait_idle()
        assert (packages.org, packages.app) == (org, app)
        window.pages.setCurrentWidget(page)
        await until(lambda: page.drop_area.isEnabled(), "publishing to be allowed")
        assert page.list_model.rowCount() == 0

        # Drop the bundle, look at the pre-flight, confirm and publish.
        drop(page, [bundle])
        await until(lambda: page.preflight_model.rowCount() == 4, "the pre-flight table")
        assert page.index_picker.currentText() == "index.android.bundle"
        await until(lambda: page.publish_button.isEnabled(), "the publish button")
        page.publish_button.click()
        await until(lambda: page.confirm_panel.isVisibleTo(page), "the confirmation")
        assert f"{org}/{app}" in page.confirm_label.text()
        page.confirm_button.click()
        await until(lambda: page.list_model.rowCount() == 1, "version 1 in the list")
        await packages.wait_idle()
        row = page.list_model.rows[0]
        assert (row.version, row.file_count) == (1, 4)
        assert row.created_by == "alice@example.com"  # the author is recorded by e-mail when known
        assert page.progress_label.text().startswith(f"Published {org}/{app} version 1")
        assert window.grab().save(str(artifacts_dir / "journey-2-packages.png"))

        # Members: alice owns the new organisation.
        select(window, org)
        await orgs.wait_idle()
        window.pages.setCurrentWidget(orgs.members_page)
        members = {r.username: r.level for r in orgs.members_page.model.rows}
        assert members == {"alice": "owner"}, members

        # Activity: the create operations are listed, done.
        await orgs.load_activity()
        window.pages.setCurrentWidget(orgs.activity_page)
        orgs.activity_page.tree.expandAll()
        model = orgs.activity_page.model
        shown = [(model.item(i, 1).text(), model.item(i, 2).text()) for i in range(model.rowCount())]
        mine = [(title, status) for title, status in shown if org in title]
        assert mine == [  # newest first
            (f"Publish a package of {org}/{app}", "done"),
            (f"Create application {org}/{app}", "done"),
            (f"Create organisation {org}", "done"),
        ], shown
        assert window.grab().save(str(artifacts_dir / "journey-3-activity.png"))
        assert not [p for p in posted if p[0] == "error"], posted

    loop.run_until_complete(scenario())
