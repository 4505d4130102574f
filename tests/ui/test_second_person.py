"""Issue 16.2 and 16.7: a second person signs in in the same window, and a reader sees what he may read.

alice (a realm administrator) creates an organisation and its application through the window's own
services — so Keycloak's admin permissions (FGAP v2) are made exactly as in production — publishes two
packages, starts a release and adds bob as a reader. She signs out; bob signs in in the same window
through the device flow. Every page then shows bob's view: the organisation's application, its packages
(list, count and Detail), its release, dimensions and members, read-only, and no action he may not do
is enabled. Nothing of alice's view (her level, her actions, her cached decisions) survives.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import build_gui
from hyperota_desktop.domain.access import AccessLevel, Action
from hyperota_desktop.domain.dimensions import DimensionKind
from hyperota_desktop.domain.membership import MemberScope
from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.auth.errors import NotSignedIn
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.ui.messages import describe_error
from hyperota_desktop.ui.models.navigation import HIDDEN_ROLE
from tests.orgs.test_org_gui import build as build_org_window
from tests.support import bundles
from tests.support.gui import drop, select, until
from tests.support.gui_app import enabled_org_actions, signed_in, unique, wired
from tests.support.org_env import make_env
from tests.support.signin import sign_in

CLI_HINT = re.compile(r"`?hyperota [a-z]+ [a-z-]+|hyperota login")


def visible_texts(root: QWidget) -> list[str]:
    """Every label and tooltip a person can read in the window."""
    texts = [w.text() for w in root.findChildren(QLabel) if w.text()]
    texts += [w.toolTip() for w in root.findChildren(QWidget) if w.toolTip()]
    return texts


async def publish(gui: Any, folder: Path) -> None:
    page = gui.packages._page
    drop(page, [folder])
    await until(lambda: page.publish_button.isEnabled(), "the pre-flight")
    page.publish_button.click()
    await until(lambda: page.confirm_panel.isVisibleTo(page), "the confirmation")
    before = page.list_model.rowCount()
    page.confirm_button.click()
    await until(lambda: page.list_model.rowCount() == before + 1, "the published version")
    await gui.wait_idle()


async def sign_in_as(gui: Any, sandbox: Sandbox, username: str) -> None:
    """The window's Sign in: the device flow, its code approved as `username` in the browser."""
    gui.window.sign_in_action.trigger()
    shown = lambda: gui.auth.dialog.code_label.text() if gui.auth.dialog is not None else ""  # noqa: E731
    await until(lambda: shown() not in ("", "…"), "the code")
    sandbox.keycloak.approve(shown(), username)
    await until(
        lambda: gui.auth.identity is not None and gui.auth.identity.username == username,
        f"{username}'s sign-in",
    )
    await gui.wait_idle()


def test_bob_signs_in_after_alice_and_sees_only_what_a_reader_may(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, artifacts_dir: Path
) -> None:
    org, app = unique("second"), unique("shop")
    services, gui = wired(tmp_path, sandbox, qtbot, "alice")
    page, members, toolbar = gui.packages._page, gui.orgs.members_page, gui.orgs.toolbar
    rg = gui.release_gui
    releases, dimensions = rg.releases_page, rg.dimensions_page
    panel = releases.preview

    posted: list[str] = []
    gui.messages.posted.connect(lambda _level, text: posted.append(text))

    async def scenario() -> None:
        await signed_in(gui)
        session = services.active.peek()
        assert session is not None
        # alice makes the organisation the way the window's New organisation/application do
        await session.orgs.create_org(org)
        await session.orgs.create_app(org, app)
        await session.members.add(MemberScope(org), "bob", AccessLevel.READ)
        await gui.orgs.refresh()
        select(gui.window, org, app)
        await gui.wait_idle()
        await publish(gui, bundles.write(tmp_path / "one", {"index.android.bundle": b"one"}))
        await publish(gui, bundles.write(tmp_path / "two", {"index.android.bundle": b"two"}))
        await session.releases.create(org, app, ReleaseDraft(package="1"))  # to everyone: released
        await session.dimensions.create(org, app, "city", DimensionKind.STRING)
        pune = await session.releases.create(org, app, ReleaseDraft(target={"city": "Pune"}, package="2"))
        await session.releases.ramp(org, app, pune.release.id, 50)  # in progress: ramp, pause, conclude
        private = unique("alices")  # an organisation bob is no member of
        await session.orgs.create_org(private)
        await gui.orgs.refresh()
        select(gui.window, org, app)
        await gui.wait_idle()
        # alice's device preview stays on the Releases page until she leaves
        gui.window.show_page("releases")
        releases.tabs.setCurrentWidget(panel)
        panel.identifier.setText("device-0042")
        await until(lambda: panel.preview_action.isEnabled(), "the preview's inputs")
        panel.preview_action.trigger()
        await until(lambda: rg.preview.last is not None and panel.summary.text(), "alice's preview")
        gui.window.show_page("members")
        await gui.wait_idle()
        assert "your level: admin" in members.title.text(), members.title.text()
        assert members.add_button.isEnabled() and toolbar.delete_action.isEnabled()
        assert session.authz.known(Action.MANAGE_ORG_MEMBERS, org).allowed

        gui.window.sign_out_action.trigger()
        await until(lambda: gui.auth.identity is None, "the sign-out")
        await gui.wait_idle()
        assert session.authz.current is None  # alice's decisions are gone with her
        assert releases.model.rowCount() == 0 and dimensions.model.rowCount() == 0
        assert not page.progress_label.text(), page.progress_label.text()  # "Published … version 2"
        assert not panel.summary.text() and not panel.files_model.rowCount()
        assert gui.orgs.activity_page.model.rowCount() == 0

        await sign_in_as(gui, sandbox, "bob")
        assert services.active.peek() is session  # the same window, the same profile's services
        assert session.authz.current is not None and session.authz.current.username == "bob"
        assert not session.authz.known(Action.MANAGE_ORG_MEMBERS, org).allowed
        assert private not in gui.window.nav_model.org_names()
        # Activity with nothing selected: only what was done in organisations bob may see
        gui.window.selectionChanged.emit("", "")  # what the navigation says when nothing is selected
        await gui.wait_idle()
        activity = gui.orgs.activity_page.model
        shown = [activity.index(r, 1).data() for r in range(activity.rowCount())]
        assert shown and not [t for t in shown if private in t], shown
        # the organisation's application is listed for a reader (FGAP v2 "members may view")
        select(gui.window, org, app)
        await gui.wait_idle()

        # Packages: both versions, the count over the list, Detail; no Publish
        gui.window.show_page("packages")
        await until(lambda: page.list_model.rowCount() == 2, "bob's package list")
        assert page.list_status.text() == "2 package(s)", page.list_status.text()
        assert not page.drop_area.isEnabled()
        assert "write access" in page.drop_area.label.text(), page.drop_area.label.text()  # why not
        assert not page.progress_label.text() and not page.progress.isVisibleTo(page)  # alice's publish
        page.list_table.selectRow(0)
        await gui.wait_idle()
        assert page.files_model.rowCount() >= 1, "Detail of a package"
        assert page.window().grab().save(str(artifacts_dir / "second-person-bob-packages.png"))

        # Members: the list, bob's level, read-only
        gui.window.show_page("members")
        await gui.wait_idle()
        assert "your level: read" in members.title.text(), members.title.text()
        listed = {members.model.index(r, 0).data() for r in range(members.model.rowCount())}
        assert {"alice", "bob"} <= listed, listed
        assert not members.add_button.isEnabled()
        assert not members.change_button.isEnabled() and not members.remove_button.isEnabled()
        assert not members.model.editable

        # the organisation's actions
        assert not enabled_org_actions(gui), enabled_org_actions(gui)

        # Releases: alice's release, read-only
        gui.window.show_page("releases")
        releases.tabs.setCurrentIndex(0)  # the list (alice left the device preview open)
        await until(lambda: releases.model.rowCount() == 2, "bob's releases")
        assert not releases.new_action.isEnabled() and "read" in releases.new_action.toolTip()
        releases.select_release(pune.release.id)
        await gui.wait_idle()
        d = releases.detail
        for action in (d.ramp_action, d.pause_action, d.conclude_action, d.discard_action, d.edit_action):
            assert not action.isEnabled(), action.text()
        assert "read" in d.ramp_action.toolTip() or "read" in d.pause_action.toolTip(), (
            d.pause_action.toolTip()
        )
        assert page.window().grab().save(str(artifacts_dir / "second-person-bob-releases.png"))
        releases.tabs.setCurrentWidget(panel)  # the device preview: empty, and reading is enough
        assert not panel.summary.text() and not panel.files_model.rowCount()
        panel.identifier.setText("device-0042")
        await until(lambda: panel.preview_action.isEnabled(), "bob's preview inputs")

        # Dimensions: listed, read-only
        gui.window.show_page("dimensions")
        await until(lambda: dimensions.model.rowCount() == 1, "bob's dimensions")
        dims = dimensions
        for action in (dims.new_action, dims.delete_action, dims.up_action, dims.down_action):
            assert not action.isEnabled(), action.text()

        hints = [t for t in visible_texts(gui.window) + posted if CLI_HINT.search(t)]
        assert not hints, hints
        await services.aclose()

    loop.run_until_complete(scenario())


def test_errors_shown_in_the_window_name_no_cli_command(tmp_path: Path, sandbox: Sandbox, loop: Any) -> None:
    """The same typed error: the CLI tells its user the command, the window tells its user the button."""
    services = build_services(AppDirs.under(tmp_path / "home"))
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(sandbox.endpoints))
    services.profiles.import_file(endpoints, name="nobody")
    services.profiles.use("nobody")

    async def scenario() -> None:
        with pytest.raises(NotSignedIn) as refused:
            await services.profile().auth.access_token()  # nobody signed in to this profile
        assert "hyperota login" in refused.value.user_text()
        shown = describe_error(refused.value)
        assert "Sign in button" in shown and not CLI_HINT.search(shown), shown
        await services.aclose()

    loop.run_until_complete(scenario())


def test_a_reader_of_an_undelegated_organisation_is_told_why_and_whom_to_ask(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, artifacts_dir: Path
) -> None:
    """The organisation was made while the realm had no admin permissions (FGAP v2 off, or before
    delegation existed): Keycloak refuses bob its applications and its member list. The window says
    so, next to the organisation and on the Members page, and tells a GUI user whom to ask."""
    org, app = unique("undelegated"), unique("shop")
    services, gui = wired(tmp_path, sandbox, qtbot, "bob")
    members = gui.orgs.members_page

    async def scenario() -> None:
        alice = make_env(sandbox, "alice", tmp_path / "alice")
        sandbox.keycloak.set_admin_permissions(False)  # the realm before Admin Permissions were on
        try:
            await alice.orgs.create_org(org)
            await alice.orgs.create_app(org, app)
            await alice.members.add(MemberScope(org), "bob", AccessLevel.READ)
        finally:
            sandbox.keycloak.set_admin_permissions(True)
            await alice.aclose()
        await signed_in(gui)
        nav = gui.window.nav_filter
        gui.window.nav_search.setText(org)
        await until(lambda: nav.rowCount() == 1, "the organisation")
        assert nav.rowCount(nav.index(0, 0)) == 1, "the reason stays under the organisation found"
        row = nav.index(0, 0, nav.index(0, 0))
        why = row.data(HIDDEN_ROLE)
        shown = f"{row.data()} {row.data(Qt.ItemDataRole.ToolTipRole)}"
        assert why and "Ask a realm administrator to delegate" in why, why
        assert "realm admin" in row.data(), row.data()  # whom to ask, readable without hovering
        assert not CLI_HINT.search(shown), shown

        select(gui.window, org)
        gui.window.show_page("members")
        await gui.wait_idle()
        text = f"{members.title.text()} {members.note.text()}"
        assert "your level: read" in members.title.text(), members.title.text()
        assert "Keycloak" in text and "realm administrator" in text, text
        assert not CLI_HINT.search(text), text
        assert members.model.rowCount() == 0 and not members.add_button.isEnabled()
        assert gui.window.grab().save(str(artifacts_dir / "second-person-undelegated-org.png"))
        hints = [t for t in visible_texts(gui.window) if CLI_HINT.search(t)]
        assert not hints, hints
        delegate = gui.orgs.toolbar.delegate_action
        assert not delegate.isEnabled() and "realm administrator" in delegate.toolTip()

        # a realm administrator delegates it from her window (Organisation → Delegate permissions…)
        admin = make_env(sandbox, "alice", tmp_path / "alice-again")
        window, presenter, posted = build_org_window(qtbot, admin)
        presenter.identity_changed(object())
        await presenter.wait_idle()
        select(window, org)
        await presenter.wait_idle()
        presenter.toolbar.delegate_action.trigger()
        await until(lambda: any("is delegated" in text for _level, text in posted), "the delegation")
        await presenter.wait_idle()
        assert not [t for _level, t in posted if CLI_HINT.search(t)], posted
        await admin.aclose()

        gui.window.refresh_action.trigger()  # F5 in bob's window: the applications and members now show
        await gui.wait_idle()
        select(gui.window, org, app)
        select(gui.window, org)
        await gui.wait_idle()
        listed = {members.model.index(r, 0).data() for r in range(members.model.rowCount())}
        assert {"alice", "bob"} <= listed, (listed, members.title.text())
        await services.aclose()

    loop.run_until_complete(scenario())


def test_a_profile_switch_to_someone_else_re_evaluates_every_page(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    """An identity change without a sign-out: the other profile has bob signed in. alice's level, her
    actions and her member list go; bob's read-only view of the same organisation comes."""
    services = build_services(AppDirs.under(tmp_path / "home"))
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(sandbox.endpoints))
    for name, user in (("alices", "alice"), ("bobs", "bob")):
        services.profiles.import_file(endpoints, name=name)
        sign_in(sandbox, name, user)
    services.profiles.use("alices")
    gui = build_gui(services)
    qtbot.addWidget(gui.window)
    gui.window.resize(1200, 760)
    gui.window.show()
    members, toolbar = gui.orgs.members_page, gui.orgs.toolbar

    async def scenario() -> None:
        await signed_in(gui)
        select(gui.window, "demo")  # alice owns the sandbox's demo; bob reads it
        gui.window.show_page("members")
        await gui.wait_idle()
        assert "your level: owner" in members.title.text(), members.title.text()
        assert members.add_button.isEnabled() and toolbar.delete_action.isEnabled()

        gui.window.profileChosen.emit("bobs")  # what the profile switcher does
        await until(lambda: gui.auth.identity is not None and gui.auth.identity.username == "bob", "bob")
        await gui.wait_idle()
        assert "owner" not in members.title.text(), members.title.text()
        select(gui.window, "demo")
        await gui.wait_idle()
        assert "your level: read" in members.title.text(), members.title.text()
        assert members.model.rowCount() > 0 and not members.model.editable
        assert not members.add_button.isEnabled()
        enabled = [a.text() for a in (toolbar.new_app_action, toolbar.delete_action) if a.isEnabled()]
        assert not enabled, enabled
        await gui.shutdown()

    loop.run_until_complete(scenario())
