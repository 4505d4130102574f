"""Typed errors every layer raises and one mapper turns into user messages and exit codes.

Services raise these (never raw HTTP or SDK errors); the UI and the CLI only ever see this family.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of the `hyperota` command, documented in `hyperota --help`."""

    OK = 0
    USAGE = 2
    AUTH = 3
    PERMISSION_OR_NOT_FOUND = 4
    INTEGRITY = 5
    UNAVAILABLE = 6


class HyperOtaError(Exception):
    """Base of every error meant for a person: `str(err)` is the message, `hint` says what to do.
    `gui_hint`: what to do in the window, where the hint names a CLI command (a GUI user is never told
    to run one); `user_text(gui=True)` uses it."""

    exit_code: ExitCode = ExitCode.INTEGRITY

    def __init__(self, message: str, *, hint: str = "", gui_hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.gui_hint = gui_hint

    def user_text(self, *, gui: bool = False) -> str:
        hint = (self.gui_hint or self.hint) if gui else self.hint
        return f"{self.message} {hint}".strip() if hint else self.message


class UsageError(HyperOtaError):
    exit_code = ExitCode.USAGE


class ValidationError(HyperOtaError):
    """Bad input from a person or a file: names, profiles, bundles, archives."""

    exit_code = ExitCode.INTEGRITY


class IntegrityError(HyperOtaError):
    """Stored or received data does not match what it claims (checksums, signatures)."""

    exit_code = ExitCode.INTEGRITY


class AuthError(HyperOtaError):
    """Not signed in, sign-in refused or expired: the person must sign in (again)."""

    exit_code = ExitCode.AUTH


class PermissionDenied(HyperOtaError):
    exit_code = ExitCode.PERMISSION_OR_NOT_FOUND


class NotFound(HyperOtaError):
    exit_code = ExitCode.PERMISSION_OR_NOT_FOUND


class Conflict(HyperOtaError):
    """The thing exists already or changed under us (409, 412)."""

    exit_code = ExitCode.INTEGRITY


class BackendUnavailable(HyperOtaError):
    """A backend could not be reached or answered 5xx after retries."""

    exit_code = ExitCode.UNAVAILABLE


class Cancelled(HyperOtaError):
    """The person cancelled a long-running task."""

    exit_code = ExitCode.USAGE


class MissingRight(PermissionDenied):
    """A backend refused because the person lacks a named right: `right` is what is missing (e.g. the
    Keycloak role `manage-users`), `granted_by` who can give it (e.g. a realm administrator)."""

    def __init__(
        self, message: str, *, right: str, granted_by: str, hint: str = "", gui_hint: str = ""
    ) -> None:
        super().__init__(message, hint=hint or f"Ask {granted_by} for {right}.", gui_hint=gui_hint)
        self.right = right
        self.granted_by = granted_by
