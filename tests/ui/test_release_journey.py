"""The release journey through the fully wired window against the full sandbox (Keycloak, Superposition,
AWS): sign in through the login dialog → create an organisation and an application → add a dimension →
drop two bundles and publish them → the first release (wizard: created, started and concluded at once) →
a release to city=Pune (wizard) → ramp it → preview a device → conclude it.

A screenshot of each page goes to artifacts/release-journey-*.png (light theme; the last one dark).
Runs one coroutine on a qasync loop and polls with asyncio.sleep (never qtbot.waitUntil inside the loop).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit, QWizard

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import Gui, build_gui
from hyperota_desktop.app.theme import apply_theme
from hyperota_desktop.domain.dimensions import DimensionKind
from hyperota_desktop.domain.releases import ReleaseStatus
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.stores.dirs import AppDirs
from tests.support import bundles
from tests.support.gui import answer, drop, quit_gui, select, until
from tests.support.release_env import a_device
from tests.support.release_gui import finish, reviewed


@pytest.fixture
def wired(qtbot: Any, tmp_path: Path, sandbox: Sandbox, loop: Any) -> Iterator[Gui]:
    sandbox.keycloak.set_auto_approve("alice")
    services = build_services(AppDirs.under(tmp_path / "home"))
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(sandbox.endpoints), encoding="utf-8")
    services.profiles.import_file(endpoints, name="sandbox")
    services.profiles.use("sandbox")
    gui = build_gui(services, error_dialogs=False)
    gui.shell.refresh()
    gui.window.resize(1280, 860)
    gui.window.show()
    yield gui
    sandbox.keycloak.set_auto_approve(None)
    quit_gui(loop, gui)


def test_alice_publishes_releases_ramps_previews_and_concludes_through_the_window(
    wired: Gui, loop: Any, qapp: Any, tmp_path: Path, sandbox: Sandbox, artifacts_dir: Path
) -> None:
    gui = wired
    window, orgs, packages = gui.window, gui.orgs, gui.packages
    rg = gui.release_gui
    releases_page, releases, dims_page = rg.releases_page, rg.releases, rg.dimensions_page
    unique = uuid.uuid4().hex[:8]
    org, app = f"rj-{unique}", f"shop-{unique}"
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))
    confirmed: list[tuple[str, list[str]]] = []

    async def confirm(title: str, lines: list[str], _action: str) -> tuple[bool, str]:
        confirmed.append((title, lines))
        return True, "journey"

    releases.confirm = confirm  # type: ignore[method-assign]
    releases.wizard.confirm_first_release = answer(True)  # type: ignore[method-assign]
    rg.dimensions.ask_new = answer(("city", DimensionKind.STRING, (), "Where the device is"))  # type: ignore[method-assign]
    device = a_device(sandbox, "journey-device-1", 3)

    def shot(name: str) -> None:
        assert window.grab().save(str(artifacts_dir / f"release-journey-{name}.png"))

    async def scenario() -> None:
        # Sign in through the real dialog (the emulator approves alice's code).
        gui.auth.sign_in()
        await until(lambda: gui.auth.identity is not None, "sign-in")
        await until(lambda: orgs._live, "the organisations to load")
        await orgs.wait_idle()

        # An organisation and an application, as the toolbar's buttons make them.
        orgs.ask_name = answer(org)
        await orgs.new_org()
        select(window, org)
        await orgs.wait_idle()
        orgs.ask_name = answer(app)
        await orgs.new_app()
        select(window, org, app)
        await gui.wait_idle()

        # A dimension to target by.
        window.pages.setCurrentWidget(dims_page)
        await until(lambda: dims_page.new_action.isEnabled(), "the dimension actions")
        dims_page.new_action.trigger()
        await until(lambda: [d.name for d in dims_page.model.rows] == ["city"], "the city dimension")
        shot("1-dimensions")

        # Two bundles dropped and published.
        page = packages._page
        window.pages.setCurrentWidget(page)
        for version in (1, 2):
            bundle = bundles.react_native(tmp_path / f"rn{version}", seed=f"v{version}".encode())
            await until(lambda: page.drop_area.isEnabled(), "publishing to be allowed")
            drop(page, [bundle])
            await until(lambda: page.publish_button.isEnabled(), "the publish button")
            page.publish_button.click()
            page.confirm_button.click()
            await until(lambda v=version: page.list_model.rowCount() == v, f"version {version} in the list")
            await packages.wait_idle()
        shot("2-packages")

        # The first release: every device gets version 1 (created, started and concluded at once).
        window.pages.setCurrentWidget(releases_page)
        await until(lambda: releases_page.new_action.isEnabled(), "New release")
        releases_page.new_action.trigger()
        await until(lambda: releases.wizard.wizard is not None, "the wizard")
        wizard = releases.wizard.wizard
        assert wizard is not None
        wizard.package_page.set_value("1")
        await reviewed(wizard)
        for _ in range(4):
            wizard.next()
        finish(wizard)
        await until(lambda: bool(wizard.done_text), "the first release")
        assert "released to every device" in wizard.done_text
        finish(wizard)
        await until(lambda: releases_page.model.rowCount() == 1, "the first release in the table")

        # A release of version 2 to city=Pune, through every step of the wizard.
        releases_page.new_action.trigger()
        await until(lambda: releases.wizard.wizard is not None, "the wizard again")
        wizard = releases.wizard.wizard
        assert wizard is not None
        row = wizard.target_page.add_row("city")
        assert isinstance(row.input, QLineEdit)
        row.input.setText("Pune")
        wizard.package_page.set_value("2")
        await reviewed(wizard)
        for _ in range(4):
            assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
            wizard.next()
        wizard.review_page.notes.set_text("Pune gets **version 2** first")
        await reviewed(wizard)
        assert wizard.grab().save(str(artifacts_dir / "release-journey-3-wizard.png"))
        finish(wizard)
        await until(lambda: bool(wizard.done_text), "the Pune release")
        finish(wizard)
        await until(lambda: releases_page.model.rowCount() == 2, "the Pune release in the table")
        await until(
            lambda: releases.detail is not None and releases.detail.release.package_version == 2, "it"
        )
        assert releases.detail is not None
        pune = releases.detail.release
        assert pune.status is ReleaseStatus.CREATED and pune.target.as_dict() == {"city": "Pune"}

        # Ramp to 40% of the Pune devices.
        detail = releases_page.detail
        detail.ramp_slider.setValue(40)
        detail.ramp_action.trigger()
        await until(lambda: releases.detail is not None and releases.detail.release.traffic > 0, "the ramp")
        assert confirmed[-1][0] == f"Ramp release {pune.id}"
        assert "40% of devices with city=Pune" in confirmed[-1][1][0]
        shot("4-ramping")

        # What does one Pune device get? The device preview answers (the server's own answer).
        preview, panel = rg.preview, releases_page.preview
        releases_page.tabs.setCurrentWidget(panel)
        await until(lambda: "city" in panel._inputs, "the preview's inputs")
        city = panel._inputs["city"]
        assert isinstance(city, QLineEdit)
        city.setText("Pune")
        if "toss" in device:
            panel.toss.setValue(device["toss"])
        else:
            panel.identifier.setText(device["identifier"])
        panel.preview_action.trigger()
        await until(lambda: preview.last is not None, "the preview")
        assert preview.last is not None and preview.last.package_version in (1, 2)
        in_release = preview.last.release is not None and preview.last.release.id == pune.id
        assert in_release == (preview.last.variant != "")
        shot("5-device-preview")

        # Release to all: every Pune device gets version 2.
        releases_page.tabs.setCurrentIndex(0)
        detail.conclude_action.trigger()
        await until(
            lambda: releases.detail is not None and releases.detail.release.status is ReleaseStatus.CONCLUDED,
            "the conclusion",
        )
        assert "permanently" in confirmed[-1][1][0]
        assert "has ended" in detail.ramp_hint.text()
        events = [e.what for e in detail.events_model.rows]
        assert events[0] == "created" and len(events) >= 3, events
        panel.identifier.clear()
        before = qapp.palette()
        try:
            apply_theme(qapp, "dark")
            await asyncio.sleep(0.1)  # the palette change reaches every widget
            shot("6-concluded-dark")
        finally:
            qapp.setPalette(before)
        assert not [p for p in posted if p[0] == "error"], posted
        await gui.wait_idle()
        await gui.shutdown()

    loop.run_until_complete(scenario())
