"""Global excepthook: an unexpected exception becomes a copyable crash report (or a log line)."""

from __future__ import annotations

import logging
import platform
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout

from hyperota_desktop import __version__
from hyperota_desktop.domain.redaction import redact

log = logging.getLogger("hyperota.crash")


def crash_report(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    lines = "".join(traceback.format_exception(exc_type, exc, tb))
    header = f"HyperOTA Desktop {__version__} · Python {platform.python_version()} · {platform.platform()}"
    return redact(f"{header}\n\n{lines}")


class CrashDialog(QDialog):
    def __init__(self, report: str) -> None:
        super().__init__()
        self.setObjectName("crashDialog")
        self.setWindowTitle("HyperOTA Desktop hit an unexpected error")
        text = QLabel("Something went wrong. Your work is safe; the report below is also in the log file.")
        text.setWordWrap(True)
        self.report = QPlainTextEdit(report)
        self.report.setObjectName("crashReport")
        self.report.setAccessibleName("Crash report")
        self.report.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy report", QDialogButtonBox.ButtonRole.ActionRole)
        copy.setObjectName("crashCopyButton")
        copy.setAccessibleName("Copy report")
        copy.clicked.connect(lambda: QApplication.clipboard().setText(report))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (text, self.report, buttons):
            layout.addWidget(widget)
        self.resize(720, 420)


_OPEN: list[CrashDialog] = []  # shown dialogs, kept alive until closed


def install_excepthook(*, show_dialogs: bool) -> None:
    """Unexpected exceptions become a crash report in the log, and (unless `--no-err-windows`) a dialog
    shown without a nested event loop: the app keeps running behind it."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        report = crash_report(exc_type, exc, tb)
        log.error("unhandled exception\n%s", report)
        if show_dialogs and QApplication.instance() is not None:
            dialog = CrashDialog(report)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            _OPEN.append(dialog)
            dialog.finished.connect(lambda _result: _OPEN.remove(dialog))
            dialog.show()

    sys.excepthook = hook
