"""Issue 16.2: a publish belongs to the person who started it.

alice's publish is paused mid-way when she clicks Sign out: the window asks first (cancelling keeps her
signed in and the publish where it was); on confirm the publish is interrupted, journalled and
checkpointed, before her tokens go. bob signs in in the same window: nothing of it is shown to him, he
can neither pause, resume nor cancel it, and his sign-in does not finish it. When alice signs in again
it goes on and ends as her version 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from hyperota_desktop.app.gui_composition import Gui
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.services.packages import PUBLISH_KIND
from hyperota_desktop.services.saga import SagaRecord
from hyperota_desktop.ui.views.release_dialogs import ConfirmActionDialog
from tests.support.gui import select, until
from tests.support.gui_app import ONE_PART_AT_A_TIME, big_bundle, offered, paused_in, unique, wired
from tests.support.signin import grant, sign_in
from tests.ui.test_second_person import sign_in_as


def question() -> ConfirmActionDialog | None:
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ConfirmActionDialog)]
    shown = [w for w in dialogs if w.isVisible()]
    return shown[0] if shown else None


async def asked(what: str) -> ConfirmActionDialog:
    """The question the window shows, once it shows."""
    await until(lambda: question() is not None, what)
    dialog = question()
    assert dialog is not None
    return dialog


def unfinished(services: AppServices, scope: str | None = None) -> list[SagaRecord]:
    """The publishes the journal holds unfinished (of every profile, or of `scope`)."""
    records = services.journal.list(unfinished_only=True, scope=scope)
    return [r for r in records if r.kind == PUBLISH_KIND]


async def alices_paused_publish(
    tmp_path: Path, sandbox: Sandbox, qtbot: Any, stem: str
) -> tuple[AppServices, Gui, str, list[str]]:
    """alice's window and what it says (the texts, in order); her publish to a new `guiorg/<stem>-…`,
    where bob may publish too, paused between two parts."""
    app = unique(stem)
    path = f"/guiorg/{app}/write"
    services, gui = wired(tmp_path, sandbox, qtbot, "alice", path, settings=ONE_PART_AT_A_TIME)
    grant(sandbox, "bob", path)  # bob may publish there too: still, alice's publish is not his
    posted: list[str] = []
    gui.messages.posted.connect(lambda _level, text: posted.append(text))
    await paused_in(gui, "guiorg", app, big_bundle(tmp_path / "big"))
    return services, gui, app, posted


def test_sign_out_pauses_the_publish_and_only_its_publisher_resumes_it(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    async def scenario() -> None:
        services, gui, app, posted = await alices_paused_publish(tmp_path, sandbox, qtbot, "paused")
        presenter, page = gui.packages, gui.packages._page

        # Sign out asks first; Cancel keeps alice signed in and her publish where it was
        gui.window.sign_out_action.trigger()
        dialog = await asked("the question")
        text = dialog.summary.text()
        assert f"A publish to guiorg/{app} is paused" in text and "signing out pauses it" in text, text
        assert "sign in again as alice" in text, text
        dialog.reject()
        await until(lambda: question() is None, "the question to close")
        assert gui.auth.identity is not None and gui.auth.identity.username == "alice"
        assert presenter.control is not None and presenter.control.paused
        assert page.pause_button.isEnabled() and page.cancel_button.isEnabled()

        # Pause and sign out: interrupted, not undone; then the tokens go
        gui.window.sign_out_action.trigger()
        dialog = await asked("the question again")
        dialog.ok.click()
        await until(lambda: gui.auth.identity is None, "the sign-out")
        await gui.wait_idle()
        assert any(f"publish to guiorg/{app} is paused" in t for t in posted), posted
        assert not any("cancelled" in t.lower() for t in posted), posted
        [record] = unfinished(services, "sb")
        assert record.actor.startswith("alice"), record.actor
        assert not page.progress_label.text() and not page.progress.isVisibleTo(page)
        assert not page.pause_button.isEnabled() and not page.cancel_button.isEnabled()

        # bob signs in: nothing of alice's publish is his to see, control or finish
        await sign_in_as(gui, sandbox, "bob")
        select(gui.window, "guiorg", app)
        await gui.wait_idle()
        assert [r.id for r in unfinished(services, "sb")] == [record.id]  # his sign-in did not finish it
        assert page.list_model.rowCount() == 0
        assert not page.progress_label.text() and not page.publish_target.isVisibleTo(page)
        assert not page.pause_button.isEnabled() and not page.cancel_button.isEnabled()
        assert presenter.sign_out_question() == ""
        assert not [t for t in posted[-5:] if "interrupted publish" in t], posted
        gui.window.sign_out_action.trigger()  # nothing of his runs: no question
        await until(lambda: gui.auth.identity is None, "bob's sign-out")
        assert question() is None

        # alice again: her paused publish is offered, not finished by her sign-in; Resume finishes it
        await sign_in_as(gui, sandbox, "alice")
        select(gui.window, "guiorg", app)
        await until(lambda: len(offered(gui)) == 1, "the offer")
        await gui.wait_idle()
        [waiting] = unfinished(services, "sb")
        assert waiting.id == record.id and waiting.paused.startswith("paused at sign-out"), waiting
        assert page.list_model.rowCount() == 0 and offered(gui) == [f"Publish to guiorg/{app}: big"]
        page.paused_offers.rows[0].resume_button.click()
        await until(lambda: page.list_model.rowCount() == 1, "alice's finished publish")
        await gui.wait_idle()
        assert not unfinished(services, "sb")
        assert any(f"Published guiorg/{app} version 1 (resumed)" in t for t in posted), posted
        await services.aclose()

    loop.run_until_complete(scenario())


def test_a_profile_switch_asks_pauses_the_publish_and_coming_back_finishes_it(
    qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any
) -> None:
    """The same rule for a switch to another profile (bob's, signed in there): asked first, the
    publish paused, nothing of it in bob's profile, finished when alice's profile is chosen again."""

    async def scenario() -> None:
        services, gui, app, _posted = await alices_paused_publish(tmp_path, sandbox, qtbot, "switch")
        services.profiles.import_file(tmp_path / "endpoints.json", name="bobs")  # bob's, signed in
        sign_in(sandbox, "bobs", "bob")
        gui.shell.refresh()
        presenter, page = gui.packages, gui.packages._page

        gui.window.profileChosen.emit("bobs")  # what the profile switcher does
        dialog = await asked("the question")
        text = dialog.summary.text()
        assert f"A publish to guiorg/{app} is paused: switching to another profile pauses it" in text, text
        dialog.reject()  # nothing changes
        await until(lambda: question() is None, "the question to close")
        assert services.profiles.active_name() == "sb" and gui.auth.identity is not None
        assert presenter.control is not None and presenter.control.paused

        gui.window.profileChosen.emit("bobs")
        dialog = await asked("the question again")
        dialog.ok.click()
        await until(lambda: gui.auth.identity is not None and gui.auth.identity.username == "bob", "bob")
        await gui.wait_idle()
        select(gui.window, "guiorg", app)
        await gui.wait_idle()
        [record] = unfinished(services)
        assert record.scope == "sb" and record.actor.startswith("alice"), record
        assert page.list_model.rowCount() == 0 and not page.progress_label.text()
        assert not page.pause_button.isEnabled() and not page.cancel_button.isEnabled()

        gui.window.profileChosen.emit("sb")  # back to alice's profile: her publish is offered
        await until(lambda: gui.auth.identity is not None and gui.auth.identity.username == "alice", "alice")
        await gui.wait_idle()
        select(gui.window, "guiorg", app)
        await until(lambda: len(offered(gui)) == 1, "the offer")
        [waiting] = unfinished(services)
        assert waiting.paused.startswith("paused at profile switch"), waiting
        page.paused_offers.rows[0].resume_button.click()
        await until(lambda: page.list_model.rowCount() == 1, "alice's finished publish")
        await gui.wait_idle()
        assert not unfinished(services)
        await gui.shutdown()

    loop.run_until_complete(scenario())
