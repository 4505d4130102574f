"""Presenter of organisations, applications, members and activity: fills the navigation tree, the
Members and Activity pages, and runs create/delete/member/migrate operations as named tasks.

It awaits the profile's services (`orgs`, `members`) and reports every failure through the message
channel (the Releases page undoes the release creations a crash left). Loads for
the selection are started with `replace=True`, so a quick change of selection cancels the previous load
instead of letting it overwrite the page. Dialogs are awaited without a nested event loop (`ask_name` /
`confirm_delete`, which tests replace). A deletion first reads what it will remove
(`deletion_preview`), then runs with a cancellable progress dialog fed by the saga's runtime.

Profile and identity changes arrive by one path each: `set_services()` (the profile's services were
replaced) and `identity_changed()` (the `AuthPresenter` signal). Operations a crash left are finished
after the navigation is filled, never before.

Signals: `refreshed()` after the navigation tree was reloaded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Coroutine
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox

from hyperota_desktop.domain.access import AccessLevel, Action, Identity, Permission
from hyperota_desktop.domain.errors import HyperOtaError, NotFound, PermissionDenied
from hyperota_desktop.domain.membership import MemberScope, parse_level, refusal, selectable_levels
from hyperota_desktop.domain.names import name_problem
from hyperota_desktop.services.activity import outcome
from hyperota_desktop.services.members import EffectiveMember, MemberService
from hyperota_desktop.services.orgs import DeletionPreview, OrgService
from hyperota_desktop.services.packages.service import author
from hyperota_desktop.services.saga import SagaRuntime
from hyperota_desktop.services.storage_cleanup import FilesDeleted
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.models.activity import ActivityRow, StepRow
from hyperota_desktop.ui.models.members import MemberRow
from hyperota_desktop.ui.models.navigation import NavEntry
from hyperota_desktop.ui.presenters.dialogs import dialog_result
from hyperota_desktop.ui.presenters.tasks import PresenterTasks
from hyperota_desktop.ui.views.main_window import MainWindow
from hyperota_desktop.ui.views.org_dialogs import ConfirmDeleteDialog, DeletionProgressDialog, NameDialog
from hyperota_desktop.ui.views.org_pages import ActivityPage, MembersPage, OrgToolbar

log = logging.getLogger("hyperota.ui.orgs")


class OrgServices(Protocol):
    """What this presenter uses of a profile's services (`ProfileServices` has it)."""

    @property
    def orgs(self) -> OrgService: ...

    @property
    def members(self) -> MemberService: ...


class OrgsPresenter(QObject):
    refreshed = Signal()

    def __init__(
        self,
        window: MainWindow,
        toolbar: OrgToolbar,
        members_page: MembersPage,
        activity_page: ActivityPage,
        activity: Callable[..., Awaitable[list[Any]]],
        messages: MessageChannel,
        permission: Callable[[Action, str, str], Permission] | None = None,
    ) -> None:
        super().__init__(window)
        self.window, self.toolbar = window, toolbar
        self.members_page, self.activity_page = members_page, activity_page
        self._activity, self._messages = activity, messages
        self._services: OrgServices | None = None
        self._signed_in = False
        self._actor = ""  # how the journal names the signed-in person
        # Without a permission source (page tests) every action is allowed; the services still check.
        self._permission = permission or (lambda _action, _org, _app: Permission(True))
        self._selection = ("", "")
        self.progress_dialog: DeletionProgressDialog | None = None  # while a deletion runs
        self._tasks = PresenterTasks(messages)
        window.selectionChanged.connect(self._on_selection)
        window.refreshRequested.connect(lambda: self._start("orgs-refresh", self.refresh(), replace=True))
        toolbar.newOrgRequested.connect(lambda: self._start("org-create", self.new_org()))
        toolbar.newAppRequested.connect(lambda: self._start("app-create", self.new_app()))
        toolbar.deleteRequested.connect(lambda: self._start("org-delete", self.delete_selected()))
        toolbar.migrateRequested.connect(lambda: self._start("workspace-migrate", self.migrate_selected()))
        toolbar.delegateRequested.connect(lambda: self._start("org-delegate", self.delegate_selected()))
        members_page.addRequested.connect(lambda u, lvl: self._start("member-add", self.add_member(u, lvl)))
        members_page.levelChangeRequested.connect(
            lambda u, lvl: self._start("member-set", self.set_level(u, lvl))
        )
        members_page.removeRequested.connect(lambda u: self._start("member-remove", self.remove_member(u)))
        members_page.refreshRequested.connect(self._load_members_for_selection)
        activity_page.refreshRequested.connect(
            lambda: self._start("activity-load", self.load_activity(), replace=True)
        )
        self._update_actions()

    # -- lifecycle -------------------------------------------------------------------------------------
    def set_services(self, services: OrgServices | None) -> None:
        """The profile's services were replaced: nothing of the old profile stays on the pages."""
        if services is self._services:
            return
        self._tasks.cancel_all()
        self._services = services
        self._clear()

    def identity_changed(self, identity: object) -> None:
        """Signed in: fill the navigation, then finish what a crash left. Signed out: forget it all."""
        self._signed_in = identity is not None
        self._actor = author(identity) if isinstance(identity, Identity) else ""
        self._tasks.cancel_all()
        self._clear()
        if identity is not None and self._services is not None:
            self._start("orgs-start", self.start(), replace=True)

    def session(self) -> OrgServices:
        if self._services is None:
            raise NotFound("No profile is active.", hint="Create or choose a profile first.")
        return self._services

    @property
    def _session(self) -> OrgServices | None:  # signed in with services: the pages are live
        return self._services if self._signed_in else None

    async def start(self) -> None:
        await self.refresh()
        await self.load_activity()
        services = self.session()
        reconciled = [
            *await services.orgs.recover(),
            *await services.members.recover(),
        ]
        for record in reconciled:
            self._messages.warning(f"Finished an interrupted operation: {record.title} → {record.status}.")
        if reconciled:
            await self._after_change()

    async def stop(self) -> None:
        """Cancel and await every task (profile switch, quit)."""
        await self._tasks.stop()

    async def wait_idle(self) -> None:
        await self._tasks.wait_idle()

    def _clear(self) -> None:
        self.window.nav_model.set_entries([])
        self.window.nav_stack.setCurrentWidget(self.window.nav_empty)
        self.members_page.model.set_rows([], (), False)
        self.members_page.set_note("")
        self.members_page.set_scope(
            "Select an organisation or application to see who has access.", (), editable=False
        )
        self.activity_page.model.set_rows([])
        self.activity_page.set_scope("")
        self._update_actions()

    # -- loading ----------------------------------------------------------------------------------------
    async def refresh(self) -> None:
        orgs = await self.session().orgs.list_orgs()
        self.window.nav_model.set_entries(
            [NavEntry(o.name, tuple(a.name for a in o.apps), o.level.label, o.hidden) for o in orgs]
        )
        if orgs:
            self.window.nav_stack.setCurrentWidget(self.window.nav_tree)
            self.window.nav_tree.expandAll()
        else:
            self.window.nav_empty.set_content("No organisations", "Create one with “New organisation…”.")
            self.window.nav_stack.setCurrentWidget(self.window.nav_empty)
        self._update_actions()
        self.refreshed.emit()

    async def load_members(self) -> None:
        org, app = self._selection
        if not org:
            self.members_page.model.set_rows([], (), False)
            self.members_page.set_scope(
                "Select an organisation or application to see who has access.", (), editable=False
            )
            return
        scope = MemberScope(org, app)
        session = self.session()
        level = await session.orgs.level(scope, fresh=True)
        editable = level >= AccessLevel.ADMIN
        title = f"Members of {scope.describe()} — your level: {level.label if level else 'none'}"
        # the add selector offers what the guards allow for a newcomer: up to your own level
        levels = selectable_levels(scope, level, AccessLevel.NONE, owners=0) if editable else ()
        try:
            listed = await session.members.effective_members(scope)
        except PermissionDenied as exc:  # Keycloak lets only admins and owners list members
            self.members_page.model.set_rows([], (), False)
            self.members_page.set_scope(f"{title}. {exc.message}", (), editable=False)
            self.members_page.set_note("")
            return
        me = (await session.orgs.me()).username
        owners = sum(1 for m in listed.members if m.direct is AccessLevel.OWNER)
        rows = [self._member_row(scope, level, m, owners, m.user.username == me) for m in listed.members]
        labels = tuple(lvl.label for lvl in levels if lvl is not AccessLevel.NONE)
        self.members_page.model.set_rows(rows, labels, editable)
        self.members_page.set_scope(title, labels, editable=editable)
        self.members_page.set_note(listed.incomplete)

    @staticmethod
    def _member_row(
        scope: MemberScope, actor: AccessLevel, member: EffectiveMember, owners: int, me: bool
    ) -> MemberRow:
        """The guards apply to the level held in the scope itself; access only inherited from the
        organisation is changed on the organisation (the row says so)."""
        current = member.direct
        name = f"{member.user.first_name} {member.user.last_name}".strip()
        source = member.source(scope)
        if current is AccessLevel.NONE:
            where = f"organisation {scope.org}"
            return MemberRow(
                member.user.username, name, member.user.email, member.level.label, (member.level.label,),
                f"{member.user.username} has {member.level.label} through {where} "
                f"({member.org_level.label}): change it there, or add them here for a higher level.",
                f"Their access comes from {where}: remove them there.",
                source, "",
            )  # fmt: skip
        offered = selectable_levels(scope, actor, current, owners=owners, actor_is_target=me)
        locked = ""
        if len(offered) == 1:  # why not: the reason for the level just below (or above) the current one
            other = next(lvl for lvl in scope.levels if lvl is not current)
            locked = refusal(
                scope, actor, target_current=current, target_new=other, owners=owners, actor_is_target=me
            )
        removal = refusal(
            scope,
            actor,
            target_current=current,
            target_new=AccessLevel.NONE,
            owners=owners,
            actor_is_target=me,
        )
        return MemberRow(
            member.user.username, name, member.user.email, member.level.label,
            tuple(lvl.label for lvl in offered), locked, removal, source, current.label,
        )  # fmt: skip

    async def load_activity(self) -> None:
        """The operations on the selected organisation (with its applications) or application; all of
        them when nothing is selected. `activity(org=, app=)` is `ServiceContext.activity`."""
        org, app = self._selection
        records = await self._activity(org=org, app=app)
        if not org:  # this computer's journal also holds what others signed in here did elsewhere
            visible = self.window.nav_model.org_names()
            records = [
                r for r in records
                if r.actor == self._actor or not r.params.get("org") or r.params.get("org") in visible
            ]  # fmt: skip
        rows = [
            ActivityRow(
                r.id, r.created_at, r.title, r.actor, r.status, outcome(r),
                tuple(StepRow(s.name, s.status, s.error) for s in r.steps),
            )
            for r in records
        ]  # fmt: skip
        self.activity_page.model.set_rows(rows)
        self.activity_page.set_scope(f"{org}/{app}" if app else org)

    # -- operations -------------------------------------------------------------------------------------
    async def ask_name(
        self,
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

        dialog = NameDialog(title, prompt, problem, self.window, hold=attempt is not None)
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

    async def confirm_delete(self, title: str, name: str, preview: DeletionPreview) -> tuple[bool, bool]:
        """(accepted, keep files); files are always kept when the profile cannot delete them."""
        dialog = ConfirmDeleteDialog(
            title,
            name,
            lambda keep: preview.lines(keep_files=keep),
            files_option=preview.can_delete_files,
            parent=self.window,
        )
        try:
            accepted = await dialog_result(dialog)
            return accepted, dialog.keep_files.isChecked() or not preview.can_delete_files
        finally:
            dialog.deleteLater()

    async def new_org(self) -> None:
        created: list[Any] = []

        async def create(name: str) -> None:
            created.append(await self.session().orgs.create_org(name))

        taken = self.window.nav_model.org_names()
        name = await self.ask_name(
            "New organisation", "Organisation name", "organisation", taken=taken, attempt=create
        )
        if name and created:
            self._messages.info(f"Organisation '{name}' created; you are its owner.")
            self._warn(created[0].data)
            await self._after_change()
            self.window.select_entry(name)

    async def new_app(self) -> None:
        org = self._selection[0]
        if not org:
            return
        created: list[Any] = []

        async def create(name: str) -> None:
            created.append(await self.session().orgs.create_app(org, name))

        taken = self.window.nav_model.app_names(org)
        name = await self.ask_name(
            f"New application in {org}", "Application name", "application", taken=taken, attempt=create
        )
        if name and created:
            self._messages.info(f"Application '{org}/{name}' created.")
            self._warn(created[0].data)
            await self._after_change()
            self.window.select_entry(org, name)

    async def delete_selected(self) -> None:
        org, app = self._selection
        if not org:
            return
        session = self.session()
        target = f"{org}/{app}" if app else org
        preview = await session.orgs.deletion_preview(org, app)
        ok, keep = await self.confirm_delete(f"Delete {target}", app or org, preview)
        if not ok:
            return
        counted = preview.files
        total = counted.files if counted is not None and counted.complete and not keep else 0
        dialog = DeletionProgressDialog(f"Deleting {target}", total, self.window)
        self.progress_dialog = dialog

        def progress(event: object) -> None:
            if isinstance(event, FilesDeleted):
                dialog.report(event.prefix, event.count)

        runtime = SagaRuntime(progress)
        if app:
            task = asyncio.ensure_future(session.orgs.delete_app(org, app, keep_files=keep, runtime=runtime))
        else:
            task = asyncio.ensure_future(session.orgs.delete_org(org, keep_files=keep, runtime=runtime))
        dialog.cancelRequested.connect(task.cancel)
        dialog.show()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # this presenter task itself is being cancelled
            self._messages.warning(
                f"Deletion of {target} cancelled and undone: it is still there and its workspaces are "
                "enabled again. Files already deleted from S3 stay deleted; delete again to finish."
            )
        else:
            kept = " Its stored files were kept." if keep else ""
            self._messages.info(f"Deleted {target}.{kept}")
            self._warn(task.result().data)
        finally:
            dialog.cancelRequested.disconnect()
            dialog.finish()
            self.progress_dialog = None
        await self._after_change()

    async def migrate_selected(self) -> None:
        """Check the workspace first (reads only); say when there is nothing to repair; ask before
        changing anything; then report what the repair did."""
        org, app = self._selection
        if not (org and app):
            return
        orgs = self.session().orgs
        health = await orgs.diagnose_workspace(org, app)
        if health.healthy:
            self._messages.info(f"{org}/{app} needs no repair: its experiments work. Nothing was changed.")
            return
        if not health.broken:
            self._messages.warning(f"{health.describe()} Nothing was changed.")
            return
        question = (
            f"The release storage of {org}/{app} is broken: {'; '.join(health.evidence)}.\n\n"
            "Repair it now? This migrates its Superposition workspace database; its config is kept."
        )
        if not await self.confirm_migration(question):
            self._messages.info(f"{org}/{app} was not repaired; nothing was changed.")
            return
        try:
            repaired = await orgs.migrate_workspace(org, app)
        finally:
            await self.load_activity()  # the attempt is in the journal, whatever came of it
        self._messages.info(repaired.message())

    async def delegate_selected(self) -> None:
        """Create or repair the selected organisation's Keycloak admin permissions (what `hyperota org
        delegate` does), so its members see it and its owners and admins manage it."""
        org = self._selection[0]
        if not org:
            return
        try:
            record = await self.session().orgs.delegate_org(org)
        finally:
            await self.load_activity()
        self._warn(record.data)
        self._messages.info(f"{org} is delegated: its members see it, its owners and admins manage it.")
        await self.refresh()

    async def confirm_migration(self, text: str) -> bool:
        box = QMessageBox(
            QMessageBox.Icon.Question, "Repair workspace", text,
            QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, self.window,
        )  # fmt: skip
        box.setObjectName("migrateConfirmDialog")
        box.setAccessibleName("Confirm the workspace repair")
        box.button(QMessageBox.StandardButton.Ok).setText("Repair")
        try:
            await dialog_result(box)
            return box.clickedButton() is box.button(QMessageBox.StandardButton.Ok)
        finally:
            box.deleteLater()

    async def add_member(self, user: str, level: str) -> None:
        await self.session().members.add(self._scope(), user, parse_level(level))
        self.members_page.user_edit.clear()
        await self._after_member_change(f"{user} added as {level}.")

    async def set_level(self, user: str, level: str) -> None:
        await self.session().members.set_level(self._scope(), user, parse_level(level))
        await self._after_member_change(f"{user} is now {level}.")

    async def remove_member(self, user: str) -> None:
        await self.session().members.remove(self._scope(), user)
        await self._after_member_change(f"{user} removed.")

    # -- internals -------------------------------------------------------------------------------------
    def _warn(self, data: dict[str, Any]) -> None:
        """What an operation did not manage (e.g. Keycloak admin permissions), worded for the window
        (`gui_warnings`: no CLI command) where the operation gave such words."""
        warnings = data.get("gui_warnings") or data.get("warnings")
        for warning in warnings if isinstance(warnings, list) else ():
            self._messages.warning(str(warning))

    def _scope(self) -> MemberScope:
        return MemberScope(*self._selection)

    async def _after_change(self) -> None:
        await self.refresh()
        await self.load_activity()

    async def _after_member_change(self, text: str) -> None:
        self.members_page.set_status(text)
        await self.load_members()
        await self.load_activity()

    def _on_selection(self, org: str, app: str) -> None:
        self._selection = (org, app)
        self._update_actions()
        self._load_members_for_selection()
        self.refresh_activity()

    def _load_members_for_selection(self) -> None:
        """Load the members of the selection; a load still running for an earlier one is cancelled."""
        if self._session is not None or not self._selection[0]:
            self._start("members-load", self.load_members(), replace=True)

    def refresh_activity(self) -> None:
        """An operation elsewhere (a publish) ended: show it in the Activity page."""
        if self._session is not None:
            self._start("activity-load", self.load_activity(), replace=True)

    def permissions_changed(self) -> None:
        """What the person may do changed (memberships re-read): enable and explain the actions again."""
        self._update_actions()

    def _update_actions(self) -> None:
        """Enable each action only when it applies to the selection and the person may do it."""
        org, app = self._selection
        signed_in = self._session is not None
        delete = Action.DELETE_APP if app else Action.DELETE_ORG
        for action, needs, applies in (
            (self.toolbar.new_org_action, Action.CREATE_ORG, True),
            (self.toolbar.delegate_action, Action.CREATE_ORG, bool(org)),  # realm administrators
            (self.toolbar.new_app_action, Action.CREATE_APP, bool(org)),
            (self.toolbar.delete_action, delete, bool(org)),
            (self.toolbar.migrate_action, Action.MIGRATE_WORKSPACE, bool(app)),
        ):
            permission = self._permission(needs, org, app)
            action.setEnabled(signed_in and applies and permission.allowed)
            why = "" if permission.allowed else permission.reason
            action.setToolTip(why or action.text())
        if not self.toolbar.delegate_action.isEnabled():
            self.toolbar.delegate_action.setToolTip(
                "Delegating an organisation's permissions to its members is a realm administrator's job."
                if signed_in and org
                else "Select an organisation to delegate its permissions."
            )

    def _start(
        self, name: str, coro: Coroutine[Any, Any, Any], *, replace: bool = False
    ) -> asyncio.Task[Any] | None:
        return self._tasks.start(name, coro, replace=replace)
