"""Issue 16.10: a release row's context menu holds the detail's own actions (one source of truth for what
is enabled and why not), and offers none until the detail shows that release."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QPoint

from hyperota_desktop.domain.releases import ReleaseAction, ReleaseSummary, release_from_experiment
from hyperota_desktop.ui.views.releases_page import ReleasesPage
from tests.ui.test_release_pages_gui import _experiment


def test_a_release_rows_context_menu_holds_the_detail_actions(qtbot: Any) -> None:
    page = ReleasesPage()
    qtbot.addWidget(page)
    page.show()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    paused, created = (release_from_experiment(_experiment(n, start)) for n in (3, 4))  # PAUSED, CREATED
    page.model.reset([ReleaseSummary.of(created), ReleaseSummary.of(paused)], 2)
    chosen: list[str] = []
    page.releaseChosen.connect(chosen.append)
    center = lambda row: page.table.visualRect(page.model.index(row, 0)).center()  # noqa: E731

    menu = page.row_menu(center(1))  # the detail still shows nothing: no action to misdirect
    assert menu is not None and menu.objectName() == "releasesRowMenu" and menu.accessibleName()
    assert chosen == [paused.id]
    assert [(a.text(), a.isEnabled()) for a in menu.actions()] == [("Loading the release…", False)]

    page.detail.show_release(paused)
    page.detail.set_actions(frozenset({ReleaseAction.RESUME}), {ReleaseAction.DISCARD: "Four-eyes: not you."})
    menu = page.row_menu(center(1))
    assert menu is not None
    actions = [a for a in menu.actions() if not a.isSeparator()]
    detail = page.detail
    assert actions == [*detail.lifecycle_actions.values(), detail.edit_action, detail.clone_action,
                       detail.export_action]  # fmt: skip
    assert detail.resume_action.isEnabled() and not detail.pause_action.isEnabled()
    assert not detail.discard_action.isEnabled() and detail.discard_action.toolTip() == "Four-eyes: not you."
    assert page.row_menu(center(0)) is not None and chosen[-1] == created.id  # another row: not yet shown
    assert page.row_menu(QPoint(-5, -5)) is None  # no row there: no menu
