"""HTML pages a person uses in a browser: the sandbox landing page and the device verification flow
(enter the user code -> sign in -> approve or deny), as plain POST forms with all output escaped.
"""

from __future__ import annotations

import secrets
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from werkzeug.wrappers import Request, Response

from .model import DeviceGrant, User
from .web import form

if TYPE_CHECKING:
    from .emulator import KeycloakEmulator

STYLE = """
body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem} .err{color:#b00020} .ok{color:#1b5e20} table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left} input{font-size:1rem;padding:.3rem}
button{font-size:1rem;padding:.4rem 1rem;margin-right:.5rem} code{background:#eee;padding:0 .2rem}
"""


def _page(title: str, body: str, status: int = 200) -> Response:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return Response(html, status=status, mimetype="text/html", headers={"Cache-Control": "no-store"})


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def _error(message: str | None) -> str:
    return f'<p class="err" role="alert">{escape(message)}</p>' if message else ""


class Pages:
    def __init__(self, kc: KeycloakEmulator) -> None:
        self.kc = kc
        self.realm = kc.realm
        self._consents: dict[str, tuple[str, str]] = {}  # ticket -> (device_code, user_id)

    def _base(self, request: Request) -> str:
        return f"{self.kc.request_issuer(request)}/device"

    def landing(self, request: Request) -> Response:
        issuer = self.kc.request_issuer(request)
        with self.realm.lock:
            accounts = [
                (u, self.kc.passwords.get(u.username, "(none)"), self.realm.user_group_paths(u))
                for u in self.realm.sorted_users()
            ]
        rows = "".join(
            f"<tr><td><code>{escape(u.username)}</code></td><td><code>{escape(password)}"
            f"</code></td><td>{escape(u.email)}</td><td>{escape(', '.join(paths))}</td>"
            f"<td>{escape(', '.join(u.client_roles.get('realm-management', [])) or '-')}</td></tr>"
            for u, password, paths in accounts
        )
        body = (
            "<p>This is the <strong>sandbox</strong> identity provider (a Keycloak emulator). "
            "Sign in with one of these accounts:</p>"
            "<table><tr><th>User</th><th>Password</th><th>E-mail</th><th>Groups</th><th>Admin roles</th></tr>"
            f"{rows}</table>"
            f"<p>Realm <code>{escape(self.realm.name)}</code>, issuer <code>{escape(issuer)}</code>.</p>"
            f'<p><a href="{escape(issuer)}/device">Enter a device code</a></p>'
        )
        return _page("HyperOTA sandbox sign-in", body)

    # step 1: the user code ---------------------------------------------------------------------------
    def _code_form(self, request: Request, message: str | None = None, status: int = 200) -> Response:
        body = (
            f"{_error(message)}<p>Enter the code shown on your device.</p>"
            f'<form method="post" action="{escape(self._base(request))}">'
            '<label>Code <input name="user_code" autocomplete="off" autofocus required></label> '
            "<button type=submit>Submit</button></form>"
        )
        return _page("Device Login", body, status)

    def _pending(self, code: str) -> tuple[DeviceGrant | None, str | None]:
        grant = self.realm.grant_by_user_code(code)
        if grant is None or grant.status == "redeemed":
            return None, "Invalid code, please try again."
        if self.kc.clock() >= grant.expires_at:
            return None, "The code has expired. Request a new one on your device."
        if grant.status != "pending":
            return None, "This code has already been used."
        return grant, None

    def device(self, request: Request) -> Response:
        code = request.args.get("user_code") if request.method == "GET" else form(request).get("user_code")
        if code is None or not code.strip():
            return self._code_form(request)
        with self.realm.lock:
            grant, message = self._pending(code)
        if grant is None:
            return self._code_form(request, message)
        return self._login_form(request, grant.user_code)

    # step 2: sign in ------------------------------------------------------------------------------------
    def _login_form(self, request: Request, user_code: str, message: str | None = None) -> Response:
        body = (
            f"{_error(message)}<p>Sign in to authorise the device with code "
            f"<code>{escape(user_code)}</code>.</p>"
            f'<form method="post" action="{escape(self._base(request))}/login">'
            f"{_hidden('user_code', user_code)}"
            '<p><label>Username <input name="username" autocomplete="username" required></label></p>'
            '<p><label>Password <input name="password" type="password" autocomplete="current-password" '
            "required></label></p><button type=submit>Sign in</button></form>"
        )
        return _page("Sign in to your account", body)

    def login(self, request: Request) -> Response:
        params = form(request)
        code = params.get("user_code", "")
        with self.realm.lock:
            grant, message = self._pending(code)
            if grant is None:
                return self._code_form(request, message)
            user = self.realm.user_by_name(params.get("username", ""))
            password = params.get("password", "")
            if (
                user is None
                or not user.enabled
                or not secrets.compare_digest(
                    self.kc.passwords.get(user.username, "").encode(), password.encode()
                )
            ):
                return self._login_form(request, grant.user_code, "Invalid username or password.")
            ticket = secrets.token_urlsafe(24)
            self._consents[ticket] = (grant.device_code, user.id)
        return self._consent_form(request, grant, user, ticket)

    # step 3: approve or deny ---------------------------------------------------------------------------
    def _consent_form(self, request: Request, grant: DeviceGrant, user: User, ticket: str) -> Response:
        scopes = "".join(f"<li>{escape(s)}</li>" for s in grant.scope.split())
        body = (
            f"<p>Signed in as <strong>{escape(user.username)}</strong>. Do you grant "
            f"<code>{escape(grant.client_id)}</code> access to:</p><ul>{scopes}</ul>"
            f'<form method="post" action="{escape(self._base(request))}/consent">{_hidden("ticket", ticket)}'
            '<button name="action" value="approve" type=submit>Yes</button>'
            '<button name="action" value="deny" type=submit>No</button></form>'
        )
        return _page("Grant Access to device", body)

    def consent(self, request: Request) -> Response:
        params = form(request)
        with self.realm.lock:
            device_code, user_id = self._consents.pop(params.get("ticket", ""), ("", ""))
            grant = self.realm.device_grants.get(device_code)
            user = self.realm.users.get(user_id)
            action = params.get("action")
            if grant is None or user is None or action not in ("approve", "deny"):
                return self._code_form(request, "Your sign-in expired, please start again.", 400)
            try:
                self.kc.oidc.decide(grant, user, approve=action == "approve")
            except ValueError:
                return self._code_form(request, "The code has expired or was already used.")
        if action == "approve":
            return _page(
                "Device Login Successful",
                '<p class="ok">You may now close this window and go back to your device.</p>',
            )
        return _page("Consent denied", "<p>You denied access. The device will not be signed in.</p>")

    # RP-initiated logout ----------------------------------------------------------------------------
    def logged_out(self, request: Request, params: dict[str, str]) -> Response:
        hint = params.get("id_token_hint")
        if hint:
            try:
                claims = self.kc.signer.verify(hint)
            except ValueError:
                claims = {}
            with self.realm.lock:
                session = self.realm.sessions.get(str(claims.get("sid")))
                if session is not None:
                    self.realm.end_session(session)
        target = params.get("post_logout_redirect_uri")
        if target and urlsplit(target).hostname in ("127.0.0.1", "localhost", "::1"):
            state = params.get("state")
            sep = "&" if "?" in target else "?"
            location = target + (sep + urlencode({"state": state}) if state else "")
            return Response(status=302, headers={"Location": location})
        return _page("You are logged out", "<p>You have been signed out of the sandbox.</p>")
