"""What the Organisations presenter asks the person, each awaited without a nested event loop
(`dialog_result`): a new name (checked as it is typed, optionally tried while the dialog stays open),
the confirmation of a deletion and of a workspace repair. `OrgsPresenter` holds them bound to its
window, as attributes of the same names, which tests replace."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection

from PySide6.QtWidgets import QMessageBox, QWidget

from hyperota_desktop.domain.errors import HyperOtaError
from hyperota_desktop.domain.names import name_problem
from hyperota_desktop.services.orgs import DeletionPreview
from hyperota_desktop.ui.presenters.dialogs import dialog_result
from hyperota_desktop.ui.views.org_dialogs import ConfirmDeleteDialog, NameDialog


async def ask_name(
    parent: QWidget,
    title: str,
    prompt: str,
    kind: str,
    *,
    taken: Collection[str] = (),
    attempt: Callable[[str], Awaitable[object]] | None = None,
) -> str | None:
    """A new name, checked as it is typed (the rule, and the names in `taken`). With `attempt`, the
    dialog stays open while `attempt(name)` runs: a refusal shows under the name, which is kept
    for another try; the name is returned once `attempt` succeeded. None: cancelled."""
    taken_lower = {name.lower() for name in taken}

    def problem(name: str) -> str | None:
        rule = name_problem(name, kind=kind)
        if rule is None and name.lower() in taken_lower:
            return f"There is already an {kind} named '{name}' here; choose another name."
        return rule

    dialog = NameDialog(title, prompt, problem, parent, hold=attempt is not None)
    submitted: asyncio.Queue[str] = asyncio.Queue()
    dialog.submitted.connect(submitted.put_nowait)
    closed = asyncio.ensure_future(dialog_result(dialog))
    try:
        while True:
            asked = asyncio.ensure_future(submitted.get())
            await asyncio.wait({closed, asked}, return_when=asyncio.FIRST_COMPLETED)
            if closed.done():
                asked.cancel()
                return dialog.name if closed.result() else None
            assert attempt is not None  # only a holding dialog submits
            name = asked.result()
            try:
                await attempt(name)
            except HyperOtaError as exc:
                dialog.failed(exc.message)
                continue
            dialog.succeeded()
            await closed
            return name
    finally:
        closed.cancel()
        dialog.deleteLater()


async def confirm_delete(
    parent: QWidget, title: str, name: str, preview: DeletionPreview
) -> tuple[bool, bool]:
    """(accepted, keep files); files are always kept when the profile cannot delete them."""
    dialog = ConfirmDeleteDialog(
        title,
        name,
        lambda keep: preview.lines(keep_files=keep),
        files_option=preview.can_delete_files,
        parent=parent,
    )
    try:
        accepted = await dialog_result(dialog)
        return accepted, dialog.keep_files.isChecked() or not preview.can_delete_files
    finally:
        dialog.deleteLater()


async def confirm_migration(parent: QWidget, text: str) -> bool:
    box = QMessageBox(
        QMessageBox.Icon.Question, "Repair workspace", text,
        QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, parent,
    )  # fmt: skip
    box.setObjectName("migrateConfirmDialog")
    box.setAccessibleName("Confirm the workspace repair")
    box.button(QMessageBox.StandardButton.Ok).setText("Repair")
    try:
        await dialog_result(box)
        return box.clickedButton() is box.button(QMessageBox.StandardButton.Ok)
    finally:
        box.deleteLater()
