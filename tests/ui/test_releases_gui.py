"""The Releases page against the sandbox over HTTP, through the fully wired window: the table, the
wizard (each step's checks), the lifecycle confirmations, four-eyes, and what bob (read) may do.

Runs one coroutine per test on a qasync loop; polls with asyncio.sleep (never qtbot.waitUntil inside).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget, QWizard

from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.domain.releases import ReleaseAction, ReleaseStatus
from hyperota_desktop.sandbox.runtime import Sandbox
from tests.support.gui import answer, until
from tests.support.release_env import make_release_env, new_app
from tests.support.release_gui import build, finish, open_app, reviewed, signed_in
from tests.ui.test_main_window import INTERACTIVE

ORG = "demo"


def test_alice_releases_ramps_and_concludes_from_the_page(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, artifacts_dir: Path
) -> None:
    _services, gui = build(tmp_path, sandbox, qtbot, "alice")
    rg = gui.release_gui
    page, presenter = rg.releases_page, rg.releases
    confirmations: list[tuple[str, list[str], str]] = []

    async def confirm(title: str, lines: list[str], action: str) -> tuple[bool, str]:
        confirmations.append((title, lines, action))
        return True, "step one"

    presenter.confirm = confirm  # type: ignore[method-assign]
    first_release: list[list[str]] = []

    async def confirm_first(lines: list[str]) -> bool:
        first_release.append(lines)
        return True

    presenter.wizard.confirm_first_release = confirm_first  # type: ignore[method-assign]

    async def scenario() -> None:
        env = make_release_env(sandbox, "alice", tmp_path / "env")
        app = await new_app(env, tmp_path, packages=2)
        await env.aclose()
        await signed_in(gui)
        await open_app(gui, ORG, app, page)
        await until(lambda: page.status.text() == "0 release(s)", "the empty table")
        assert page.new_action.isEnabled(), page.new_action.toolTip()
        assert page.four_eyes.isVisible() and page.four_eyes.isEnabled()  # alice administers demo

        # The first release: to every device, confirmed, then created, started and concluded at once.
        page.new_action.trigger()
        await until(lambda: presenter.wizard.wizard is not None, "the wizard")
        wizard = presenter.wizard.wizard
        assert wizard is not None and wizard.isVisible() and not wizard.isModal()
        wizard.package_page.set_value("1")
        await reviewed(wizard)
        assert wizard.review is not None and wizard.review.first_release
        for _ in range(4):
            assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
            wizard.next()
        assert "First release to every device" in wizard.review_page.summary.text()
        finish(wizard)
        await until(lambda: bool(wizard.done_text), "the creation")
        assert "released to every device" in wizard.done_text, wizard.done_text
        assert first_release and "created, started for every device and concluded" in first_release[0][0]
        assert wizard.review_page.progress.maximum() == 1  # the steps were reported, then done
        wizard.grab().save(str(artifacts_dir / "releases-wizard-done.png"))
        finish(wizard)  # Close
        await until(lambda: presenter.detail is not None, "the new release's detail")
        assert presenter.detail is not None
        first = presenter.detail.release
        assert first.status is ReleaseStatus.CONCLUDED and page.model.rowCount() == 1

        # A release to city=Pune: created, not started.
        page.new_action.trigger()
        await until(lambda: presenter.wizard.wizard is not None, "the wizard again")
        wizard = presenter.wizard.wizard
        assert wizard is not None
        row = wizard.target_page.add_row("city")
        row.input.setText("Pune")  # type: ignore[attr-defined]
        wizard.package_page.set_value("t2")
        await reviewed(wizard)
        assert wizard.review is not None and not wizard.review.first_release, wizard.review.problems
        assert "download" in wizard.package_page.download.text()
        wizard.next()
        wizard.next()
        lazy = wizard.files_page.files
        paths = [lazy.item(r, 1).text() for r in range(lazy.rowCount())]
        index_row = paths.index("index.android.bundle")
        assert not lazy.item(index_row, 0).flags() & lazy.item(index_row, 0).flags().ItemIsUserCheckable
        lazy.item(paths.index("raw/sound.mp3"), 0).setCheckState(lazy.item(0, 0).checkState().Checked)
        wizard.next()
        wizard.config_page.properties.edit.setPlainText('{"banner": "sale"}')
        wizard.next()
        wizard.review_page.notes.set_text("Pune gets **v2**")
        await reviewed(wizard)
        config = wizard.review.device_config if wizard.review else None
        assert config is not None and config["config"]["properties"] == {"banner": "sale"}
        assert [f["file_path"] for f in config["package"]["lazy"]] == ["raw/sound.mp3"]
        assert wizard.review_page.changes_model.rowCount() > 0
        wizard.grab().save(str(artifacts_dir / "releases-wizard-review.png"))
        finish(wizard)
        await until(lambda: bool(wizard.done_text), "the second creation")
        assert "created: created" in wizard.done_text
        finish(wizard)
        await until(lambda: presenter.detail is not None and presenter.detail.release.id != first.id, "it")
        assert presenter.detail is not None
        pune = presenter.detail.release
        assert pune.status is ReleaseStatus.CREATED and pune.target.as_dict() == {"city": "Pune"}
        detail = page.detail
        assert detail.ramp_action.isEnabled() and detail.edit_action.isEnabled()
        assert (
            not detail.conclude_action.isEnabled()
            and "cannot be concluded" in detail.conclude_action.toolTip()
        )

        # Ramp to 30% with the slider: confirmed with who is affected and a reason.
        detail.ramp_slider.setValue(30)
        assert detail.ramp_spin.value() == 30 and "30% of devices with city=Pune" in detail.ramp_hint.text()
        detail.ramp_action.trigger()
        await until(lambda: presenter.detail is not None and presenter.detail.release.traffic == 30, "ramp")
        title, lines, button = confirmations[-1]
        assert title == f"Ramp release {pune.id}" and button == "Ramp"
        assert lines[0] == "30% of devices with city=Pune get package 2 (now 0%)."
        assert detail.ramp_slider.maximum() == 50  # the cap with two variants
        events = [e.what for e in detail.events_model.rows]
        assert events[0] == "created" and events[-1] == "started at 30%", events
        assert detail.events_model.rows[-1].why.endswith("(step one)")
        assert detail.chart.points[-1][1] == 30
        assert page.model.rows[0].status is ReleaseStatus.INPROGRESS  # the table follows at once
        gui.window.grab().save(str(artifacts_dir / "releases-page-ramping.png"))

        # Pause asks too, and declining changes nothing.
        presenter.confirm = answer((False, ""))  # type: ignore[method-assign]
        detail.pause_action.trigger()
        await presenter.wait_idle()
        assert presenter.detail is not None and presenter.detail.release.status is ReleaseStatus.INPROGRESS

        # Release to all.
        presenter.confirm = confirm  # type: ignore[method-assign]
        detail.conclude_action.trigger()
        await until(
            lambda: (
                presenter.detail is not None and presenter.detail.release.status is ReleaseStatus.CONCLUDED
            ),
            "the conclusion",
        )
        assert confirmations[-1][1] == ["Every one of devices with city=Pune gets package 2, permanently "
                                         "(the release ends)."]  # fmt: skip
        assert not any(a.isEnabled() for a in detail.lifecycle_actions.values())
        assert detail.clone_action.isEnabled()
        await gui.wait_idle()
        await gui.shutdown()

    loop.run_until_complete(scenario())


async def _app_with_releases(sandbox: Sandbox, tmp_path: Path) -> tuple[str, str, str]:
    """demo/<app>: a concluded first release, release 2 to city=Pune ramping at 20% (made by alice)."""
    env = make_release_env(sandbox, "alice", tmp_path / "env")
    try:
        app = await new_app(env, tmp_path, packages=2)
        first = await env.releases.create(ORG, app, ReleaseDraft(package="1"))
        pune = await env.releases.create(ORG, app, ReleaseDraft(target={"city": "Pune"}, package="2"))
        await env.releases.ramp(ORG, app, pune.release.id, 20)
        return app, first.release.id, pune.release.id
    finally:
        await env.aclose()


def test_bob_reads_everything_and_may_do_nothing(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, artifacts_dir: Path
) -> None:
    from hyperota_desktop.domain.errors import PermissionDenied

    _services, gui = build(tmp_path, sandbox, qtbot, "bob")
    rg = gui.release_gui
    page, presenter = rg.releases_page, rg.releases

    async def scenario() -> None:
        app, first, pune = await _app_with_releases(sandbox, tmp_path)
        await signed_in(gui)
        await open_app(gui, ORG, app, page)
        await until(lambda: page.model.rowCount() == 2, "both releases")
        assert [r.id for r in page.model.rows] == [pune, first]  # newest first
        assert not page.new_action.isEnabled()
        assert "you need write access" in page.new_action.toolTip()
        assert not page.four_eyes.isEnabled() and "admin" in page.four_eyes.toolTip()
        page.select_release(pune)
        await until(lambda: presenter.detail is not None and presenter.detail.release.id == pune, "detail")
        detail = page.detail
        for action in (*detail.lifecycle_actions.values(), detail.ramp_action, detail.clone_action):
            assert not action.isEnabled(), action.objectName()
        assert "you need write access" in detail.pause_action.toolTip()
        assert "you need write access" in detail.ramp_action.toolTip()
        assert not detail.ramp_slider.isEnabled()
        assert detail.export_action.isEnabled()  # reading is enough to export
        assert [e.what for e in detail.events_model.rows] == ["created", "started at 20%"]
        assert '"version": "2"' in detail.device_config.toPlainText()
        assert '"version": "1"' in detail.control_config.toPlainText()
        gui.window.grab().save(str(artifacts_dir / "releases-bob-read-only.png"))
        # Asked anyway (a shortcut, a stale button): the service refuses, nothing changes.
        try:
            await presenter.act(pune, ReleaseAction.RAMP, 40)
        except PermissionDenied as exc:
            assert "you need write access" in exc.message
        else:
            raise AssertionError("bob ramped a release")
        # The Dimensions page: readable, not editable.
        dims = rg.dimensions_page
        gui.window.pages.setCurrentWidget(dims)
        await until(lambda: dims.model.rowCount() == 2, "the dimensions")
        dims.table.selectRow(0)
        assert not dims.new_action.isEnabled() and "need admin access" in dims.new_action.toolTip()
        assert not dims.delete_action.isEnabled() and not dims.up_action.isEnabled()
        await gui.wait_idle()
        await gui.shutdown()

    loop.run_until_complete(scenario())


def test_four_eyes_waits_for_a_second_person(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, artifacts_dir: Path
) -> None:
    _, alice = build(tmp_path, sandbox, qtbot, "alice")
    _, dave = build(tmp_path, sandbox, qtbot, "dave")
    for gui in (alice, dave):
        gui.release_gui.releases.confirm = answer((True, ""))  # type: ignore[method-assign]

    async def scenario() -> None:
        app, _first, _pune = await _app_with_releases(sandbox, tmp_path)
        page, presenter = alice.release_gui.releases_page, alice.release_gui.releases
        await signed_in(alice)
        await open_app(alice, ORG, app, page)
        await until(lambda: page.four_eyes.isEnabled(), "the four-eyes setting")
        assert not page.four_eyes.isChecked()
        page.four_eyes.click()  # on: as a person clicks it
        await presenter.wait_idle()
        assert page.four_eyes.isChecked()
        env = make_release_env(sandbox, "alice", tmp_path / "env2")
        goa = await env.releases.create(ORG, app, ReleaseDraft(target={"city": "Goa"}, package="2"))
        await env.aclose()
        assert goa.waiting_for_second_person
        presenter.refresh()
        await until(lambda: page.model.rowCount() == 3, "the new release in the table")
        page.select_release(goa.release.id)
        await until(
            lambda: presenter.detail is not None and presenter.detail.release.id == goa.release.id, "it"
        )
        detail = page.detail
        assert detail.banner.isVisible() and "Waiting for a second person" in detail.banner.text()
        assert not detail.ramp_action.isEnabled() and "someone other than you" in detail.ramp_action.toolTip()
        assert detail.discard_action.isEnabled()  # the author may still drop it
        alice.window.grab().save(str(artifacts_dir / "releases-four-eyes-waiting.png"))

        dpage, dpresenter = dave.release_gui.releases_page, dave.release_gui.releases
        await signed_in(dave)
        await open_app(dave, ORG, app, dpage)
        await until(lambda: dpage.model.rowCount() == 3, "dave's table")
        assert not dpage.four_eyes.isEnabled()  # a writer, not an admin: he sees it, cannot change it
        assert dpage.four_eyes.isChecked()
        dpage.select_release(goa.release.id)
        await until(lambda: dpresenter.detail is not None, "dave's detail")
        assert dpage.detail.ramp_action.isEnabled(), dpage.detail.ramp_action.toolTip()
        dpage.detail.ramp_spin.setValue(10)
        dpage.detail.ramp_action.trigger()
        await until(
            lambda: dpresenter.detail is not None and dpresenter.detail.release.traffic == 10, "dave's ramp"
        )
        assert dpresenter.detail is not None and dpresenter.detail.release.started_by.startswith("dave")
        page.four_eyes.click()  # off again
        await presenter.wait_idle()
        assert not page.four_eyes.isChecked()
        for gui in (alice, dave):
            await gui.wait_idle()
            await gui.shutdown()

    loop.run_until_complete(scenario())


def test_the_wizard_checks_each_step_and_creates_nothing_until_finish(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any, artifacts_dir: Path
) -> None:
    _services, gui = build(tmp_path, sandbox, qtbot, "alice")
    rg = gui.release_gui
    page, presenter = rg.releases_page, rg.releases

    async def scenario() -> None:
        app, _first, pune = await _app_with_releases(sandbox, tmp_path)
        await signed_in(gui)
        await open_app(gui, ORG, app, page)
        await until(lambda: page.model.rowCount() == 2, "the releases")
        page.new_action.trigger()
        await until(lambda: presenter.wizard.wizard is not None, "the wizard")
        wizard = presenter.wizard.wizard
        assert wizard is not None
        next_button = wizard.button(QWizard.WizardButton.NextButton)
        target = wizard.target_page

        # Step 1: a row without a value, then a target with an unfinished release (Pune is ramping).
        row = target.add_row("city")
        assert not next_button.isEnabled() and "Give city a value" in target.problems.text()
        row.input.setText("Pune")  # type: ignore[attr-defined]
        wizard.package_page.set_value("2")
        await reviewed(wizard)
        assert wizard.review is not None and wizard.review.conflict
        assert target.force.isVisible() and pune in target.problems.text(), target.problems.text()
        assert not next_button.isEnabled()  # until "create anyway" is ticked
        target.force.setChecked(True)
        assert next_button.isEnabled()
        row.input.setText("Goa")  # type: ignore[attr-defined]
        await reviewed(wizard)
        assert not target.force.isVisible() and next_button.isEnabled()
        wizard.next()

        # Step 2: a package that does not exist.
        wizard.package_page.set_value("99")
        await reviewed(wizard, "the review of package 99")
        assert not next_button.isEnabled() and "99" in wizard.package_page.problems.text()
        wizard.package_page.set_value("2")
        await reviewed(wizard)
        assert next_button.isEnabled() and "download" in wizard.package_page.download.text()
        wizard.next()
        wizard.next()  # step 3: the files as they are

        # Step 4: remote properties are checked as you type, with the line and column.
        editor = wizard.config_page.properties
        editor.edit.setPlainText('{\n  "banner": \n}')
        assert editor.error.text().startswith("Line 3, column 1"), editor.error.text()
        assert not next_button.isEnabled()
        editor.edit.setPlainText("[1, 2]")
        assert editor.error.text() and not next_button.isEnabled()  # an object, not a list
        editor.edit.setPlainText('{"banner": "sale"}')
        assert not editor.error.text()
        await reviewed(wizard)
        assert next_button.isEnabled()
        wizard.grab().save(str(artifacts_dir / "releases-wizard-config.png"))
        for step in (target, wizard.package_page, wizard.files_page, wizard.config_page, wizard.review_page):
            for widget in step.findChildren(QWidget):
                if isinstance(widget, INTERACTIVE) and not widget.objectName().startswith("qt_"):
                    assert widget.objectName() and widget.accessibleName(), (step.objectName(), widget)

        # Cancel: nothing was created.
        wizard.reject()
        await until(lambda: presenter.wizard.wizard is None, "the wizard to close")
        await presenter.wait_idle()
        env = make_release_env(sandbox, "alice", tmp_path / "env-check")
        assert (await env.releases.page(ORG, app)).total == 2
        await env.aclose()
        await gui.wait_idle()
        await gui.shutdown()

    loop.run_until_complete(scenario())
