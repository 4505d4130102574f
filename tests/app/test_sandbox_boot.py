"""`hyperota-desktop --sandbox`: in-process sandbox, temporary active profile, clean stop on quit."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from hyperota_desktop.app import gui_entry
from hyperota_desktop.app.container import build_services
from hyperota_desktop.app.directories import resolve_dirs
from hyperota_desktop.app.sandbox_boot import SandboxBoot
from hyperota_desktop.domain.errors import NotFound
from tests.support.memkeyring import MemoryKeyring


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_boot_makes_an_active_profile_with_keys_in_the_keyring(memory_keyring: MemoryKeyring) -> None:
    services = build_services(resolve_dirs(None), profile_override="sandbox")
    boot = SandboxBoot.start(services)
    ports = [server.port for server in boot.sandbox.servers.values()]
    try:
        profile = services.profiles.active()
        assert profile.name == "sandbox"
        assert profile.issuer == boot.sandbox.issuer
        assert profile.superposition_org_id == boot.sandbox.org_id
        assert services.profiles.static_aws_keys("sandbox") == (
            boot.sandbox.aws.access_key_id,
            boot.sandbox.aws.secret_access_key,
        )
        # Keys are in the keyring, never in the profiles file.
        assert memory_keyring.store[("hyperota-desktop", "sandbox/aws_secret_access_key")]
        assert boot.sandbox.aws.secret_access_key not in (services.dirs.config / "profiles.json").read_text()
        assert services.profiles.list()[0].name == "sandbox"
        assert httpx.get(f"{profile.issuer}/.well-known/openid-configuration").status_code == 200
    finally:
        boot.stop()
    boot.stop()  # idempotent
    with pytest.raises(NotFound):
        services.profiles.get("sandbox")
    assert services.profiles.static_aws_keys("sandbox") is None
    assert not any(_port_open(port) for port in ports)


def test_gui_with_sandbox_flag_connects_and_stops_on_quit(qapp: QApplication) -> None:
    seen: dict[str, Any] = {}

    def inspect_then_quit() -> None:
        # The window is painted first and the sandbox starts behind it: wait for its profile.
        profiles = resolve_dirs(None).config / "profiles.json"
        if '"sandbox"' not in (profiles.read_text() if profiles.exists() else ""):
            QTimer.singleShot(50, inspect_then_quit)
            return
        services = build_services(resolve_dirs(None), profile_override="sandbox")
        profile = services.profiles.get("sandbox")
        seen["issuer"] = profile.issuer
        seen["discovery"] = httpx.get(f"{profile.issuer}/.well-known/openid-configuration").status_code
        seen["port"] = int(profile.issuer.split(":")[2].split("/")[0])
        seen["windows"] = [w.objectName() for w in qapp.topLevelWidgets() if w.isVisible()]
        qapp.quit()

    QTimer.singleShot(0, inspect_then_quit)
    assert gui_entry.main(["--sandbox", "--no-err-windows"]) == 0
    assert seen["discovery"] == 200
    assert seen["windows"]
    assert not _port_open(seen["port"])  # stopped on quit
    with pytest.raises(NotFound):
        build_services(resolve_dirs(None)).profiles.get("sandbox")
    for widget in qapp.topLevelWidgets():
        widget.close()
        widget.deleteLater()


def test_the_window_builds_its_services_with_its_own_setting_defaults(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hyperota-desktop` sends 4 parts at once (`GUI_DEFAULTS`; the CLI 8): its entry point gives the
    window's defaults to the services it builds (P3 of issue 11)."""
    from hyperota_desktop.app import container

    built: dict[str, Any] = {}
    real = container.build_services

    def build_and_quit(*args: Any, **kwargs: Any) -> Any:
        services = built["services"] = real(*args, **kwargs)
        QTimer.singleShot(0, qapp.quit)
        return services

    monkeypatch.setattr(container, "build_services", build_and_quit)
    assert gui_entry.main(["--no-err-windows"]) == 0
    services = built["services"]
    assert services.settings.get("upload/parallel_parts") == 4
    assert services.workers.transfers is not None and services.workers.transfers._max_workers == 4 + 8
    for widget in qapp.topLevelWidgets():
        widget.close()
        widget.deleteLater()
