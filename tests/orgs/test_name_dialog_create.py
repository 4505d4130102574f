"""Issue 16 item 5 (rest): the name dialog says a name is taken as it is typed, and stays open when the
creation fails — the reason under the name, the name kept — until a creation succeeds or the person
cancels."""

from __future__ import annotations

import asyncio
from typing import Any

from hyperota_desktop.ui.views.org_dialogs import NameDialog
from tests.orgs.test_org_gui import build
from tests.orgs.test_org_lifecycle import fresh
from tests.support.org_env import OrgEnv


async def open_dialog(window: Any) -> NameDialog:
    for _ in range(100):
        shown = [d for d in window.findChildren(NameDialog) if d.isVisible()]
        if shown:
            return shown[0]
        await asyncio.sleep(0.02)
    raise AssertionError("the name dialog did not open")


async def settle(condition: Any, what: str) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(what)


async def test_taken_names_are_refused_as_typed_and_a_failure_keeps_the_dialog(
    qtbot: Any, env: OrgEnv, sb: Any
) -> None:
    window, presenter, posted = build(qtbot, env)
    existing = fresh("dlg-taken")
    await env.orgs.create_org(existing)
    presenter.identity_changed(object())
    await presenter.wait_idle()

    task = asyncio.ensure_future(presenter.new_org())
    dialog = await open_dialog(window)
    dialog.edit.setText(existing)
    assert "already an organisation named" in dialog.error.text() and not dialog.ok.isEnabled()

    # Keycloak refuses the creation: the dialog stays, says why, keeps the name.
    refused = fresh("dlg-refused")
    sb.servers["keycloak"].faults.add(
        r"/groups$",
        method="POST",
        status=409,
        body={"errorMessage": "Top level group named exists."},
        times=1,
    )
    dialog.edit.setText(refused)
    assert dialog.ok.isEnabled()
    dialog.ok.click()
    await settle(lambda: dialog.edit.isEnabled() and "Creating" not in dialog.error.text(), "the refusal")
    assert dialog.isVisible() and not task.done()
    assert dialog.edit.text() == refused and dialog.error.text(), dialog.error.text()
    assert not dialog.ok.isEnabled(), "the same refused name is not offered again"

    # Another name: created, the dialog closes, the organisation is selected.
    created = fresh("dlg-ok")
    dialog.edit.setText(created)
    assert dialog.ok.isEnabled()
    dialog.ok.click()
    await asyncio.wait_for(task, 60)
    assert not dialog.isVisible()
    assert ("info", f"Organisation '{created}' created; you are its owner.") in posted
    assert created in window.nav_model.org_names() and refused not in window.nav_model.org_names()
    assert not [p for p in posted if p[0] == "error"], posted


async def test_cancel_closes_without_creating(qtbot: Any, env: OrgEnv) -> None:
    window, presenter, posted = build(qtbot, env)
    presenter.identity_changed(object())
    await presenter.wait_idle()
    task = asyncio.ensure_future(presenter.new_org())
    dialog = await open_dialog(window)
    dialog.edit.setText(fresh("dlg-cancel"))
    dialog.buttons.rejected.emit()
    await asyncio.wait_for(task, 10)
    assert not dialog.isVisible() and not [p for p in posted if p[0] == "info"], posted
