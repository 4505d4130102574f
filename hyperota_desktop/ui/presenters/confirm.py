"""Awaited confirmations and file choosers, without nested event loops (presenters call them through
methods tests replace)."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QWidget

from hyperota_desktop.ui.presenters.dialogs import dialog_result
from hyperota_desktop.ui.views.release_dialogs import ConfirmActionDialog


async def confirm_action(
    parent: QWidget, title: str, lines: list[str], confirm: str, *, ask_why: bool = True
) -> tuple[bool, str]:
    """(confirmed, the reason typed) after showing who is affected."""
    dialog = ConfirmActionDialog(title, lines, confirm, ask_why=ask_why, parent=parent)
    try:
        accepted = await dialog_result(dialog)
        return accepted, dialog.reason
    finally:
        dialog.deleteLater()


async def choose_file(parent: QWidget, title: str, filter_text: str, *, save: str = "") -> str:
    """A file chosen in Qt's own dialog, opened and awaited (never the static getters, which run a
    nested event loop); `save` is the suggested name of a file to write. "" when cancelled."""
    dialog = QFileDialog(parent, title, "", filter_text)
    dialog.setObjectName("chooseFileDialog")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)  # a native one may block the loop
    if save:
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.selectFile(save)
    else:
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    try:
        if not await dialog_result(dialog):
            return ""
        chosen = dialog.selectedFiles()
        return chosen[0] if chosen else ""
    finally:
        dialog.deleteLater()
