"""The main window: navigation tree (organisation → application), pages, toolbar and status bar.

A view only: it knows no services. Presenters fill it and listen to its signals.

Signals:
- `profileChosen(str)`: the person picked a profile in the switcher.
- `newProfileRequested()`, `editProfileRequested()`, `importProfileRequested()`, `signInRequested()`,
  `signOutRequested()`, `refreshRequested()`.
- `selectionChanged(str, str)`: organisation and application ("" when an organisation is selected).
- `closeRequested()`: the window was closed (the app quits through its shutdown, not by itself). A
  close guard (`set_close_guard`, a presenter's) may hold the close first: it asks, then `quit_now()`.

Built before the app's first paint, which it does not make wait for `PySide6.QtCore.Qt`: creating that
namespace's Python enums takes ~16 ms on first use, so the methods that need it import it when called
(after the first paint, the pages have created it anyway), and shortcuts are made with
`QKeySequence.fromString` and set as the action's Qt property (the overloads of the constructor and
of `setShortcut` would look at `Qt.Key`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QModelIndex, Signal, SignalInstance
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from hyperota_desktop.ui.models.navigation import APP_ROLE, ORG_ROLE, NavigationFilter, NavigationModel
from hyperota_desktop.ui.widgets.empty_state import EmptyState
from hyperota_desktop.ui.widgets.naming import named

MIN_WIDTH, MIN_HEIGHT = 800, 560
PAGES: tuple[tuple[str, str, str], ...] = (
    ("packages", "Packages", "Select an application to see its packages, or drop a bundle here to publish."),
    ("releases", "Releases", "Select an application to see its releases and preview what a device gets."),
    ("dimensions", "Dimensions", "Select an application to see the dimensions its releases target."),
    ("members", "Members", "Select an organisation or application to see who has access."),
    (
        "archives",
        "Archives",
        "Verify, import and build offline archives, make fallback assets, encrypt server secrets.",
    ),
    ("activity", "Activity", "Multi-step operations and what happened to them appear here."),
)


def set_shortcut(action: QAction, keys: QKeySequence) -> None:
    """`action.setShortcut(keys)` without touching `Qt` (see the module's docstring)."""
    action.setProperty("shortcut", keys)


class PageTabs(QTabWidget):
    """The pages' tabs. Each page sits in a scroll area (see `MainWindow.set_page`); `widget`,
    `currentWidget`, `setCurrentWidget` and `indexOf` speak of the pages themselves."""

    def widget(self, index: int) -> QWidget | None:
        held = super().widget(index)
        inner = held.widget() if isinstance(held, PageScroll) else None
        return inner if inner is not None else held

    def currentWidget(self) -> QWidget | None:  # type: ignore[override]
        return self.widget(self.currentIndex())

    def indexOf(self, page: QWidget) -> int:
        found = super().indexOf(page)
        if found < 0:
            found = next((i for i in range(self.count()) if self.widget(i) is page), -1)
        return found

    def setCurrentWidget(self, page: QWidget) -> None:
        if (index := self.indexOf(page)) >= 0:
            self.setCurrentIndex(index)


class PageScroll(QScrollArea):
    """A page in its tab: as large as the tab when there is room (no scroll bars then); scrolls on a
    small screen instead of forcing the window beyond its minimum size."""

    def __init__(self, key: str, page: QWidget) -> None:
        super().__init__()
        self.setObjectName(f"{key}PageScroll")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        from PySide6.QtCore import Qt  # not at import: see the module's docstring

        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the page's widgets, not the frame
        self.setWidget(page)


class MainWindow(QMainWindow):
    profileChosen = Signal(str)
    newProfileRequested = Signal()
    editProfileRequested = Signal()
    importProfileRequested = Signal()
    signInRequested = Signal()
    signOutRequested = Signal()
    refreshRequested = Signal()
    selectionChanged = Signal(str, str)

    closeRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("HyperOTA Desktop")
        self.resize(1200, 760)
        self.setMinimumSize(MIN_WIDTH, MIN_HEIGHT)  # below this the pages cannot lay out their lists
        self._error_dialogs = True
        self.error_box: QMessageBox | None = None  # one, reused: errors while it is open are added to it
        self._close_guard: Callable[[], bool] | None = None
        self._build_toolbar()
        self._build_body()
        self._build_status_bar()
        self._build_shortcuts()
        self._build_menus()

    # -- construction -------------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        bar = QToolBar("Main", self)
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        self.addToolBar(bar)
        bar.addWidget(QLabel(" Profile: "))
        self.profile_switcher = QComboBox()
        named(self.profile_switcher, "profileSwitcher", "Active profile")
        self.profile_switcher.setMinimumWidth(180)
        self.profile_switcher.activated.connect(
            lambda i: self.profileChosen.emit(self.profile_switcher.itemData(i) or "")
        )
        bar.addWidget(self.profile_switcher)
        self.new_profile_action = self._action(
            bar, "newProfileAction", "New profile…", self.newProfileRequested
        )
        self.edit_profile_action = self._action(
            bar, "editProfileAction", "Edit profile…", self.editProfileRequested
        )
        # menu only (File): importing is rare, the toolbar stays short
        self.import_profile_action = QAction("Import profile…", self)
        self.import_profile_action.setObjectName("importProfileAction")
        self.import_profile_action.setToolTip("Import an exported profile or a sandbox endpoints file")
        self.import_profile_action.triggered.connect(self.importProfileRequested)
        bar.addSeparator()
        self.sign_in_action = self._action(bar, "signInAction", "Sign in", self.signInRequested, "Ctrl+L")
        self.sign_out_action = self._action(bar, "signOutAction", "Sign out", self.signOutRequested)
        self.sign_out_action.setEnabled(False)
        self.refresh_action = self._action(bar, "refreshAction", "Refresh", self.refreshRequested, "F5")

    def _action(
        self, bar: QToolBar, name: str, text: str, signal: SignalInstance, shortcut: str = ""
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut:
            set_shortcut(action, QKeySequence.fromString(shortcut))
            action.setToolTip(f"{text} ({shortcut})")
        action.triggered.connect(signal)
        bar.addAction(action)
        widget = bar.widgetForAction(action)
        if widget is not None:
            named(widget, f"{name}Button", text.rstrip("…"))
        return action

    def _build_body(self) -> None:
        splitter = QSplitter()  # (self) would make its overloads look at Qt.Orientation; parented below
        splitter.setObjectName("mainSplitter")
        left = named(QWidget(), "navigationPanel", "Navigation")
        self.nav_panel = left  # actions that work while the navigation has focus are added to it
        layout = QVBoxLayout(left)
        layout.setContentsMargins(4, 4, 4, 4)
        self.nav_search = QLineEdit(placeholderText="Search organisations and apps (Ctrl+F)")
        named(self.nav_search, "navigationSearch", "Search organisations and applications")
        self.nav_search.setClearButtonEnabled(True)
        self.nav_model = NavigationModel()
        self.nav_filter = NavigationFilter()
        self.nav_filter.setSourceModel(self.nav_model)
        self.nav_search.textChanged.connect(self._filter_navigation)
        self.nav_tree = QTreeView()
        named(self.nav_tree, "navigationTree", "Organisations and applications")
        self.nav_tree.setModel(self.nav_filter)
        self.nav_tree.setHeaderHidden(True)
        self.nav_tree.selectionModel().currentChanged.connect(self._on_nav_changed)
        self._shown = ("", "")  # what the pages show: the selection last announced (by anyone)
        self._reselecting = False
        self.selectionChanged.connect(self._remember_shown)
        self.nav_empty = EmptyState("navigation", "No organisations", "Sign in to see your organisations.")
        self.nav_empty.actionTriggered.connect(self._on_empty_action)
        self.nav_stack = named(QStackedWidget(), "navigationStack")
        self.nav_stack.addWidget(self.nav_empty)
        self.nav_stack.addWidget(self.nav_tree)
        layout.addWidget(self.nav_search)
        layout.addWidget(self.nav_stack)
        self.pages = PageTabs()
        named(self.pages, "pages", "Pages")
        # Until the composition root puts the real pages in (just after the first paint), each tab holds
        # a placeholder; only the one shown gets its empty state, the others when first shown.
        self.page_empty_states: dict[str, EmptyState] = {}
        for key, title, _text in PAGES:
            self.pages.addTab(named(QWidget(), f"{key}Placeholder"), title)
        self.pages.currentChanged.connect(self._explain_placeholder)
        self._explain_placeholder(self.pages.currentIndex())
        splitter.addWidget(left)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([280, 920])
        self.setCentralWidget(splitter)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setObjectName("statusBar")
        self.status_profile = named(QLabel("No profile"), "statusProfile", "Active profile")
        self.status_user = named(QLabel("Signed out"), "statusUser", "Signed-in user")
        self.status_connection = named(QLabel("Not connected"), "statusConnection", "Connection state")
        for label in (self.status_profile, self.status_user, self.status_connection):
            bar.addPermanentWidget(label)

    def _build_shortcuts(self) -> None:
        self.page_actions: list[QAction] = []
        for index, (key, title, _text) in enumerate(PAGES, start=1):
            action = QAction(f"Show {title}", self)
            action.setObjectName(f"show_{key}_action")
            set_shortcut(action, QKeySequence.fromString(f"Ctrl+{index}"))
            action.triggered.connect(lambda _=False, i=index - 1: self.pages.setCurrentIndex(i))
            self.addAction(action)
            self.page_actions.append(action)
        find = QAction("Search", self)
        set_shortcut(find, QKeySequence(QKeySequence.StandardKey.Find))
        self.search_action = find
        find.setObjectName("searchAction")
        find.triggered.connect(self._focus_search)
        self.addAction(find)
        quit_action = QAction("Quit", self)
        set_shortcut(
            quit_action, QKeySequence.fromString("Ctrl+Q")
        )  # not every platform maps StandardKey.Quit
        quit_action.setObjectName("quitAction")
        quit_action.triggered.connect(self.close)
        self.addAction(quit_action)
        self.quit_action = quit_action

    def _build_menus(self) -> None:
        """The menu bar lists every action with its shortcut; pages contribute theirs with
        `add_menu_actions` (the composition root wires them)."""
        self.menuBar().setObjectName("menuBar")
        self.menus: dict[str, QMenu] = {}
        self.add_menu_actions(
            "&File",
            [self.new_profile_action, self.edit_profile_action, self.import_profile_action, None,
             self.sign_in_action,
             self.sign_out_action, self.refresh_action, None, self.quit_action],
        )  # fmt: skip
        self.add_menu_actions("&Go", [*self.page_actions, None, self.search_action])

    def add_menu_actions(self, menu_name: str, actions: Sequence[QAction | None]) -> QMenu:
        """Append `actions` (None = a separator) to the menu `menu_name`, made on first use. Each action
        keeps its own shortcut; the menu shows it."""
        menu = self.menus.get(menu_name)
        if menu is None:
            menu = QMenu(menu_name, self)
            go = self.menus.get("&Go")  # pages' menus come before Go
            if go is None:
                self.menuBar().addMenu(menu)
            else:
                self.menuBar().insertMenu(go.menuAction(), menu)
            menu.setObjectName(f"{menu_name.replace('&', '').lower()}Menu")
            self.menus[menu_name] = menu
        for action in actions:
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        return menu

    # -- what presenters call ---------------------------------------------------------------------------
    def set_profiles(
        self, names: list[str], active: str | None, isolation: tuple[str, str] | None = None
    ) -> None:
        """`isolation`: (short, detail) saying whether S3 keeps organisations apart for `active`."""
        self.profile_switcher.blockSignals(True)
        self.profile_switcher.clear()
        for name in names:
            self.profile_switcher.addItem(name, name)
        if active is not None:
            self.profile_switcher.setCurrentIndex(self.profile_switcher.findData(active))
        self.profile_switcher.blockSignals(False)
        self.edit_profile_action.setEnabled(active is not None)
        self.sign_in_action.setEnabled(active is not None)
        self.status_profile.setText(f"Profile: {active}" if active else "No profile")
        if active and isolation:
            self.status_profile.setText(f"Profile: {active} ({isolation[0]})")
        self.status_profile.setToolTip(isolation[1] if active and isolation else "")
        if not names:
            self.nav_empty.set_content(
                "No profile yet",
                "A profile says where your Keycloak, Superposition and S3 are. "
                "Create one, or start the app with --sandbox to try everything locally.",
                "New profile…",
            )
        else:
            self.show_sign_in_prompt()

    def show_sign_in_prompt(self) -> None:
        """Signed out: the navigation asks to sign in (unless there is no profile to sign in with)."""
        if self.profile_switcher.count():
            self.nav_empty.set_content("No organisations", "Sign in to see your organisations.", "Sign in")

    def set_user(self, text: str) -> None:
        self.status_user.setText(text)

    def set_connection(self, text: str) -> None:
        self.status_connection.setText(text)

    def set_page(self, key: str, widget: QWidget) -> None:
        """Replace a page's placeholder with its real view, in a scroll area: a page never forces the
        window beyond its minimum size (a small screen scrolls the page instead of cutting the window)."""
        index = [k for k, _t, _x in PAGES].index(key)
        current = self.pages.currentIndex()
        tab_icon = self.pages.tabIcon(index)  # decoration.py's, kept across the swap
        self.pages.removeTab(index)
        self.pages.insertTab(index, PageScroll(key, widget), tab_icon, PAGES[index][1])
        self.pages.setCurrentIndex(current)

    def show_page(self, key: str) -> None:
        self.pages.setCurrentIndex([k for k, _t, _x in PAGES].index(key))

    def set_error_dialogs(self, shown: bool) -> None:
        """`--no-err-windows`: errors go to the status bar and the log only, never a dialog."""
        self._error_dialogs = shown

    def show_message(self, level: str, text: str) -> None:
        self.statusBar().showMessage(text, 10_000)
        if level != "error" or not self._error_dialogs:
            return
        box = self.error_box
        if box is not None and box.isVisible():  # one dialog for a burst of errors, newest last
            lines = [*box.text().split("\n\n")[-4:], text]
            box.setText("\n\n".join(lines))
            return
        if box is None:
            from PySide6.QtCore import Qt

            box = QMessageBox(QMessageBox.Icon.Warning, "HyperOTA Desktop", text, parent=self)
            box.setObjectName("errorMessageBox")
            box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.error_box = box
        box.setText(text)
        box.open()

    def set_close_guard(self, guard: Callable[[], bool] | None) -> None:
        """`guard()` decides whether a close (Quit, Ctrl+Q, the close button) goes ahead now: False holds
        the window open (the guard asks the person, then calls `quit_now`)."""
        self._close_guard = guard

    def quit_now(self) -> None:
        """Close without asking the guard again (it has asked and done what the person chose)."""
        self._close_guard = None
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the window asks the app to quit (cleanly: running work is stopped, then closed)."""
        if self._close_guard is not None and not self._close_guard():
            event.ignore()
            return
        event.accept()
        self.closeRequested.emit()

    # -- internals ------------------------------------------------------------------------------------
    def _explain_placeholder(self, index: int) -> None:
        """The page at `index`, still a placeholder, shows its empty state (built now, once)."""
        if index < 0:
            return
        key, title, text = PAGES[index]
        holder = self.pages.widget(index)
        if holder is None or holder.objectName() != f"{key}Placeholder" or key in self.page_empty_states:
            return
        empty = self.page_empty_states[key] = EmptyState(key, title, text)
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(empty)

    def _on_empty_action(self) -> None:
        if self.profile_switcher.count() == 0:
            self.newProfileRequested.emit()
        else:
            self.signInRequested.emit()

    def select_entry(self, org: str, app: str = "") -> bool:
        """Select an organisation (or its application) in the navigation, e.g. the one just created;
        a search that hides it is cleared. False when it is not listed."""
        for attempt in range(2):
            index = self._listed(org, app)
            if index is not None:
                self.nav_tree.setCurrentIndex(index)
                return True
            if attempt == 0 and self.nav_search.text():
                self.nav_search.clear()
            else:
                return False
        return False

    def _focus_search(self) -> None:
        from PySide6.QtCore import Qt

        self.nav_search.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _listed(self, org: str, app: str) -> QModelIndex | None:
        """The row of the organisation (or its application) the search lets through, if any."""
        proxy = self.nav_filter
        for row in range(proxy.rowCount()):
            index = proxy.index(row, 0)
            if index.data(ORG_ROLE) != org or index.data(APP_ROLE):
                continue
            if not app:
                return index
            children = (proxy.index(r, 0, index) for r in range(proxy.rowCount(index)))
            return next((c for c in children if c.data(APP_ROLE) == app), None)
        return None

    def _filter_navigation(self, text: str) -> None:
        self._reselecting = True  # rows the search hides move Qt's current row: not the person's choice
        try:
            self.nav_filter.setFilterFixedString(text)
        finally:
            self._reselecting = False
        self.nav_tree.expandAll()
        self._keep_current()

    def _remember_shown(self, org: str, app: str) -> None:
        self._shown = (org, app)

    def _keep_current(self) -> None:
        """A search changes what the tree lists, never what the pages show: while the row they show is
        hidden the tree has no current row; once it is listed again (the search cleared or widened) it
        is the tree's current row again — quietly, the pages show it already."""
        org, app = self._shown
        current = self.nav_tree.currentIndex()
        if not org or (
            current.isValid() and (current.data(ORG_ROLE), current.data(APP_ROLE) or "") == (org, app)
        ):
            return
        index = self._listed(org, app)
        self._reselecting = True
        try:
            if index is None:  # hidden: no other row pretends to be what the pages show
                self.nav_tree.selectionModel().clear()
            else:
                self.nav_tree.setCurrentIndex(index)
        finally:
            self._reselecting = False

    def _on_nav_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        org = current.data(ORG_ROLE) or ""
        app = current.data(APP_ROLE) or ""
        if not self._reselecting:
            self.selectionChanged.emit(org, app)
