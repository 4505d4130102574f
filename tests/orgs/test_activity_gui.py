"""Issue 16 item 8: the Activity page is about what you are looking at — the operations on the selected
organisation (with its applications) or application, who ran them and what came of them — and a
workspace repair is recorded in the journal like every other change, failed attempts too."""

from __future__ import annotations

from typing import Any

import pytest

from hyperota_desktop.domain.errors import IntegrityError
from tests.orgs.test_org_gui import build
from tests.orgs.test_org_lifecycle import fresh
from tests.support.gui import answer, select
from tests.support.org_env import OrgEnv


def shown(presenter: Any) -> list[tuple[str, str, str, str]]:
    """(operation, status, by, what came of it) of every row, newest first."""
    model = presenter.activity_page.model
    return [tuple(model.item(i, c).text() for c in (1, 2, 3, 4)) for i in range(model.rowCount())]


async def test_activity_follows_the_selection_and_records_repairs(qtbot: Any, env: OrgEnv, sb: Any) -> None:
    if sb.build == "0.74":
        pytest.skip("v0.74 has no migration endpoint")
    window, presenter, posted = build(qtbot, env)
    org, other, app = fresh("act"), fresh("act-other"), fresh("act-app")
    presenter.identity_changed(object())
    await presenter.wait_idle()
    for name in (org, other):
        presenter.ask_name = answer(name)
        await presenter.new_org()
    select(window, org)
    await presenter.wait_idle()
    presenter.ask_name = answer(app)
    await presenter.new_app()
    await presenter.wait_idle()

    # The organisation: its own operations and its applications', nobody else's.
    select(window, org)
    await presenter.wait_idle()
    assert [row[:3] for row in shown(presenter)] == [
        (f"Create application {org}/{app}", "done", "alice"),
        (f"Create organisation {org}", "done", "alice"),
    ]
    assert org in presenter.activity_page.scope_label.text()

    # A repair of the application's broken workspace is journalled, with who and what came of it.
    select(window, org, app)
    await presenter.wait_idle()
    workspace = await presenter.session().orgs.workspace_of(org, app)
    sb.superposition.break_workspace(sb.org_id, workspace)

    async def yes(_text: str) -> bool:
        return True

    presenter.confirm_migration = yes
    await presenter.migrate_selected()
    await presenter.wait_idle()
    rows = shown(presenter)
    assert rows[0] == (f"Repair workspace of {org}/{app}", "done", "alice", f"workspace {workspace} repaired")
    assert [r[0] for r in rows] == [f"Repair workspace of {org}/{app}", f"Create application {org}/{app}"]
    assert f"{org}/{app}" in presenter.activity_page.scope_label.text()

    # A repair that does not repair is recorded as failed, and the caller still gets the real error.
    sb.superposition.break_workspace(sb.org_id, workspace)
    answered = {"workspace_name": workspace, "workspace_status": "ENABLED"}
    sb.servers["superposition"].faults.add(r"/db/migrate$", method="POST", status=200, body=answered)
    with pytest.raises(IntegrityError, match="ran the migration"):
        await presenter.session().orgs.migrate_workspace(org, app)
    await presenter.load_activity()
    failed = shown(presenter)[0]
    assert failed[0] == f"Repair workspace of {org}/{app}" and failed[1] != "done"
    assert "ran the migration" in failed[3]

    # Another organisation shows none of it.
    select(window, other)
    await presenter.wait_idle()
    assert [row[0] for row in shown(presenter)] == [f"Create organisation {other}"]
    assert not [p for p in posted if p[0] == "error"], posted
