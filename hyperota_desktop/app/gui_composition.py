"""Composition root of the GUI: builds the window and its presenters around the services, once."""

from __future__ import annotations

from dataclasses import dataclass

from hyperota_desktop.services.context import AppServices
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.presenters.shell import ShellPresenter
from hyperota_desktop.ui.views.main_window import MainWindow


@dataclass
class Gui:
    window: MainWindow
    messages: MessageChannel
    shell: ShellPresenter


def build_gui(services: AppServices) -> Gui:
    messages = MessageChannel()
    window = MainWindow()
    shell = ShellPresenter(window, services.profiles, messages)
    shell.refresh()
    return Gui(window=window, messages=messages, shell=shell)
