"""Keycloak emulator, browser side: landing page and the device verification pages (code -> sign in ->
approve/deny), driven with plain form posts over real HTTP like a browser would.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from hyperota_desktop.sandbox.http import RunningServer, serve
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture(scope="module")
def kc() -> KeycloakEmulator:
    return KeycloakEmulator()


@pytest.fixture(scope="module")
def server(kc: KeycloakEmulator) -> Iterator[RunningServer]:
    running = serve(kc.wsgi, "keycloak-pages-test")
    yield running
    running.stop()


@pytest.fixture
def browser(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as client:
        yield client


class Later:
    """Moves the emulator's clock forward (so a second poll is not "too fast") without sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def later(kc: KeycloakEmulator) -> Iterator[Later]:
    clock = Later()
    kc.clock = clock
    yield clock
    kc.clock = time.time


def start(server: RunningServer) -> dict:
    url = f"{server.url}/realms/hyperota/protocol/openid-connect/auth/device"
    return httpx.post(url, data={"client_id": "hyperota-desktop", "scope": "openid"}).json()


def poll(server: RunningServer, device_code: str) -> httpx.Response:
    url = f"{server.url}/realms/hyperota/protocol/openid-connect/token"
    data = {"grant_type": DEVICE_GRANT, "client_id": "hyperota-desktop", "device_code": device_code}
    return httpx.post(url, data=data)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, html
    return match.group(1)


def sign_in(browser: httpx.Client, grant: dict, username: str, password: str) -> httpx.Response:
    page = browser.get(grant["verification_uri_complete"])
    assert page.status_code == 200 and "Sign in" in page.text
    code = hidden(page.text, "user_code")
    data = {"user_code": code, "username": username, "password": password}
    return browser.post("/realms/hyperota/device/login", data=data)


def test_landing_page_lists_users_and_passwords(browser: httpx.Client, kc: KeycloakEmulator) -> None:
    page = browser.get("/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    for name, password in kc.passwords.items():
        assert name in page.text and password in page.text
    assert kc.passwords["alice"] == "alice-sandbox"
    assert "/demo/owner" in page.text


def test_full_approval_flow(browser: httpx.Client, server: RunningServer, later: Later) -> None:
    grant = start(server)
    entry = browser.get("/realms/hyperota/device")
    assert entry.status_code == 200 and 'name="user_code"' in entry.text
    login_page = browser.post("/realms/hyperota/device", data={"user_code": grant["user_code"].lower()})
    assert "Sign in" in login_page.text
    wrong = sign_in(browser, grant, "bob", "wrong")
    assert "Invalid username or password." in wrong.text
    assert poll(server, grant["device_code"]).json()["error"] == "authorization_pending"
    consent = sign_in(browser, grant, "bob", "bob-sandbox")
    assert "Signed in as <strong>bob</strong>" in consent.text
    done = browser.post(
        "/realms/hyperota/device/consent",
        data={"ticket": hidden(consent.text, "ticket"), "action": "approve"},
    )
    assert done.status_code == 200 and "Device Login Successful" in done.text
    later.offset += 6
    token = poll(server, grant["device_code"])
    assert token.status_code == 200 and token.json()["access_token"]
    again = browser.get(grant["verification_uri_complete"])  # the code is spent now
    assert "Invalid code" in again.text


def test_deny_flow(browser: httpx.Client, server: RunningServer) -> None:
    grant = start(server)
    consent = sign_in(browser, grant, "carol", "carol-sandbox")
    ticket = hidden(consent.text, "ticket")
    done = browser.post("/realms/hyperota/device/consent", data={"ticket": ticket, "action": "deny"})
    assert "Consent denied" in done.text
    assert poll(server, grant["device_code"]).json()["error"] == "access_denied"
    replay = browser.post("/realms/hyperota/device/consent", data={"ticket": ticket, "action": "approve"})
    assert replay.status_code == 400  # tickets are single use


def test_bad_codes_and_malformed_posts(browser: httpx.Client, kc: KeycloakEmulator) -> None:
    invalid = browser.get("/realms/hyperota/device", params={"user_code": "ZZZZ-ZZZZ"})
    assert invalid.status_code == 200 and "Invalid code, please try again." in invalid.text
    injected = browser.get("/realms/hyperota/device", params={"user_code": "<script>x</script>"})
    assert "<script>" not in injected.text
    as_json = browser.post("/realms/hyperota/device", json={"user_code": "x"})
    assert as_json.status_code == 200 and 'name="user_code"' in as_json.text
    garbage = browser.post(
        "/realms/hyperota/device/login",
        content=b"\xff\xfe%%",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert garbage.status_code in (200, 400)
    bad_consent = browser.post(
        "/realms/hyperota/device/consent", data={"ticket": "nope", "action": "approve"}
    )
    assert bad_consent.status_code == 400


def test_expired_code_on_the_page(browser: httpx.Client, server: RunningServer, later: Later) -> None:
    grant = start(server)
    later.offset += 601
    page = browser.get(grant["verification_uri_complete"])
    assert "expired" in page.text
