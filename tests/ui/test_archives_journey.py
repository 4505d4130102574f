"""Export from the Packages page and import on the Archives page, signed in as alice on the full sandbox
(access levels from Keycloak, files in S3, signatures through KMS). Screenshot: artifacts/archives-4-*.png.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import Gui, build_gui
from hyperota_desktop.sandbox.runtime import Sandbox
from hyperota_desktop.stores.dirs import AppDirs
from tests.support import bundles
from tests.support.gui import quit_gui, until


@pytest.fixture
def wired(qtbot, tmp_path: Path, sandbox: Sandbox, loop) -> Iterator[tuple[Gui, object]]:
    sandbox.keycloak.set_auto_approve("alice")
    services = build_services(AppDirs.under(tmp_path / "home"))
    (tmp_path / "endpoints.json").write_text(json.dumps(sandbox.endpoints), encoding="utf-8")
    services.profiles.import_file(tmp_path / "endpoints.json", name="sandbox")
    services.profiles.use("sandbox")
    gui = build_gui(services)
    gui.shell.refresh()
    gui.window.resize(1200, 820)
    gui.window.show()
    yield gui, services
    sandbox.keycloak.set_auto_approve(None)
    quit_gui(loop, gui)


def test_export_from_packages_then_import_twice(wired, loop, tmp_path: Path, artifacts_dir: Path) -> None:
    gui, services = wired
    archives, packages = gui.archives, gui.packages
    assert archives is not None and packages is not None
    panel, packages_page = archives._page, packages._page
    org = f"arcgui-{uuid.uuid4().hex[:8]}"
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))

    async def scenario() -> None:
        gui.auth.sign_in()
        await until(lambda: gui.auth.identity is not None, "sign-in")
        await gui.wait_idle()
        profile = services.profile()
        await profile.orgs.create_org(org)
        for app in ("one", "two"):
            await profile.orgs.create_app(org, app)
        await profile.packages.publish(org, "one", [bundles.react_native(tmp_path / "rn")])

        packages.select(org, "one")
        await until(lambda: packages_page.list_model.rowCount() == 1, "the package list")
        await packages.wait_idle()
        assert not packages_page.export_button.isEnabled()  # nothing shown yet
        packages_page.list_table.selectRow(0)
        await until(lambda: packages_page.export_button.isEnabled(), "the export button")
        await packages.wait_idle()
        panel.trust_kms.setChecked(True)
        panel.ask_save_path = lambda title, default, filter_text="": str(tmp_path / default)  # type: ignore[method-assign]
        packages_page.export_button.click()
        await until(lambda: "Verified" in panel.summary.text() and archives.control is None, "the export")
        await archives.wait_idle()
        assert gui.window.pages.currentWidget().isAncestorOf(panel)  # the Archives page shows
        assert "signed and trusted" in panel.summary.text()
        assert (tmp_path / f"{org}-one-1.hota").is_file()
        assert (panel.import_org.text(), panel.import_app.text()) == (org, "one")

        panel.import_app.setText("two")
        panel.import_button.click()
        await until(
            lambda: archives.control is None and any("Imported into" in t for _l, t in posted), "import"
        )
        await archives.wait_idle()
        assert ("info", f"Imported into {org}/two as version 1 (3.0 KiB sent).") in posted
        panel.import_button.click()
        await until(lambda: any("nothing new" in t for _l, t in posted), "the second import")
        await archives.wait_idle()
        assert gui.window.grab().save(str(artifacts_dir / "archives-4-exported-and-imported.png"))
        assert not [p for p in posted if p[0] == "error"], posted

    loop.run_until_complete(scenario())
