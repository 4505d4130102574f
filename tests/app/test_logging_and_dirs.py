from __future__ import annotations

import logging
from pathlib import Path

from hyperota_desktop.app.directories import resolve_dirs
from hyperota_desktop.app.logging_setup import setup_logging

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_profile_dir_overrides_every_folder(tmp_path: Path) -> None:
    dirs = resolve_dirs(str(tmp_path / "x"))
    assert all(p.is_relative_to(tmp_path / "x") for p in (dirs.config, dirs.data, dirs.cache, dirs.logs))


def test_env_home_is_used_when_no_flag(isolated_home: Path) -> None:
    assert resolve_dirs(None).config.is_relative_to(isolated_home)


def test_a_token_written_to_the_log_never_reaches_the_file(tmp_path: Path) -> None:
    path = setup_logging(tmp_path / "logs", "DEBUG")
    log = logging.getLogger("hyperota.test")
    log.info("got token %s", JWT)
    log.debug("headers: %s", {"Authorization": "Bearer opaque-token-value"})
    try:
        raise RuntimeError(f"refresh_token={JWT}")
    except RuntimeError:
        log.exception("failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert "got token" in text and "failed" in text
    assert JWT not in text and "opaque-token-value" not in text


def test_qt_messages_go_to_the_log(qapp, caplog) -> None:
    from PySide6.QtCore import qInstallMessageHandler, qWarning

    from hyperota_desktop.app.qt_logging import route_qt_messages

    route_qt_messages()
    try:
        with caplog.at_level("INFO", logger="hyperota.qt"):
            qWarning("a widget complained")
        assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
            ("hyperota.qt", "WARNING", "a widget complained")
        ]
    finally:
        qInstallMessageHandler(None)  # pytest-qt installs its own for the next tests


def test_library_loggers_stay_quiet_at_debug_unless_asked(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("HYPEROTA_DEBUG_LIBRARIES", raising=False)
    setup_logging(tmp_path / "logs", "DEBUG")
    assert logging.getLogger("botocore").level == logging.WARNING
    assert logging.getLogger("urllib3").level == logging.WARNING
    monkeypatch.setenv("HYPEROTA_DEBUG_LIBRARIES", "1")
    setup_logging(tmp_path / "logs", "DEBUG")
    assert logging.getLogger("botocore").level == logging.DEBUG
    setup_logging(tmp_path / "logs", "INFO")
    assert logging.getLogger("botocore").level == logging.WARNING


def test_bytes_arguments_are_redacted_before_formatting(tmp_path: Path) -> None:
    path = setup_logging(tmp_path / "logs", "DEBUG")
    headers = {"Authorization": b"AWS4-HMAC-SHA256 Credential=AKIAX/1, Signature=" + b"cd" * 32}
    logging.getLogger("hyperota.test").debug(
        "Sending: %s and %r", headers, b"<SessionToken>Fwo+</SessionToken>"
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert "AKIAX" not in text and "cd" * 32 not in text and "Fwo+" not in text
    assert "Sending:" in text
