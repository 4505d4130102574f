"""The app's window on the sandbox, signed in as a seeded user, with an application to release
(made through the services, as alice): what the Releases and Dimensions page tests start from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWizard

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import Gui, build_gui
from hyperota_desktop.services.context import AppServices
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.ui.views.release_wizard import ReleaseWizard
from tests.support.gui import select, until
from tests.support.signin import sign_in


def build(tmp_path: Path, sandbox: Any, qtbot: Any, user: str) -> tuple[AppServices, Gui]:
    """The whole GUI with `user`'s sign-in in the keyring (as after a restart); not yet restored."""
    services = build_services(AppDirs.under(tmp_path / f"home-{user}"))
    endpoints = tmp_path / f"endpoints-{user}.json"
    endpoints.write_text(json.dumps(sandbox.endpoints))
    profile = f"sb-{user}"  # one keyring entry per person: two windows may run side by side
    services.profiles.import_file(endpoints, name=profile)
    services.profiles.use(profile)
    sign_in(sandbox, profile, user)
    gui = build_gui(services, error_dialogs=False)
    qtbot.addWidget(gui.window)
    gui.window.resize(1280, 860)
    gui.window.show()
    return services, gui


async def signed_in(gui: Gui) -> None:
    gui.auth.restore()  # what the app does once its loop runs
    await until(lambda: gui.auth.identity is not None, "the restored sign-in")
    await gui.wait_idle()


async def open_app(gui: Gui, org: str, app: str, page: Any) -> None:
    """Select the application in the navigation and show `page`."""
    gui.window.pages.setCurrentWidget(page)
    select(gui.window, org, app)
    await gui.wait_idle()


async def reviewed(wizard: ReleaseWizard, what: str = "the review") -> None:
    """Wait until the service's review of the wizard's current draft is shown."""
    await until(lambda: wizard.review is not None and wizard.review.draft == wizard.draft(), what)


def finish(wizard: ReleaseWizard) -> None:
    button = wizard.button(QWizard.WizardButton.FinishButton)
    assert button.isEnabled(), wizard.review_page.problems.text()
    button.click()
