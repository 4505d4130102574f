"""Presenter of the window shell: profiles in the switcher, the profile editor, profile import, status
texts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from hyperota_desktop.domain.errors import HyperOtaError
from hyperota_desktop.domain.profiles import AwsCredentialMode, Profile
from hyperota_desktop.services.connection_check import check_connection
from hyperota_desktop.services.profiles import ProfileService
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.confirm import confirm_action
from hyperota_desktop.ui.presenters.dialogs import dialog_result
from hyperota_desktop.ui.presenters.tasks import PresenterTasks
from hyperota_desktop.ui.views.main_window import MainWindow
from hyperota_desktop.ui.widgets.profile_editor import ProfileEditor, edit_profile


class ShellPresenter(QObject):
    """Signals: `activeProfileChanged(str)` after the person switches or creates a profile."""

    activeProfileChanged = Signal(str)

    def __init__(self, window: MainWindow, profiles: ProfileService, messages: MessageChannel) -> None:
        super().__init__(window)
        self._window = window
        self._profiles = profiles
        self._messages = messages
        self._tasks = PresenterTasks(messages)
        self._switch_guards: list[tuple[Callable[[], str], Callable[[], Awaitable[None]]]] = []
        window.profileChosen.connect(self.switch_to)
        window.newProfileRequested.connect(self.new_profile)
        window.editProfileRequested.connect(self.edit_active)
        window.importProfileRequested.connect(
            lambda: self._tasks.start("profile-import", self.import_profile(), replace=True)
        )
        messages.posted.connect(window.show_message)

    def refresh(self) -> None:
        try:
            profiles = {p.name: p for p in self._profiles.list()}
            active = self._profiles.active_name()
        except HyperOtaError as exc:
            self._messages.error(exc)
            profiles, active = {}, None
        current = profiles.get(active or "")
        mode = current.aws_credential_mode if current else None
        isolation = (mode.isolation, mode.isolation_detail) if mode else None
        self._window.set_profiles(list(profiles), current.name if current else None, isolation)

    def guard_switch(self, question: Callable[[], str], before: Callable[[], Awaitable[None]]) -> None:
        """A switch to another profile asks `question()` first when it says something (a publish
        running), and awaits `before()` on confirm, while the current profile's services still work."""
        self._switch_guards.append((question, before))

    async def confirm_switch(self, questions: list[str]) -> bool:
        """The person's answer to what the switch would interrupt (tests may replace it)."""
        confirmed, _why = await confirm_action(
            self._window, "Switch profile", questions, "Pause and switch", ask_why=False
        )
        return confirmed

    def switch_to(self, name: str) -> None:
        active = self._profiles.active_name() if self._switch_guards else None
        questions = [text for text in (ask() for ask, _b in self._switch_guards) if text]
        if questions and name != active:
            self._tasks.start("profile-switch-ask", self._switch_asked(name, questions), replace=True)
            return
        self._switch(name)

    async def _switch_asked(self, name: str, questions: list[str]) -> None:
        if not await self.confirm_switch(questions):
            self.refresh()  # the switcher shows the profile still in use
            return
        for _ask, before in self._switch_guards:
            await before()
        self._switch(name)

    def _switch(self, name: str) -> None:
        try:
            self._profiles.use(name)
        except HyperOtaError as exc:
            self._messages.error(exc)
            return
        self.refresh()
        self.activeProfileChanged.emit(name)

    def _save(self, profile: Profile, keys: tuple[str, str] | None, *, overwrite: bool) -> None:
        try:
            self._profiles.add(profile, overwrite=overwrite)
            self._profiles.use(profile.name)
        except HyperOtaError as exc:
            self._messages.error(exc)
            return
        self.refresh()
        if keys is None:
            self._messages.info(f"Profile '{profile.name}' saved.")
            self.activeProfileChanged.emit(profile.name)
        else:  # the keyring may talk D-Bus: off the UI thread, and the profile is usable once it is done
            self._tasks.start("profile-save-keys", self._save_keys(profile.name, keys))

    async def _save_keys(self, name: str, keys: tuple[str, str]) -> None:
        await asyncio.to_thread(self._profiles.set_static_aws_keys, name, *keys)
        self._messages.info(f"Profile '{name}' saved; its AWS keys are in the OS keyring.")
        self.activeProfileChanged.emit(name)

    async def choose_import_file(self) -> Path | None:
        """Ask for the file to import (tests replace this)."""
        dialog = QFileDialog(self._window, "Import profile", "", "Profiles and endpoints files (*.json)")
        dialog.setObjectName("importProfileDialog")
        dialog.setAccessibleName("Choose a profile or endpoints file to import")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        try:
            chosen = dialog.selectedFiles() if await dialog_result(dialog) else []
            return Path(chosen[0]) if chosen else None
        finally:
            dialog.deleteLater()

    async def import_profile(self) -> None:
        """Import an exported profile or a sandbox endpoints file (`ProfileService.import_file`, as
        `hyperota profile import`) and make it the active profile. The file is read and the keyring
        written off the UI thread; a name already taken is refused, nothing is overwritten."""
        path = await self.choose_import_file()
        if path is None:
            return
        try:
            profile = await asyncio.to_thread(self._profiles.import_file, path)
        except HyperOtaError as exc:
            self._messages.error(exc)
            return
        self.switch_to(profile.name)
        self._messages.info(f"Imported profile '{profile.name}' from {path.name}; it is now active.")

    async def stop(self) -> None:
        await self._tasks.stop()

    async def wait_idle(self) -> None:
        await self._tasks.wait_idle()

    def new_profile(self) -> None:
        existing = {p.name for p in self._profiles.list()}
        edit_profile(
            self._window, None, existing, lambda p, keys: self._save(p, keys, overwrite=False), self._test
        )

    def edit_active(self) -> None:
        try:
            profile = self._profiles.active()
        except HyperOtaError as exc:
            self._messages.error(exc)
            return
        existing = {p.name for p in self._profiles.list()}
        edit_profile(
            self._window, profile, existing, lambda p, keys: self._save(p, keys, overwrite=True), self._test
        )

    def _test(self, editor: ProfileEditor) -> None:
        editor.testing()  # at once: the click shows its effect before the first answer
        self._tasks.start("profile-test", self.test_connection(editor), replace=True)
        editor.finished.connect(self._cancel_test)  # a bound method: no cycle through the dialog

    def _cancel_test(self, _result: int = 0) -> None:
        """The editor closed: its connection test is of no use to anyone."""
        self._tasks.cancel("profile-test")

    async def test_connection(self, editor: ProfileEditor) -> None:
        """Check each backend of the profile as it stands in the editor (saved or not); the keys are
        those typed in, else the stored ones (read off the UI thread)."""
        profile = editor.profile()
        keys = editor.static_keys()
        if keys is None and profile.aws_credential_mode is AwsCredentialMode.STATIC_KEYS:
            keys = await asyncio.to_thread(self._profiles.static_aws_keys, profile.name)
        try:
            # on a thread with its own event loop: the HTTP and AWS calls never touch the UI loop; a
            # cancelled test is dropped (its requests end within their timeouts)
            results = await asyncio.to_thread(asyncio.run, check_connection(profile, keys))
        except Exception:
            editor.show_test_results([])  # the button works again; the error goes to the window
            raise
        editor.show_test_results([(r.backend, r.ok, r.detail) for r in results])
