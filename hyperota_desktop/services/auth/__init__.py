"""Sign-in: OIDC discovery, device authorization grant, token validation, refresh, logout, identity."""

from hyperota_desktop.services.auth.device import DeviceAuthorization, LoginState, LoginStatus
from hyperota_desktop.services.auth.discovery import OidcConfig
from hyperota_desktop.services.auth.errors import (
    NotSignedIn,
    SessionExpired,
    SignInConfigError,
    SignInDenied,
    SignInExpired,
    TokenInvalid,
)
from hyperota_desktop.services.auth.service import AuthEvent, AuthService
from hyperota_desktop.services.auth.store import ENV_REFRESH_TOKEN

__all__ = [
    "ENV_REFRESH_TOKEN",
    "AuthEvent",
    "AuthService",
    "DeviceAuthorization",
    "LoginState",
    "LoginStatus",
    "NotSignedIn",
    "OidcConfig",
    "SessionExpired",
    "SignInConfigError",
    "SignInDenied",
    "SignInExpired",
    "TokenInvalid",
]
