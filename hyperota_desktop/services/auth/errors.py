"""Sign-in errors, each worded for a person with what to do next (all are `AuthError`s: exit code 3)."""

from __future__ import annotations

from hyperota_desktop.domain.errors import AuthError


class SignInConfigError(AuthError):
    """The profile's issuer or client id does not work for device sign-in: the profile needs fixing."""


class SignInDenied(AuthError):
    """The person (or an administrator's policy) refused the sign-in request."""


class SignInExpired(AuthError):
    """The code shown was not approved in time."""


class NotSignedIn(AuthError):
    """No tokens for this profile."""


class SessionExpired(AuthError):
    """The refresh token stopped working (revoked, expired, reused): sign in again."""


class TokenInvalid(AuthError):
    """A token from the sign-in server failed validation (signature, issuer, expiry, audience)."""
