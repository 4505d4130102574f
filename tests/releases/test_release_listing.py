"""The Releases page's data: filters, search and paging in memory; refresh polls cost one request and
nothing when nothing changed (304), and see other people's changes at the next poll."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from hyperota_desktop.domain.release_drafts import ReleaseDraft
from hyperota_desktop.domain.releases import ReleaseStatus
from hyperota_desktop.services.http import ApiClient
from tests.support.org_env import SandboxTokens
from tests.support.release_env import ReleaseEnv, new_app

ORG = "demo"


class Counting(httpx.AsyncBaseTransport):
    """Counts what goes over the wire: (method, path, status)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: list[tuple[str, str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.seen.append((request.method, request.url.path, response.status_code))
        return response

    def listings(self) -> Counter[int]:
        return Counter(
            status for method, path, status in self.seen if path == "/experiments" and method == "GET"
        )


def counted(env: ReleaseEnv, sb: Any) -> Counting:
    transport = Counting()
    tokens = SandboxTokens(sb, env.username)
    env.org_env.backends.superposition.api = ApiClient(
        sb.superposition_url,
        service="Superposition",
        tokens=tokens,
        retries=2,
        backoff=0.01,
        transport=transport,
    )
    return transport


async def test_polls_cost_one_request_and_see_changes(
    alice: ReleaseEnv, as_user: Any, sb: Any, tmp_path: Path
) -> None:
    app = await new_app(alice, tmp_path)
    r = alice.releases
    await r.create(ORG, app, ReleaseDraft(package="1"))
    rel = (await r.create(ORG, app, ReleaseDraft(target={"city": "Pune"}, package="2", notes="pune"))).release

    watcher = as_user("alice")  # another window: its own services and cache
    wire = counted(watcher, sb)
    page = await watcher.releases.page(ORG, app)
    assert page.total == 2 and page.changed and wire.listings() == Counter({200: 1})
    await asyncio.sleep(2.1)  # the last change is now more than a second old (the server's precision)
    polls = [await watcher.releases.refresh(ORG, app) for _ in range(3)]
    assert polls == [False, False, False]
    assert wire.listings()[304] >= 2 and wire.listings()[200] <= 2  # at most one extra full answer
    before = len(wire.seen)
    assert await watcher.releases.refresh(ORG, app) is False
    assert wire.seen[before:] == [("GET", "/experiments", 304)]  # a 304 poll: one request, no body

    await r.ramp(ORG, app, rel.id, 20)  # someone else changes something
    assert await watcher.releases.refresh(ORG, app) is True
    row = watcher.releases.index(ORG, app).get(rel.id)
    assert row is not None and row.status is ReleaseStatus.INPROGRESS and row.traffic == 20
    assert wire.seen[-1] == ("GET", "/experiments", 200)


async def test_filters_search_and_paging(alice: ReleaseEnv, tmp_path: Path) -> None:
    app = await new_app(alice, tmp_path)
    r = alice.releases
    await r.create(ORG, app, ReleaseDraft(package="1", notes="first of all"))
    ids = []
    for i, city in enumerate(("Pune", "Delhi", "Goa", "Agra", "Kochi")):
        created = await r.create(
            ORG, app, ReleaseDraft(target={"city": city}, package="2", notes=f"note {i}")
        )
        ids.append(created.release.id)
    await r.ramp(ORG, app, ids[0], 10)
    await r.discard(ORG, app, ids[1])
    page = await r.page(ORG, app, limit=4)
    assert page.total == 6 and len(page.items) == 4 and page.items[0].id == ids[-1]  # newest first
    rest = await r.page(ORG, app, offset=4, limit=4, refresh=False)
    assert [x.id for x in rest.items][-1] != ids[-1] and len(rest.items) == 2
    s = ReleaseStatus
    assert rest.counts == {s.CONCLUDED: 1, s.INPROGRESS: 1, s.DISCARDED: 1, s.CREATED: 3}
    created = await r.page(ORG, app, statuses=[ReleaseStatus.CREATED, ReleaseStatus.INPROGRESS])
    assert {x.id for x in created.items} == {ids[0], ids[2], ids[3], ids[4]}
    assert [x.id for x in (await r.page(ORG, app, search="city=goa")).items] == [ids[2]]
    assert [x.id for x in (await r.page(ORG, app, search="NOTE 4")).items] == [ids[4]]
    assert (await r.page(ORG, app, search="ramping")).items[0].id == ids[0]
    assert (await r.page(ORG, app, search="alice@example")).total == 6
    assert (await r.page(ORG, app, search="v2", statuses=[ReleaseStatus.DISCARDED])).items[0].id == ids[1]
    everyone = (await r.page(ORG, app, search="everyone")).items
    assert len(everyone) == 1 and everyone[0].devices_percent == 100


def test_the_next_validator_never_hides_a_change_in_the_same_second() -> None:
    from hyperota_desktop.services.sp_workspace import next_if_modified_since

    # changed 10 s before the answer: send the change's second (the next poll is a 304)
    assert next_if_modified_since("Tue, 1 Jul 2025 10:52:27 +0000", "Tue, 01 Jul 2025 10:52:37 GMT") == (
        "Tue, 01 Jul 2025 10:52:27 GMT"
    )
    # changed in the answer's own second: a later change in that second must still be seen → one second less
    assert next_if_modified_since("Tue, 1 Jul 2025 10:52:37 +0000", "Tue, 01 Jul 2025 10:52:37 GMT") == (
        "Tue, 01 Jul 2025 10:52:36 GMT"
    )
    # servers before v0.88 send no Last-Modified: the answer's Date minus a second
    assert next_if_modified_since("", "Tue, 01 Jul 2025 10:52:37 GMT") == "Tue, 01 Jul 2025 10:52:36 GMT"
    assert next_if_modified_since("Tue, 1 Jul 2025 10:52:27 +0000", "") == ""  # no server clock: no shortcut
