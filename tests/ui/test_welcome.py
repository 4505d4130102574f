"""First start: with no profile the welcome page shows; "Try the sandbox" starts the embedded sandbox off
the UI thread with progress, and its sign-in dialog approves a chosen demo person in one click.

Runs on a qasync loop, polling with `until` (never qtbot.waitUntil inside the loop).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import Gui, build_gui
from hyperota_desktop.app.sandbox_session import DEMO_PEOPLE, SandboxSession
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.stores.dirs import AppDirs
from tests.support.gui import until


@pytest.fixture
def services(tmp_path: Path) -> AppServices:
    return build_services(AppDirs.under(tmp_path))


def _gui(qtbot, services: AppServices, session: SandboxSession | None) -> Gui:
    gui = build_gui(services, sandbox=session)
    qtbot.addWidget(gui.window)
    gui.window.show()
    return gui


def test_no_profile_shows_the_welcome_page_and_a_profile_hides_it(qtbot, services: AppServices) -> None:
    gui = _gui(qtbot, services, SandboxSession(services))
    assert gui.welcome.shown
    page = gui.window.findChild(type(gui.window.centralWidget().widget(0)), "welcomePage")
    assert page is not None and page.sandbox_button.isVisible() and page.profile_button.isVisible()
    with qtbot.waitSignal(gui.window.newProfileRequested):
        page.profile_button.click()  # "Add a profile…" opens the same editor as the toolbar
    services.profiles.add(Profile(name="prod", issuer="https://sso.example.com/realms/x"))
    services.profiles.use("prod")
    gui.shell.switch_to("prod")
    assert not gui.welcome.shown


def test_without_a_sandbox_the_welcome_offers_only_a_profile(qtbot, services: AppServices) -> None:
    gui = _gui(qtbot, services, None)  # a frozen build ships no sandbox
    page = gui.window.centralWidget().widget(0)
    assert gui.welcome.shown and not page.sandbox_button.isVisible()


@pytest.mark.slow
def test_try_the_sandbox_then_one_click_sign_in_shows_the_demo(
    qtbot, services: AppServices, loop, artifacts_dir: Path
) -> None:
    session = SandboxSession(services)
    gui = _gui(qtbot, services, session)
    page = gui.window.centralWidget().widget(0)

    async def scenario() -> None:
        ui_thread = threading.get_ident()
        ticks = 0

        async def heartbeat() -> None:  # the UI thread keeps running while the sandbox starts
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        beat = asyncio.get_running_loop().create_task(heartbeat())
        page.sandbox_button.click()
        assert page.progress.isVisible() and page.cancel_button.isVisible()
        await until(lambda: gui.auth.dialog is not None, "the sign-in dialog", timeout=90)
        beat.cancel()
        assert ticks >= 2, "the UI thread was blocked while the sandbox started"
        assert threading.get_ident() == ui_thread
        assert not gui.welcome.shown
        assert services.profiles.active_name() == "sandbox"
        assert services.profiles.get("sandbox")  # the profile is for this run; saved choice untouched
        dialog = gui.auth.dialog
        assert dialog is not None and not dialog.demo_box.isHidden()
        people = [dialog.demo_user.itemData(i) for i in range(dialog.demo_user.count())]
        assert people == [name for name, _what in DEMO_PEOPLE]
        await until(lambda: dialog.state == "waiting", "the code")
        dialog.demo_user.setCurrentIndex(people.index("alice"))
        dialog.demo_approve.click()
        await until(lambda: gui.auth.identity is not None, "the one-click sign-in", timeout=30)
        assert gui.auth.identity.username == "alice"
        await until(
            lambda: gui.window.nav_model.findItems("demo"), "the demo organisation in the tree", timeout=60
        )
        gui.window.grab().save(str(artifacts_dir / "welcome-sandbox-signed-in.png"))
        await session.cancel_demo()
        await gui.shutdown()

    try:
        loop.run_until_complete(scenario())
    finally:
        session.stop()
    assert "sandbox" not in {p.name for p in services.profiles.list()}


def test_a_failed_sandbox_start_says_why_and_offers_the_choice_again(
    qtbot, services: AppServices, loop
) -> None:
    async def broken() -> object:
        await asyncio.sleep(0)
        raise OSError("address already in use")

    session = SandboxSession(services)
    session.start_in_background = broken  # type: ignore[method-assign]
    gui = _gui(qtbot, services, session)
    page = gui.window.centralWidget().widget(0)

    async def scenario() -> None:
        page.sandbox_button.click()
        await gui.welcome.wait_idle()

    loop.run_until_complete(scenario())
    assert "could not start: address already in use" in page.status.text()
    assert page.sandbox_button.isEnabled() and not page.progress.isVisible()
    assert gui.welcome.shown


def test_cancelling_the_start_stops_the_sandbox_once_it_is_up(
    qtbot, services: AppServices, loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hyperota_desktop.app.sandbox_boot import SandboxBoot

    real_start = SandboxBoot.start
    entered, go_on = threading.Event(), threading.Event()

    def held_start(*args: object, **kwargs: object) -> SandboxBoot:
        entered.set()
        go_on.wait(60)  # the cancel lands while the start is surely still running
        return real_start(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SandboxBoot, "start", held_start)
    session = SandboxSession(services)
    gui = _gui(qtbot, services, session)
    page = gui.window.centralWidget().widget(0)
    events: list[tuple[str, str]] = []
    services.profiles.subscribe(lambda event, name: events.append((event.value, name)))

    async def scenario() -> None:
        page.sandbox_button.click()
        await until(entered.is_set, "the sandbox start")
        page.cancel_button.click()
        await gui.welcome.wait_idle()
        assert "Cancelled" in page.status.text() and page.sandbox_button.isEnabled()
        go_on.set()
        # The start finishes in its thread, then stops itself: its profile comes and goes again.
        await until(lambda: ("removed", "sandbox") in events, "the cancelled sandbox to stop", timeout=90)
        assert ("saved", "sandbox") in events
        assert "sandbox" not in {p.name for p in services.profiles.list()}
        assert services.profiles.active_name() is None  # never made the active one
        assert session.boot is None and gui.welcome.shown

    loop.run_until_complete(scenario())
    loop.run_until_complete(services.aclose())
