"""Await a dialog without a nested event loop: `open()` it and wait for its `finished` signal.

`QDialog.exec()` inside a coroutine runs a second event loop inside the asyncio one: other tasks'
callbacks then run re-entrantly, and quitting while it is open leaves the coroutine stuck. Instead the
dialog is opened (window-modal) and the coroutine awaits a future the dialog's `finished` resolves;
cancelling the coroutine closes the dialog. `modal=False` shows it beside the window instead (the
release wizard: the person may look at the releases while filling it in).
"""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QDialog


async def dialog_result(dialog: QDialog, *, modal: bool = True) -> bool:
    """True when the person accepted the dialog (the caller reads its values, then deletes it)."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def finished(result: int) -> None:
        if not future.done():
            future.set_result(result)

    dialog.finished.connect(finished)
    if modal:
        dialog.open()
    else:
        dialog.show()
    try:
        return await future == QDialog.DialogCode.Accepted.value
    finally:
        dialog.finished.disconnect(finished)
        if dialog.isVisible():  # the awaiting task was cancelled (profile switch, quit)
            dialog.reject()
