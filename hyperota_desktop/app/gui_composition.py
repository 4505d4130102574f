"""Composition root of the GUI: builds the window and its presenters around the services, once."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QTimer

from hyperota_desktop.services.context import AppServices
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.auth_presenter import AuthPresenter
from hyperota_desktop.ui.presenters.shell import ShellPresenter
from hyperota_desktop.ui.views.main_window import MainWindow


@dataclass
class Gui:
    window: MainWindow
    messages: MessageChannel
    shell: ShellPresenter
    auth: AuthPresenter  # sign-in; pages gate their actions with `auth.gate(action, Action.X)`


def build_gui(services: AppServices) -> Gui:
    messages = MessageChannel()
    window = MainWindow()
    shell = ShellPresenter(window, services.profiles, messages)
    shell.refresh()
    auth = AuthPresenter(window, services.session, messages)
    shell.activeProfileChanged.connect(auth.profile_changed)
    QTimer.singleShot(0, auth.restore)  # once the event loop runs: who is signed in (keyring)
    return Gui(window=window, messages=messages, shell=shell, auth=auth)
