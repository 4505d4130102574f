"""Issue 16.5/16.7: after creating an organisation or application the window selects it, says what it
did without internal workspace ids, and shows the warnings the operation recorded (what Keycloak did
not let it set up, and who can)."""

from __future__ import annotations

from typing import Any

from hyperota_desktop.ui.models.navigation import APP_ROLE, ORG_ROLE
from tests.orgs.test_org_gui import build
from tests.orgs.test_org_lifecycle import fresh
from tests.support.gui import answer


async def test_the_new_org_and_app_are_selected_and_warnings_shown(qtbot: Any, as_user: Any, sb: Any) -> None:
    realm = sb.keycloak.realm
    with realm.lock:
        if realm.user_by_name("mona") is None:
            realm.add_user("mona", "mona@example.com", "Mona", "Manager").client_roles["realm-management"] = [
                "manage-users"
            ]
    window, presenter, posted = build(qtbot, as_user("mona"))
    org = fresh("picked")
    presenter.identity_changed(object())
    await presenter.wait_idle()
    window.nav_search.setText("something-else")  # a search that would hide the new organisation
    presenter.ask_name = answer(org)
    await presenter.new_org()
    await presenter.wait_idle()
    current = window.nav_tree.currentIndex()
    assert (current.data(ORG_ROLE), current.data(APP_ROLE) or "") == (org, "")
    warned = [text for level, text in posted if level == "warning" and "realm administrator" in text]
    assert warned and all("Delegate permissions" in t and "hyperota " not in t for t in warned), posted
    presenter.ask_name = answer("web")
    posted.clear()
    await presenter.new_app()
    await presenter.wait_idle()
    current = window.nav_tree.currentIndex()
    assert (current.data(ORG_ROLE), current.data(APP_ROLE)) == (org, "web")
    assert ("info", f"Application '{org}/web' created.") in posted  # no internal workspace id
    assert any(level == "warning" and "realm administrator" in text for level, text in posted), posted
