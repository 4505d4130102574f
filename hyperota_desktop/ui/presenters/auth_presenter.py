"""Presenter of sign-in: the login dialog, the status-bar user, sign-out, and access gating.

It bridges the asyncio `AuthService` of the active profile to Qt. Auth events travel one way: the
service's listener (subscribed here only, removed when the profile's services are replaced) → this
presenter → the Qt signal `identityChanged`, which every other presenter follows. The login flow only
drives its dialog; who is signed in is always learnt from the events. When a refresh fails
(`AuthEvent.SESSION_EXPIRED`) it opens the login dialog over the window as it is: nothing is reset, so
the person's place and unsaved input survive.

Gating asks the services' one authorizer (`services.authz`): pages register their actions with
`gate(action_or_widget, Action.X)`; each is enabled only when the authorizer allows it for the selected
organisation/application, with a tooltip saying why not.

Sign out asks first when work of the person would be interrupted: `guard_sign_out(question, before)`
registers a page's question ("" when nothing runs) and what it does before the tokens go (the Packages
page pauses a running publish); cancelling the question keeps everyone signed in.

Signals: `identityChanged(object)` with the `Identity`, or None when signed out (or another profile);
`permissionsChanged()` when what the person may do changed (memberships re-read); `personChanged()`
when the person in front of the window changes — Sign out, another profile, or someone other than the
last person signs in, not a sign-in that merely ended — so pages drop what the previous person typed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from hyperota_desktop.domain.access import Action, Identity, Permission, can
from hyperota_desktop.domain.errors import AuthError, BackendUnavailable, HyperOtaError
from hyperota_desktop.services.auth import AuthEvent, AuthService, LoginStatus
from hyperota_desktop.services.profile_services import ProfileServices
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.confirm import confirm_action
from hyperota_desktop.ui.presenters.tasks import PresenterTasks
from hyperota_desktop.ui.views.login_dialog import LoginDialog
from hyperota_desktop.ui.views.main_window import MainWindow

log = logging.getLogger("hyperota.ui.auth")
Gated = QAction | QWidget
DemoApprover = Callable[[str, str], None]  # (user code, username): the sandbox approves it at once


class AuthPresenter(QObject):
    identityChanged = Signal(object)
    permissionsChanged = Signal()
    personChanged = Signal()

    def __init__(self, window: MainWindow, messages: MessageChannel) -> None:
        super().__init__(window)
        self._window = window
        self._messages = messages
        self._services: ProfileServices | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._identity: Identity | None = None
        self._selection = ("", "")
        self._gates: list[tuple[Gated, Action, str]] = []
        self._tasks = PresenterTasks(messages)
        self.dialog: LoginDialog | None = None
        self._demo: tuple[str, DemoApprover, list[tuple[str, str]]] | None = None
        self._user_code = ""
        self._last_person = ""  # username of the last person signed in here ("" after a Sign out)
        self._sign_out_guards: list[tuple[Callable[[], str], Callable[[], Awaitable[None]]]] = []
        window.signInRequested.connect(self.sign_in)
        window.signOutRequested.connect(self.sign_out)
        window.selectionChanged.connect(self._on_selection)

    # -- public ------------------------------------------------------------------------------------------
    @property
    def identity(self) -> Identity | None:
        return self._identity

    def permission(self, action: Action, org: str | None = None, app: str | None = None) -> Permission:
        sel_org, sel_app = self._selection
        org, app = sel_org if org is None else org, sel_app if app is None else app
        if self._services is None or self._identity is None:
            return can(None, action, org, app)
        return self._services.authz.known(action, org, app)

    def gate(self, target: Gated, action: Action) -> None:
        """Enable `target` only when the signed-in person may do `action` on the selection."""
        self._gates.append((target, action, target.toolTip()))
        self._apply_gate(target, action, target.toolTip())

    def guard_sign_out(self, question: Callable[[], str], before: Callable[[], Awaitable[None]]) -> None:
        """Sign out asks `question()` first when it says something, and awaits `before()` on confirm."""
        self._sign_out_guards.append((question, before))

    async def confirm_sign_out(self, questions: list[str]) -> bool:
        """The person's answer to what signing out would interrupt (tests may replace it)."""
        confirmed, _why = await confirm_action(
            self._window, "Sign out", questions, "Pause and sign out", ask_why=False
        )
        return confirmed

    def set_services(self, services: ProfileServices | None) -> None:
        """The profile's services were replaced (start, switch, edit): forget the old sign-in state,
        listen to the new services only, and show who is signed in there."""
        if services is self._services:
            return
        self._tasks.cancel_all()
        self._close_dialog()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._services = services
        self._set_identity(None)
        self._person_left()
        if services is not None:
            auth = services.auth
            self._unsubscribe = [
                auth.subscribe(lambda event: self._on_auth_event(auth, event)),
                services.authz.subscribe(lambda _identity: self._permissions_changed()),
            ]
            self.restore()

    def set_demo_approver(
        self, profile: str, approve: DemoApprover | None, users: Sequence[tuple[str, str]] = ()
    ) -> None:
        """While `profile` (the embedded sandbox's) is the active one, the sign-in dialog offers to
        approve its code as one of `users` ((username, description)) with one click; None: no more."""
        self._demo = (profile, approve, list(users)) if approve is not None else None

    def restore(self) -> None:
        """At start and after a profile switch: show who is signed in (from the keyring), if anyone."""
        if self._services is not None:
            self._tasks.start("auth-restore", self._restore(self._services), replace=True)

    def sign_in(self) -> None:
        services = self._services
        if services is None:
            return
        if self.dialog is not None and self._tasks.running("auth-login"):
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        self._close_dialog()
        dialog = LoginDialog(services.profile.name, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one dialog per sign-in, not one per try
        dialog.cancelled.connect(lambda: self._tasks.cancel("auth-login"))
        dialog.newCodeRequested.connect(lambda: self._start_login(services.auth, dialog))
        dialog.destroyed.connect(lambda _obj=None: self._forget_dialog(dialog))
        if self._demo is not None and self._demo[0] == services.profile.name:
            approve = self._demo[1]
            dialog.offer_demo_users(self._demo[2])
            dialog.demoApprovalRequested.connect(lambda user: self._approve_demo(approve, user, dialog))
        self.dialog = dialog
        dialog.show()
        self._start_login(services.auth, dialog)

    def sign_out(self) -> None:
        if self._services is not None:
            self._tasks.start("auth-sign-out", self._sign_out(self._services.auth), replace=True)

    async def stop(self) -> None:
        """Cancel and await every task (profile switch, quit)."""
        self._close_dialog()
        await self._tasks.stop()

    async def wait_idle(self) -> None:
        """Await every running task (tests, shutdown)."""
        await self._tasks.wait_idle()

    # -- internals ---------------------------------------------------------------------------------------
    def _start_login(self, auth: AuthService, dialog: LoginDialog) -> None:
        self._tasks.start("auth-login", self._login(auth, dialog), replace=True)

    def _approve_demo(self, approve: DemoApprover, username: str, dialog: LoginDialog) -> None:
        code = self._user_code

        async def run() -> None:
            try:
                await asyncio.to_thread(approve, code, username)
            except Exception as exc:  # the emulator refuses an unknown or used code: say so
                log.warning("sandbox approval as %s failed: %s", username, exc)
                dialog.show_error(f"The sandbox could not approve this code as {username}: {exc}")

        self._tasks.start("auth-demo-approve", run(), replace=True)

    def _close_dialog(self) -> None:
        self._tasks.cancel("auth-login")
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.close()
        self.dialog = None

    def _forget_dialog(self, dialog: LoginDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    async def _login(self, auth: AuthService, dialog: LoginDialog) -> None:
        """Drive the dialog; who is signed in arrives as the SIGNED_IN event, not from here."""
        try:
            flow = await auth.begin_login()
        except HyperOtaError as exc:
            dialog.show_error(exc.user_text(gui=True))
            return
        self._user_code = flow.user_code
        dialog.show_code(flow.user_code, flow.verification_uri, flow.qr_target, flow.expires_at - time.time())
        try:
            async for state in auth.poll_login(flow):
                dialog.show_state(state.status.value, state.message)
                if state.status is LoginStatus.SIGNED_IN:
                    dialog.close()
        except HyperOtaError as exc:
            dialog.show_error(exc.user_text(gui=True))

    async def _restore(self, services: ProfileServices) -> None:
        if not await services.auth.is_signed_in():
            self._set_identity(None)
            return
        await self._load_identity(services, announce=False)

    async def _load_identity(self, services: ProfileServices, *, announce: bool) -> None:
        try:
            identity = await services.authz.identity(fresh=True)
        except AuthError as exc:
            self._set_identity(None)
            self._messages.warning(f"Not signed in: {exc.user_text(gui=True)}")
            return
        except HyperOtaError as exc:  # e.g. server unreachable: the tokens are kept for later
            self._set_identity(None)
            if isinstance(exc, BackendUnavailable):
                self._messages.error(exc)  # also marks the connection offline
            else:
                self._messages.warning(f"Could not confirm the sign-in: {exc.user_text(gui=True)}")
            return
        notice = await asyncio.to_thread(services.auth.persistence_notice)  # may ask D-Bus
        self._messages.connected(urlsplit(services.profile.issuer).netloc)
        self._set_identity(identity, notice)
        if announce:
            self._messages.info(f"Signed in as {identity.display_name()}.")
            if notice:
                self._messages.warning(notice)

    async def _sign_out(self, auth: AuthService) -> None:
        questions = [text for text in (ask() for ask, _before in self._sign_out_guards) if text]
        if questions:
            if not await self.confirm_sign_out(questions):
                return  # nothing changes: still signed in, the work goes on
            for _ask, before in self._sign_out_guards:
                await before()  # while the tokens are still there (journalled, resumable)
        revoked = await auth.logout()  # SIGNED_OUT follows as an event
        if not revoked:
            self._messages.warning("Signed out on this computer; the sign-in server could not be told.")
        else:
            self._messages.info("Signed out.")

    def _on_auth_event(self, auth: AuthService, event: AuthEvent) -> None:
        services = self._services
        if services is None or services.auth is not auth:
            return
        if event is AuthEvent.SIGNED_IN:
            self._tasks.start("auth-identity", self._load_identity(services, announce=True), replace=True)
        elif event is AuthEvent.SIGNED_OUT:
            self._tasks.cancel("auth-identity", "auth-restore")
            self._set_identity(None)
            self._person_left()
        elif event is AuthEvent.SESSION_EXPIRED:
            self._tasks.cancel("auth-identity", "auth-restore")
            self._set_identity(None)
            self._messages.warning("Your sign-in has ended. Sign in again — your work in the window is kept.")
            self.sign_in()

    def _set_identity(self, identity: Identity | None, notice: str = "") -> None:
        """`notice`: why the sign-in is not kept (no keyring, environment token); stays on the status bar."""
        changed = identity != self._identity
        self._identity = identity
        if identity is None:
            self._window.set_user("Signed out")
            self._window.status_user.setToolTip("")
            self._window.show_sign_in_prompt()  # back to the sign-in screen
        else:
            suffix = " (this session only)" if notice else ""
            self._window.set_user(f"Signed in as {identity.display_name()}{suffix}")
            self._window.status_user.setToolTip("\n".join(filter(None, (identity.email, notice))))
        self._window.sign_out_action.setEnabled(identity is not None)
        has_profile = bool(self._window.profile_switcher.currentData())
        self._window.sign_in_action.setEnabled(identity is None and has_profile)
        self._apply_gates()
        if changed:
            self.identityChanged.emit(identity)
        if identity is not None and identity.username != self._last_person:
            if self._last_person:  # someone else after a sign-in that ended
                self.personChanged.emit()
            self._last_person = identity.username

    def _person_left(self) -> None:
        self._last_person = ""
        self.personChanged.emit()

    def _permissions_changed(self) -> None:
        self._apply_gates()
        self.permissionsChanged.emit()

    def _on_selection(self, org: str, app: str) -> None:
        self._selection = (org, app)
        self._apply_gates()

    def _apply_gates(self) -> None:
        self._gates = [g for g in self._gates if shiboken6.isValid(g[0])]  # drop deleted widgets
        for target, action, tooltip in self._gates:
            self._apply_gate(target, action, tooltip)

    def _apply_gate(self, target: Gated, action: Action, tooltip: str) -> None:
        permission = self.permission(action)
        target.setEnabled(permission.allowed)
        target.setToolTip(tooltip if permission.allowed else permission.reason)
