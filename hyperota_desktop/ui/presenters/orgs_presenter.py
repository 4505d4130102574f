"""Presenter of organisations, applications, members and activity: fills the navigation tree, the
Members and Activity pages, and runs create/delete/member/migrate operations as named tasks.

It awaits the profile's services (`orgs`, `members`) and reports every failure through the message
channel (the Releases page undoes the release creations a crash left). Loads for the selection are
started with `replace=True`, so a quick change of selection cancels the previous load instead of
letting it overwrite the page. Dialogs are awaited without a nested event loop (`ask_name`,
`confirm_delete`, `confirm_migration`: `org_questions` bound to the window, attributes tests replace).
A deletion first reads what it will remove (`deletion_preview`), then runs with a cancellable
progress dialog fed by the saga's runtime.

Profile and identity changes arrive by one path each: `set_services()` (the profile's services were
replaced; `AppScopedPresenter`, which also holds the selection, the permission check and the tasks) and
`identity_changed()` (the `AuthPresenter` signal). Operations a crash left are finished after the
navigation is filled, never before. Work runs only while someone is signed in to an active profile
(with or without a selection: the navigation and all activity show without one).

Signals: `refreshed()` after the navigation tree was reloaded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol

from PySide6.QtCore import Signal

from hyperota_desktop.domain.access import AccessLevel, Action, Identity
from hyperota_desktop.domain.errors import PermissionDenied
from hyperota_desktop.domain.membership import MemberScope, parse_level, selectable_levels
from hyperota_desktop.services.activity import outcome
from hyperota_desktop.services.members import MemberService
from hyperota_desktop.services.orgs import OrgService
from hyperota_desktop.services.packages.service import author
from hyperota_desktop.services.saga import SagaRuntime
from hyperota_desktop.services.storage_cleanup import FilesDeleted
from hyperota_desktop.ui.messages import MessageChannel
from hyperota_desktop.ui.models.activity import ActivityRow, StepRow
from hyperota_desktop.ui.models.navigation import NavEntry
from hyperota_desktop.ui.presenters import org_questions
from hyperota_desktop.ui.presenters.member_rows import member_row
from hyperota_desktop.ui.presenters.scoped import AppScopedPresenter, PermissionOf
from hyperota_desktop.ui.views.main_window import MainWindow
from hyperota_desktop.ui.views.org_dialogs import DeletionProgressDialog
from hyperota_desktop.ui.views.org_pages import ActivityPage, MembersPage, OrgToolbar

log = logging.getLogger("hyperota.ui.orgs")


class OrgServices(Protocol):
    """What this presenter uses of a profile's services (`ProfileServices` has it)."""

    @property
    def orgs(self) -> OrgService: ...

    @property
    def members(self) -> MemberService: ...


class OrgsPresenter(AppScopedPresenter[OrgServices]):
    refreshed = Signal()
    needs_app = False  # the navigation, an organisation's members, all activity

    def __init__(
        self,
        window: MainWindow,
        toolbar: OrgToolbar,
        members_page: MembersPage,
        activity_page: ActivityPage,
        activity: Callable[..., Awaitable[list[Any]]],
        messages: MessageChannel,
        permission: PermissionOf | None = None,
    ) -> None:
        # Without a permission source (page tests) every action is allowed; the services still check.
        super().__init__(window, messages, permission)
        self.window, self.toolbar = window, toolbar
        self.members_page, self.activity_page = members_page, activity_page
        self._activity = activity
        self._actor = ""  # how the journal names the signed-in person
        self.progress_dialog: DeletionProgressDialog | None = None  # while a deletion runs
        # What it asks the person, over the window; tests put their answers in these instead.
        self.ask_name = partial(org_questions.ask_name, window)
        self.confirm_delete = partial(org_questions.confirm_delete, window)
        self.confirm_migration = partial(org_questions.confirm_migration, window)
        window.selectionChanged.connect(self.select)
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
    def _forget_profile(self) -> None:
        """The profile's services were replaced: nothing of the old profile stays on the pages."""
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
        return self._session()

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

    def _clear(self) -> None:
        self.window.nav_model.set_entries([])
        self.window.nav_stack.setCurrentWidget(self.window.nav_empty)
        self._clear_members()
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

    def _clear_members(self) -> None:
        self.members_page.model.set_rows([], (), False)
        self.members_page.set_note("")
        self.members_page.set_scope(
            "Select an organisation or application to see who has access.", (), editable=False
        )

    async def load_members(self) -> None:
        org, app = self.org, self.app
        if not org:
            self._clear_members()
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
        rows = [member_row(scope, level, m, owners, m.user.username == me) for m in listed.members]
        labels = tuple(lvl.label for lvl in levels if lvl is not AccessLevel.NONE)
        self.members_page.model.set_rows(rows, labels, editable)
        self.members_page.set_scope(title, labels, editable=editable)
        self.members_page.set_note(listed.incomplete)

    async def load_activity(self) -> None:
        """The operations on the selected organisation (with its applications) or application; all of
        them when nothing is selected. `activity(org=, app=)` is `ServiceContext.activity`."""
        org, app = self.org, self.app
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
        org = self.org
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
        org, app = self.org, self.app
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
        org, app = self.org, self.app
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
        org = self.org
        if not org:
            return
        try:
            record = await self.session().orgs.delegate_org(org)
        finally:
            await self.load_activity()
        self._warn(record.data)
        self._messages.info(f"{org} is delegated: its members see it, its owners and admins manage it.")
        await self.refresh()

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
        return MemberScope(self.org, self.app)

    async def _after_change(self) -> None:
        await self.refresh()
        await self.load_activity()

    async def _after_member_change(self, text: str) -> None:
        self.members_page.set_status(text)
        await self.load_members()
        await self.load_activity()

    def select(self, org: str, app: str) -> None:
        """The window's selection (an organisation, an application or nothing) changed."""
        self.org, self.app = org, app
        self._update_actions()
        self._load_members_for_selection()
        self.refresh_activity()

    def _load_members_for_selection(self) -> None:
        """Load the members of the selection; a load still running for an earlier one is cancelled."""
        if not self.org:
            self._tasks.cancel("members-load")
            self._clear_members()
            return
        self._start("members-load", self.load_members(), replace=True)

    def refresh_activity(self) -> None:
        """An operation elsewhere (a publish) ended: show it in the Activity page."""
        self._start("activity-load", self.load_activity(), replace=True)

    def permissions_changed(self) -> None:
        """What the person may do changed (memberships re-read): enable and explain the actions again."""
        self._update_actions()

    def _update_actions(self) -> None:
        """Enable each action only when it applies to the selection and the person may do it."""
        org, app = self.org, self.app
        signed_in = self._live
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
