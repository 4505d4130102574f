"""Issue 16.4: Migrate workspace asks first and tells the truth.

The window checks the workspace before anything else: on a healthy one it says there is nothing to
repair and asks nothing; on a broken one it asks, changes nothing when the person declines, and
reports the repair when they accept.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtWidgets import QMessageBox

from tests.orgs.test_org_gui import build
from tests.orgs.test_org_lifecycle import fresh
from tests.support.gui import answer, select
from tests.support.org_env import OrgEnv


async def test_migrate_checks_first_asks_and_reports(qtbot: Any, env: OrgEnv, sb: Any) -> None:
    window, presenter, posted = build(qtbot, env)
    org = fresh("mig")
    presenter.ask_name = answer(org)
    presenter.identity_changed(object())
    await presenter.wait_idle()
    await presenter.new_org()
    select(window, org)
    await presenter.wait_idle()
    presenter.ask_name = answer("web")
    await presenter.new_app()
    select(window, org, "web")
    await presenter.wait_idle()
    asked: list[str] = []

    def replying(value: bool) -> Any:
        async def confirm(text: str) -> bool:
            asked.append(text)
            return value

        return confirm

    presenter.confirm_migration = replying(True)
    posted.clear()
    await presenter.migrate_selected()
    assert not asked, asked  # healthy: nothing to confirm
    assert posted == [("info", f"{org}/web needs no repair: its experiments work. Nothing was changed.")]

    workspace = await presenter.session().orgs.workspace_of(org, "web")
    sb.superposition.break_workspace(sb.org_id, workspace)
    presenter.confirm_migration = replying(False)
    posted.clear()
    await presenter.migrate_selected()
    assert len(asked) == 1 and f"release storage of {org}/web is broken" in asked[0]
    assert posted == [("info", f"{org}/web was not repaired; nothing was changed.")]
    assert sb.superposition.workspaces[(sb.org_id, workspace)].broken  # declined: untouched

    presenter.confirm_migration = replying(True)
    posted.clear()
    await presenter.migrate_selected()
    assert len(asked) == 2 and "was repaired" in posted[-1][1], posted
    assert not sb.superposition.workspaces[(sb.org_id, workspace)].broken


async def test_the_repair_question_is_a_real_dialog(qtbot: Any, env: OrgEnv) -> None:
    window, presenter, _posted = build(qtbot, env)
    for button, expected in (
        (QMessageBox.StandardButton.Cancel, False),
        (QMessageBox.StandardButton.Ok, True),
    ):
        task = asyncio.ensure_future(presenter.confirm_migration("Repair it now?"))
        await asyncio.sleep(0.05)
        shown = [b for b in window.findChildren(QMessageBox, "migrateConfirmDialog") if b.isVisible()]
        assert len(shown) == 1 and shown[0].accessibleName()
        box = shown[0]
        box.button(button).click()
        assert await task is expected
