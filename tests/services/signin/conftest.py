"""Fixtures for sign-in tests: a Keycloak emulator on loopback with a controllable clock.

Time is fake: the service's `sleep` advances the same clock the emulator reads, so device-flow polls
run instantly and deterministically, and the recorded sleeps show the intervals the client chose.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from hyperota_desktop.domain.profiles import Profile
from hyperota_desktop.sandbox.http import RunningServer
from hyperota_desktop.sandbox.keycloak import KeycloakEmulator
from hyperota_desktop.services.auth import AuthService
from hyperota_desktop.stores.secrets import SecretStore
from tests.support.request_counter import HitCounter


class FakeTime:
    def __init__(self) -> None:
        self.now = time.time()
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[float], None] | None = None

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)
        await asyncio.sleep(0)


@pytest.fixture(scope="module")
def kc() -> KeycloakEmulator:
    return KeycloakEmulator(device_code_lifespan=120, poll_interval=5, access_token_lifespan=300)


@pytest.fixture(scope="module")
def counter(kc: KeycloakEmulator) -> HitCounter:
    return HitCounter(kc.wsgi)


@pytest.fixture(scope="module")
def kc_server(counter: HitCounter) -> Iterator[RunningServer]:
    with counter.served("keycloak-auth-tests") as running:
        yield running


@pytest.fixture
def fake_time(kc: KeycloakEmulator, kc_server: RunningServer) -> Iterator[FakeTime]:
    fake = FakeTime()
    kc.clock = fake
    kc.set_auto_approve(None)
    kc_server.faults.clear()
    yield fake
    kc.clock = time.time
    kc.set_auto_approve(None)
    kc_server.faults.clear()


@pytest.fixture
def profile(kc: KeycloakEmulator, kc_server: RunningServer) -> Profile:
    return Profile(name="kc", issuer=kc.issuer(kc_server.url), client_id="hyperota-desktop")


@pytest.fixture
def secrets() -> SecretStore:
    return SecretStore()


@pytest.fixture
async def make_auth(
    profile: Profile, secrets: SecretStore, fake_time: FakeTime
) -> AsyncIterator[Callable[..., AuthService]]:
    made: list[AuthService] = []

    def make(**kwargs: Any) -> AuthService:
        options: dict[str, Any] = {"environ": {}, "clock": fake_time, "sleep": fake_time.sleep}
        options.update(kwargs)
        target = options.pop("profile", profile)
        store = options.pop("secrets", secrets)
        service = AuthService(target, store, **options)
        made.append(service)
        return service

    yield make
    for service in made:
        await service.aclose()


async def sign_in(auth: AuthService, kc: KeycloakEmulator, user: str) -> None:
    kc.set_auto_approve(user)
    try:
        await auth.login()
    finally:
        kc.set_auto_approve(None)
