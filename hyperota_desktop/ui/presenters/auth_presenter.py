"""Presenter of sign-in: the login dialog, the status-bar user, sign-out, and access gating.

It bridges the asyncio `AuthService` of the active profile to Qt: each long operation is a named task
kept in `_tasks` (strong references) whose failure goes to the message channel. When a refresh fails
(`AuthEvent.SESSION_EXPIRED`) it opens the login dialog over the window as it is: nothing is reset, so
the person's place and unsaved input survive.

Gating: pages register their actions with `gate(action_or_widget, Action.X)`; each is enabled only when
`domain.access.can()` allows it for the selected organisation/application, with a tooltip saying why not.

Signals: `identityChanged(object)` with the `Identity`, or None when signed out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from hyperota_desktop.domain.access import Action, Identity, Permission, can
from hyperota_desktop.domain.errors import AuthError, BackendUnavailable, HyperOtaError
from hyperota_desktop.services.auth import AuthEvent, AuthService, LoginStatus
from hyperota_desktop.services.session import ProfileSession
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.tasks import PresenterTasks
from hyperota_desktop.ui.views.login_dialog import LoginDialog
from hyperota_desktop.ui.views.main_window import MainWindow

log = logging.getLogger("hyperota.ui.auth")
Gated = QAction | QWidget


class AuthPresenter(QObject):
    identityChanged = Signal(object)

    def __init__(
        self,
        window: MainWindow,
        session_for_active: Callable[[], ProfileSession],
        messages: MessageChannel,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._session_for_active = session_for_active
        self._messages = messages
        self._session: ProfileSession | None = None
        self._identity: Identity | None = None
        self._selection = ("", "")
        self._gates: list[tuple[Gated, Action, str]] = []
        self._tasks = PresenterTasks(messages)
        self._login_task: asyncio.Task[Any] | None = None
        self.dialog: LoginDialog | None = None
        self._subscribed: set[int] = set()
        window.signInRequested.connect(self.sign_in)
        window.signOutRequested.connect(self.sign_out)
        window.selectionChanged.connect(self._on_selection)

    # -- public ------------------------------------------------------------------------------------------
    @property
    def identity(self) -> Identity | None:
        return self._identity

    def permission(self, action: Action, org: str | None = None, app: str | None = None) -> Permission:
        sel_org, sel_app = self._selection
        return can(self._identity, action, sel_org if org is None else org, sel_app if app is None else app)

    def gate(self, target: Gated, action: Action) -> None:
        """Enable `target` only when the signed-in person may do `action` on the selection."""
        self._gates.append((target, action, target.toolTip()))
        self._apply_gate(target, action, target.toolTip())

    def profile_changed(self, _name: str = "") -> None:
        """The active profile changed: drop the old sign-in state and restore the new one."""
        self._cancel_login()
        self._session = None
        self._set_identity(None)
        self.restore()

    def restore(self) -> None:
        """At start and after a profile switch: show who is signed in (from the keyring), if anyone."""
        try:
            usable = not asyncio.get_running_loop().is_closed()
        except RuntimeError:
            usable = False
        if not usable:  # a window without an asyncio loop (widget tests): nothing to restore with
            log.debug("no running event loop; sign-in state not restored")
            return
        session = self._current()
        if session is not None:
            self._spawn(self._restore(session.auth), "auth-restore")

    def sign_in(self) -> None:
        session = self._current()
        if session is None:
            return
        if self.dialog is not None and self._login_task is not None and not self._login_task.done():
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        dialog = LoginDialog(session.profile.name, self._window)
        dialog.cancelled.connect(self._cancel_login)
        dialog.newCodeRequested.connect(lambda: self._start_login(session, dialog))
        self.dialog = dialog
        dialog.show()
        self._start_login(session, dialog)

    def sign_out(self) -> None:
        session = self._current()
        if session is not None:
            self._spawn(self._sign_out(session.auth), "auth-sign-out")

    async def wait_idle(self) -> None:
        """Await every running task (tests, shutdown)."""
        await self._tasks.wait_idle()

    # -- internals ---------------------------------------------------------------------------------------
    def _current(self) -> ProfileSession | None:
        try:
            session = self._session_for_active()
        except HyperOtaError as exc:
            self._messages.error(exc)
            return None
        if self._session is not session:
            self._session = session
            if id(session.auth) not in self._subscribed:
                self._subscribed.add(id(session.auth))
                auth = session.auth
                auth.subscribe(lambda event: self._on_auth_event(auth, event))
        return session

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any] | None:
        return self._tasks.spawn(coro, name)

    def _start_login(self, session: ProfileSession, dialog: LoginDialog) -> None:
        self._cancel_login()
        self._login_task = self._spawn(self._login(session.auth, dialog), "auth-login")

    def _cancel_login(self) -> None:
        if self._login_task is not None and not self._login_task.done():
            self._login_task.cancel()
        self._login_task = None

    async def _login(self, auth: AuthService, dialog: LoginDialog) -> None:
        try:
            flow = await auth.begin_login()
        except HyperOtaError as exc:
            dialog.show_error(exc.user_text())
            return
        dialog.show_code(flow.user_code, flow.verification_uri, flow.qr_target, flow.expires_at - time.time())
        try:
            async for state in auth.poll_login(flow):
                dialog.show_state(state.status.value, state.message)
                if state.status is LoginStatus.SIGNED_IN:
                    await self._signed_in(auth)
                    dialog.close()
        except HyperOtaError as exc:
            dialog.show_error(exc.user_text())

    async def _signed_in(self, auth: AuthService) -> None:
        identity = await auth.identity()
        notice = await asyncio.to_thread(auth.persistence_notice)  # may ask D-Bus: off the UI thread
        self._messages.connected(urlsplit(auth.profile.issuer).netloc)
        self._set_identity(identity, notice)
        self._messages.info(f"Signed in as {identity.display_name()}.")
        if notice:
            self._messages.warning(notice)

    async def _restore(self, auth: AuthService) -> None:
        if not await auth.is_signed_in():
            self._set_identity(None)
            return
        try:
            identity = await auth.identity()
        except AuthError as exc:
            self._set_identity(None)
            self._messages.warning(f"Not signed in: {exc.user_text()}")
            return
        except HyperOtaError as exc:  # e.g. server unreachable: the tokens are kept for later
            self._set_identity(None)
            if isinstance(exc, BackendUnavailable):
                self._messages.error(exc)  # also marks the connection offline
            else:
                self._messages.warning(f"Could not confirm the sign-in: {exc.user_text()}")
            return
        notice = await asyncio.to_thread(auth.persistence_notice)
        self._messages.connected(urlsplit(auth.profile.issuer).netloc)
        self._set_identity(identity, notice)

    async def _sign_out(self, auth: AuthService) -> None:
        revoked = await auth.logout()
        if not revoked:
            self._messages.warning("Signed out on this computer; the sign-in server could not be told.")
        else:
            self._messages.info("Signed out.")

    def _on_auth_event(self, auth: AuthService, event: AuthEvent) -> None:
        if self._session is None or self._session.auth is not auth:
            return
        if event is AuthEvent.SIGNED_OUT:
            self._set_identity(None)
        elif event is AuthEvent.SESSION_EXPIRED:
            self._set_identity(None)
            self._messages.warning("Your sign-in has ended. Sign in again — your work in the window is kept.")
            self.sign_in()

    def _set_identity(self, identity: Identity | None, notice: str = "") -> None:
        """`notice`: why the sign-in is not kept (no keyring, environment token); stays on the status bar."""
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
        self.identityChanged.emit(identity)

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
