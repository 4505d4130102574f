"""Sign-in in the GUI against the Keycloak emulator: the login dialog, the status bar, gated actions,
and a refused refresh bringing the dialog back without losing the person's place.

The presenter is async: each test runs one coroutine on a qasync loop and polls for conditions with
`asyncio.sleep` (never qtbot.waitUntil inside the loop).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import qasync
import shiboken6
from PySide6.QtGui import QAction, QGuiApplication

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import Gui, build_gui
from hyperota_desktop.domain.access import Action
from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.sandbox.http import RunningServer, serve
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator
from hyperota_desktop.services.auth import SessionExpired
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.ui.views.login_dialog import LoginDialog
from tests.support.gui import quit_gui, until

TOKEN_PATH = r"/protocol/openid-connect/token$"


@pytest.fixture(scope="module")
def kc() -> KeycloakEmulator:
    return KeycloakEmulator(poll_interval=1)


@pytest.fixture(scope="module")
def server(kc: KeycloakEmulator) -> Iterator[RunningServer]:
    running = serve(kc.wsgi, "keycloak-gui-tests")
    yield running
    running.stop()


@pytest.fixture
def gui(qtbot, tmp_path: Path, kc: KeycloakEmulator, server: RunningServer, loop) -> Iterator[Gui]:
    services = build_services(AppDirs.under(tmp_path))
    services.profiles.add(Profile(name="kc", issuer=kc.issuer(server.url)))
    services.profiles.use("kc")
    built = build_gui(services)
    built.shell.refresh()
    built.window.show()
    yield built
    quit_gui(loop, built)
    server.faults.clear()


def run(loop: qasync.QEventLoop, scenario: Callable[[], Awaitable[None]]) -> None:
    loop.run_until_complete(scenario())


async def sign_in(gui: Gui, kc: KeycloakEmulator, user: str) -> LoginDialog:
    gui.auth.sign_in()
    dialog = gui.auth.dialog
    assert dialog is not None
    await until(lambda: dialog.state == "waiting", "the code")
    kc.approve(dialog.code_label.text(), user)
    await until(lambda: gui.auth.identity is not None, "sign-in")
    return dialog


def test_login_dialog_signs_in_and_shows_the_user(
    gui: Gui, kc: KeycloakEmulator, loop, artifacts_dir: Path
) -> None:
    async def scenario() -> None:
        assert gui.window.status_user.text() == "Signed out"
        gui.auth.sign_in()
        dialog = gui.auth.dialog
        assert dialog is not None
        await until(lambda: dialog.state == "waiting", "the code")
        code = dialog.code_label.text()
        assert len(code) == 9 and code[4] == "-"
        assert dialog.qr.text.endswith(f"user_code={code}") and dialog.qr.modules >= 21
        assert "/device" in dialog.url and "expires in" in dialog.countdown_label.text()
        dialog.copy_button.click()
        assert QGuiApplication.clipboard().text() == code
        assert dialog.grab().save(str(artifacts_dir / "login-dialog.png"))
        for widget in (dialog.copy_button, dialog.cancel_button, dialog.new_code_button, dialog.url_label):
            assert widget.objectName() and widget.accessibleName()
        kc.approve(code, "alice")
        await until(lambda: gui.auth.identity is not None, "sign-in")
        assert gui.window.status_user.text() == "Signed in as alice"
        assert gui.window.sign_out_action.isEnabled()
        await until(lambda: gui.auth.dialog is None, "the dialog to close")
        await until(lambda: not shiboken6.isValid(dialog), "the dialog to be deleted, not kept")
        assert not gui.window.findChildren(LoginDialog)

    run(loop, scenario)


def test_bob_sees_write_actions_disabled_with_a_reason(gui: Gui, kc: KeycloakEmulator, loop) -> None:
    publish = QAction("Publish package…", gui.window)
    release = QAction("New release…", gui.window)
    view = QAction("Open application", gui.window)
    gui.auth.gate(publish, Action.PUBLISH_PACKAGE)
    gui.auth.gate(release, Action.CREATE_RELEASE)
    gui.auth.gate(view, Action.VIEW_APP)
    assert not publish.isEnabled() and "Sign in" in publish.toolTip()

    async def scenario() -> None:
        await sign_in(gui, kc, "bob")
        gui.window.selectionChanged.emit("demo", "shop")
        assert view.isEnabled()
        for action in (publish, release):
            assert not action.isEnabled()
            assert "read access to demo/shop" in action.toolTip() and "write access" in action.toolTip()
        # The real controls: the packages drop target and the organisation toolbar.
        drop = gui.packages._page.drop_area  # type: ignore[union-attr]
        assert not drop.isEnabled() and "need write access" in drop.toolTip()
        toolbar = gui.orgs.toolbar  # type: ignore[union-attr]
        await until(lambda: gui.orgs._live, "the organisations to load")  # type: ignore[union-attr]
        gui.window.selectionChanged.emit("demo", "shop")
        assert not toolbar.new_org_action.isEnabled() and "manage-users" in toolbar.new_org_action.toolTip()
        assert not toolbar.new_app_action.isEnabled() and "admin access" in toolbar.new_app_action.toolTip()
        assert not toolbar.delete_action.isEnabled()
        assert gui.window.status_connection.text().startswith("Connected to 127.0.0.1")
        gui.auth.sign_out()
        await until(lambda: gui.auth.identity is None, "sign-out")
        assert gui.window.status_user.text() == "Signed out" and not view.isEnabled()
        assert not drop.isEnabled() and not toolbar.new_org_action.isEnabled()
        await sign_in(gui, kc, "dave")
        assert publish.isEnabled() and release.isEnabled()
        assert drop.isEnabled() and drop.toolTip() == ""
        await until(lambda: gui.orgs._live, "the organisations to load")  # type: ignore[union-attr]
        gui.window.selectionChanged.emit("demo", "shop")
        assert not toolbar.new_org_action.isEnabled()  # dave holds no realm role: manage-users is needed
        assert not toolbar.new_app_action.isEnabled()  # write on demo; creating apps needs admin

    run(loop, scenario)


def test_refresh_failure_reopens_the_dialog_without_losing_the_place(
    gui: Gui, kc: KeycloakEmulator, loop
) -> None:
    async def scenario() -> None:
        first = await sign_in(gui, kc, "dave")
        await until(lambda: gui.auth.dialog is None, "the first dialog to close")
        gui.window.pages.setCurrentIndex(2)
        gui.window.nav_search.setText("half-typed search")
        with kc.realm.lock:  # the administrator ends the session: the next refresh is refused
            for session in kc.realm.sessions.values():
                kc.realm.end_session(session)
        auth = gui.services.profile().auth
        with pytest.raises(SessionExpired):
            await auth.refresh_after_unauthorized(await auth.access_token())
        await until(lambda: gui.auth.dialog is not first and gui.auth.dialog.isVisible(), "the dialog")
        assert gui.window.status_user.text() == "Signed out"
        assert gui.window.pages.currentIndex() == 2
        assert gui.window.nav_search.text() == "half-typed search"
        again = gui.auth.dialog
        await until(lambda: again.state == "waiting", "a new code")
        kc.approve(again.code_label.text(), "dave")
        await until(lambda: gui.auth.identity is not None, "signed in again")
        assert gui.window.nav_search.text() == "half-typed search"

    run(loop, scenario)


def test_denied_and_network_lost_are_shown(
    gui: Gui, kc: KeycloakEmulator, server: RunningServer, loop
) -> None:
    async def scenario() -> None:
        server.faults.add(TOKEN_PATH, drop=True, times=1)
        gui.auth.sign_in()
        dialog = gui.auth.dialog
        assert dialog is not None
        seen: list[str] = []
        original = dialog.show_state
        dialog.show_state = lambda state, message: (seen.append(state), original(state, message))  # type: ignore[method-assign]
        await until(lambda: "network_lost" in seen, "network lost")
        assert "retrying" in dialog.status_label.text()
        await until(lambda: seen[-1] == "waiting", "reconnection")
        assert "Connection restored" in dialog.status_label.text()
        kc.deny(dialog.code_label.text())
        await until(lambda: dialog.state == "denied", "denial")
        assert "denied" in dialog.status_label.text()
        assert dialog.new_code_button.isVisible() and not dialog.qr.isVisible()
        dialog.new_code_button.click()
        await until(lambda: dialog.state == "waiting", "a new code")
        dialog.cancel_button.click()
        await until(lambda: not gui.auth._tasks.running("auth-login"), "cancel")
        assert gui.auth.identity is None

    run(loop, scenario)


def test_wrong_client_is_explained_in_the_dialog(
    qtbot, tmp_path: Path, kc: KeycloakEmulator, server: RunningServer, loop
) -> None:
    services = build_services(AppDirs.under(tmp_path))
    services.profiles.add(Profile(name="bad", issuer=kc.issuer(server.url), client_id="no-device-client"))
    services.profiles.use("bad")
    built = build_gui(services)
    qtbot.addWidget(built.window)

    async def scenario() -> None:
        built.auth.sign_in()
        dialog = built.auth.dialog
        assert dialog is not None
        await until(lambda: dialog.state == "error", "the error")
        assert "Device Authorization Grant" in dialog.status_label.text()
        assert dialog.new_code_button.isVisible()
        await built.wait_idle()
        await services.aclose()

    run(loop, scenario)


def test_expired_state_offers_a_new_code(qtbot) -> None:
    dialog = LoginDialog("p")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_code("ABCD-EFGH", "https://sso/device", "https://sso/device?user_code=ABCD-EFGH", 90)
    assert (
        dialog.countdown_label.text() == "This code expires in 1:30."
        or "1:29" in dialog.countdown_label.text()
    )
    dialog.show_state("slowed_down", "The sign-in server asked us to slow down; checking every 10 s.")
    assert "10 s" in dialog.status_label.text()
    dialog.show_state("expired", "The code expired before it was approved. Get a new code.")
    assert dialog.new_code_button.isVisible() and dialog.cancel_button.text() == "Close"
    with qtbot.waitSignal(dialog.newCodeRequested):
        dialog.new_code_button.click()


def test_next_start_restores_the_user_from_the_keyring(
    gui: Gui, qtbot, tmp_path: Path, kc: KeycloakEmulator, loop
) -> None:
    async def scenario() -> None:
        await sign_in(gui, kc, "bob")
        services = build_services(AppDirs.under(tmp_path))  # the next run: same folder, same keyring
        again = build_gui(services)
        qtbot.addWidget(again.window)
        again.auth.restore()  # what gui_entry does once the loop runs
        await until(lambda: again.auth.identity is not None, "the restored identity")
        assert again.window.status_user.text() == "Signed in as bob"
        await again.wait_idle()
        await services.aclose()

    run(loop, scenario)


def test_sign_out_goes_back_to_the_sign_in_screen(gui: Gui, kc: KeycloakEmulator, loop) -> None:
    async def scenario() -> None:
        await sign_in(gui, kc, "carol")  # no organisations: the navigation says how to create one
        orgs = gui.orgs
        assert orgs is not None
        await until(lambda: "Create one" in gui.window.nav_empty.text.text(), "the organisations to load")
        gui.auth.sign_out()
        await until(lambda: gui.auth.identity is None, "sign-out")
        await gui.wait_idle()
        await orgs.wait_idle()
        nav = gui.window.nav_empty
        assert gui.window.nav_stack.currentWidget() is nav
        assert "Sign in" in nav.text.text() and nav.button.text() == "Sign in"
        assert not nav.button.isHidden()
        nav.button.click()
        dialog = gui.auth.dialog
        assert dialog is not None
        await until(lambda: dialog.state == "waiting", "a code")
        dialog.cancel_button.click()

    run(loop, scenario)


def test_without_a_keyring_the_window_says_the_sign_in_lasts_this_session_only(
    qtbot, tmp_path: Path, kc: KeycloakEmulator, server: RunningServer, loop
) -> None:
    import keyring
    import keyring.backends.fail

    keyring.set_keyring(keyring.backends.fail.Keyring())  # conftest restores the memory keyring
    services = build_services(AppDirs.under(tmp_path))
    services.profiles.add(Profile(name="nokeyring", issuer=kc.issuer(server.url)))
    services.profiles.use("nokeyring")
    built = build_gui(services)
    built.shell.refresh()
    qtbot.addWidget(built.window)
    posted: list[tuple[str, str]] = []
    built.messages.posted.connect(lambda level, text: posted.append((level, text)))

    async def scenario() -> None:
        await sign_in(built, kc, "bob")
        await built.wait_idle()
        status = built.window.status_user
        assert status.text() == "Signed in as bob (this session only)"
        assert "No OS keyring" in status.toolTip()
        notice = "No OS keyring is available: you stay signed in only until the app closes."
        assert ("warning", notice) in posted
        await services.aclose()

    run(loop, scenario)
