"""The Archives page through the fully wired GUI: build from a dropped folder (no sign-in), verify (green),
a tampered archive (red), fallback assets, cancel; the Server secrets tab. Screenshots: artifacts/archives-*.

Runs on a qasync loop and polls with asyncio.sleep (never qtbot.waitUntil inside the loop).
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QLineEdit,
    QProgressBar,
    QTabBar,
    QTableView,
    QTabWidget,
    QWidget,
)

from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.gui_composition import build_gui
from hyperota_desktop.sandbox.aws import AwsSandbox
from hyperota_desktop.stores.dirs import AppDirs
from hyperota_desktop.ui.models.archives import MASK
from hyperota_desktop.ui.views.archives_page import ArchivesPage
from tests.support import bundles
from tests.support.archives import flipped, split
from tests.support.gui import drop, until


def _gui(tmp_path: Path, qtbot, aws: AwsSandbox | None):
    services = build_services(AppDirs.under(tmp_path / "home"))
    if aws is not None:
        endpoints = {
            "issuer": "http://127.0.0.1:9/realms/hyperota", "client_id": "hyperota-desktop",
            "superposition_url": "http://127.0.0.1:9", "s3_endpoint": aws.endpoint, "region": aws.region,
            "bucket": aws.bucket, "public_base_url": aws.public_base_url, "kms_signing_key": aws.signing_key,
            "kms_data_key": aws.data_key, "aws_access_key_id": aws.access_key_id,
            "aws_secret_access_key": aws.secret_access_key,
        }  # fmt: skip
        (tmp_path / "e.json").write_text(json.dumps(endpoints))
        services.profiles.import_file(tmp_path / "e.json", name="sb")
        services.profiles.use("sb")
    gui = build_gui(services)
    gui.shell.refresh()
    qtbot.addWidget(gui.window)
    gui.window.resize(1200, 820)
    gui.window.show()
    return services, gui


def _rows(panel) -> list[tuple[str, str]]:
    model = panel.report_model
    return [(model.index(r, 0).data(), model.index(r, 1).data()) for r in range(model.rowCount())]


def test_build_verify_tamper_fallback_and_cancel_without_signing_in(
    qtbot, tmp_path: Path, aws: AwsSandbox, loop, artifacts_dir: Path
) -> None:
    services, gui = _gui(tmp_path, qtbot, aws)
    presenter = gui.archives
    assert presenter is not None
    panel = presenter._page
    page = panel.parent().parent().parent()
    assert isinstance(page, ArchivesPage)
    bundle = bundles.react_native(tmp_path / "rn")
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))

    async def scenario() -> None:
        gui.window.pages.setCurrentWidget(page)
        assert gui.window.status_user.text() == "Signed out"
        drop(panel, [bundle])  # a folder: the build form appears, no sign-in needed
        assert panel.build_panel.isVisibleTo(panel) and panel.build_app.text() == "rn"
        panel.build_output.setText(str(tmp_path / "rn.hota"))
        assert panel.build_sign.isEnabled()  # the profile names a KMS signing key
        panel.build_sign.setChecked(True)
        panel.trust_kms.setChecked(True)
        panel.build_button.click()
        await until(lambda: panel.report_model.rowCount() > 0 and presenter.control is None, "the report")
        await presenter.wait_idle()
        rows = dict(_rows(panel))
        assert all(result == "✔ passed" for result in rows.values()), rows
        assert rows["signature"] == "✔ passed" and "signed and trusted" in panel.summary.text()
        assert panel.import_button.isEnabled() and panel.android_button.isEnabled()
        assert panel.report_model.index(0, 1).data(Qt.ItemDataRole.BackgroundRole).name() == "#d7f2da"
        assert gui.window.grab().save(str(artifacts_dir / "archives-1-built-and-verified.png"))

        raw = (tmp_path / "rn.hota").read_bytes()
        (tmp_path / "bad.hota").write_bytes(flipped(raw, split(raw)[4].data_offset + 10))
        drop(panel, [tmp_path / "bad.hota"])
        await until(lambda: "FAILED" in panel.summary.text(), "the failed report")
        await presenter.wait_idle()
        failed = [part for part, result in _rows(panel) if result == "✘ failed"]
        assert failed == ["file raw/sound.mp3"]
        assert not panel.import_button.isEnabled() and not panel.android_button.isEnabled()
        assert gui.window.grab().save(str(artifacts_dir / "archives-2-tampered.png"))

        drop(panel, [tmp_path / "rn.hota"])
        await until(lambda: "Verified" in panel.summary.text(), "the good archive again")
        await presenter.wait_idle()
        panel.ask_folder = lambda title: str(tmp_path / "main")  # type: ignore[method-assign]
        panel.android_button.click()
        await until(
            lambda: presenter.control is None and (tmp_path / "main/assets/rn").exists(), "the assets"
        )
        await presenter.wait_idle()
        assert (tmp_path / "main/assets/rn/release_config.json").is_file()

        drop(panel, [bundle])  # cancel before the build got anywhere: nothing is written
        panel.build_output.setText(str(tmp_path / "cancelled.hota"))
        panel.build_sign.setChecked(False)
        panel.build_button.click()
        presenter.cancel()
        await presenter.wait_idle()
        assert ("info", "Cancelled; nothing was written.") in posted
        assert not (tmp_path / "cancelled.hota").exists()
        assert not [p for p in posted if p[0] == "error"], posted
        await gui.wait_idle()
        await services.aclose()

    loop.run_until_complete(scenario())


def test_secrets_tab_encrypts_and_checks_with_values_masked(
    qtbot, tmp_path: Path, aws: AwsSandbox, loop, artifacts_dir: Path
) -> None:
    services, gui = _gui(tmp_path, qtbot, aws)
    secrets = gui.secrets
    assert secrets is not None
    panel = secrets._panel
    env = tmp_path / ".env"
    env.write_text("DB_USER=ota\nDB_PASSWORD=hunter2-very-secret\nKEYCLOAK_SECRET=kc-secret-value\n")
    logged: list[str] = []
    gui.messages.posted.connect(lambda _level, text: logged.append(text))

    async def scenario() -> None:
        gui.window.pages.setCurrentWidget(panel.parent().parent().parent())
        panel.parent().parent().setCurrentWidget(panel)
        drop(panel, [env])
        await until(lambda: panel.model.rowCount() == 3, "the keys")
        await secrets.wait_idle()
        assert panel.model.chosen() == ["DB_PASSWORD", "KEYCLOAK_SECRET"]  # the ones that look secret
        assert {panel.model.index(r, 2).data() for r in range(3)} == {MASK}
        assert panel.kms_key.text() == aws.data_key
        assert gui.window.grab().save(str(artifacts_dir / "archives-3-secrets.png"))
        panel.encrypt_button.click()
        await until(lambda: (tmp_path / ".env.encrypted").exists(), "the encrypted file")
        await secrets.wait_idle()
        assert "hunter2" not in (tmp_path / ".env.encrypted").read_text()
        drop(panel, [tmp_path / ".env.encrypted"])
        await until(lambda: "decrypt with your AWS credentials" in panel.status.text(), "the check")
        await secrets.wait_idle()
        assert [panel.model.index(r, 3).data() for r in range(2)] == ["decrypts", "decrypts"]
        assert panel.model.index(0, 2).data() == MASK
        panel.show_values.setChecked(True)
        assert panel.model.index(0, 2).data() == "hunter2-very-secret"
        assert not any("hunter2" in text or "kc-secret" in text for text in logged), logged
        await gui.wait_idle()
        await services.aclose()

    loop.run_until_complete(scenario())


def test_every_interactive_widget_on_the_page_is_named(qtbot) -> None:
    page = ArchivesPage()
    qtbot.addWidget(page)
    page.archives.build_panel.setVisible(True)
    for widget in page.findChildren(QWidget):
        if widget.objectName().startswith("qt_") or isinstance(
            widget.parent(), QTabBar | QLineEdit | QTableView
        ):
            continue
        interactive = QAbstractButton | QLineEdit | QTableView | QCheckBox | QTabWidget | QProgressBar
        if isinstance(widget, interactive) or widget in (page.archives.drop_area, page.secrets.drop_area):
            assert widget.objectName(), widget
            assert widget.accessibleName(), widget.objectName()


def test_build_without_any_profile_asks_for_an_unclear_index(qtbot, tmp_path: Path, loop) -> None:
    _services, gui = _gui(tmp_path, qtbot, None)
    presenter = gui.archives
    assert presenter is not None
    panel = presenter._page
    root = bundles.generic(tmp_path / "My Web App")
    posted: list[tuple[str, str]] = []
    gui.messages.posted.connect(lambda level, text: posted.append((level, text)))

    async def scenario() -> None:
        assert gui.window.status_profile.text() == "No profile"
        assert (
            not panel.build_sign.isEnabled() and not panel.trust_kms.isEnabled()
        )  # no KMS without a profile
        drop(panel, [root])
        assert panel.build_app.text() == "my-web-app"  # a valid package name from the folder's
        panel.build_output.setText(str(tmp_path / "web.hota"))
        panel.build_button.click()
        await until(lambda: any(level == "warning" for level, _t in posted), "the index question")
        await presenter.wait_idle()
        assert "Type the index file in the build form (e.g. entry.js, lib/a.js, lib/b.js)" in posted[-1][1]
        assert panel.build_panel.isVisibleTo(panel) and not (tmp_path / "web.hota").exists()
        panel.build_index.setText("entry.js")
        panel.build_button.click()
        await until(lambda: "Verified" in panel.summary.text(), "the built archive's report")
        await gui.wait_idle()
        assert (tmp_path / "web.hota").is_file()
        assert not [p for p in posted if p[0] == "error"], posted

    loop.run_until_complete(scenario())
