"""Issue 16 item 6: the Members page of an application shows everyone with access to it — its own
members and the organisation's — with the effective level and where it comes from, and a level is
changed with a visible control, not only a double-click."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from hyperota_desktop.domain.access import AccessLevel
from hyperota_desktop.domain.membership import MemberScope
from tests.orgs.test_org_gui import build
from tests.orgs.test_org_lifecycle import fresh
from tests.support.gui import select
from tests.support.org_env import OrgEnv


async def test_an_application_lists_inherited_access_with_its_source(
    qtbot: Any, env: OrgEnv, sb: Any
) -> None:
    org, app = fresh("gui-eff"), fresh("eff-app")
    await env.orgs.create_org(org)
    await env.orgs.create_app(org, app)
    await env.members.add(MemberScope(org), "bob", AccessLevel.ADMIN)
    await env.members.add(MemberScope(org), "carol", AccessLevel.READ)
    await env.members.add(MemberScope(org, app), "carol", AccessLevel.WRITE)
    await env.members.add(MemberScope(org, app), "dave", AccessLevel.WRITE)
    window, presenter, posted = build(qtbot, env)
    presenter.identity_changed(object())
    await presenter.wait_idle()
    select(window, org, app)
    await presenter.wait_idle()
    page = presenter.members_page
    shown = {r.username: (r.level, r.source) for r in page.model.rows}
    assert shown == {
        "alice": ("admin", "application + organisation (owner)"),  # its creator is its admin too
        "bob": ("admin", "organisation (admin)"),
        "carol": ("write", "application + organisation (read)"),
        "dave": ("write", "application"),
    }
    assert page.model.headerData(4, Qt.Orientation.Horizontal) == "From"
    rows = {r.username: i for i, r in enumerate(page.model.rows)}

    # inherited only: changed and removed on the organisation, and the buttons say so
    page.table.selectRow(rows["bob"])
    assert not page.change_button.isEnabled() and f"organisation {org}" in page.change_button.toolTip()
    assert not page.remove_button.isEnabled() and "remove them there" in page.remove_button.toolTip()

    # a member of the application itself: "Change level…" opens the selector on the level held here
    page.table.selectRow(rows["dave"])
    assert page.change_button.isEnabled() and page.change_button.accessibleName()
    page.change_button.click()
    editor = page.table.findChild(QComboBox, "memberLevelEditor")
    assert editor is not None and editor.isVisibleTo(page.table) and editor.currentText() == "write"
    editor.setCurrentText("read")
    page.table.commitData(editor)
    await presenter.wait_idle()
    shown = {r.username: (r.level, r.source) for r in page.model.rows}
    assert shown["dave"] == ("read", "application")
    assert not [p for p in posted if p[0] == "error"], posted
    assert not page.note.isVisible()


async def test_an_organisation_page_is_unchanged_and_the_note_stays_hidden(
    qtbot: Any, env: OrgEnv, sb: Any
) -> None:
    org = fresh("gui-eff-org")
    await env.orgs.create_org(org)
    await env.members.add(MemberScope(org), "bob", AccessLevel.WRITE)
    window, presenter, posted = build(qtbot, env)
    presenter.identity_changed(object())
    await presenter.wait_idle()
    select(window, org)
    await presenter.wait_idle()
    page = presenter.members_page
    assert {r.username: (r.level, r.source) for r in page.model.rows} == {
        "alice": ("owner", "organisation"),
        "bob": ("write", "organisation"),
    }
    assert not [p for p in posted if p[0] == "error"], posted
