"""Run an `app.create` saga in a subprocess against a running sandbox (the test kills it mid-way).

argv: settings.json (issuer, realm, superposition_url, org_id, token, journal, org, app, user_id)
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from hyperota_desktop.services.keycloak_admin import KeycloakAdmin
from hyperota_desktop.services.org_sagas import APP_CREATE, OrgBackends, register_org_sagas
from hyperota_desktop.services.saga import SagaRunner
from hyperota_desktop.services.superposition import SuperpositionClient
from hyperota_desktop.stores.journal import Journal


class Static:
    def __init__(self, token: str) -> None:
        self.token = token

    async def access_token(self) -> str:
        return self.token

    async def refresh_after_unauthorized(self, stale: str) -> str:
        return self.token


async def main(settings: dict[str, str]) -> None:
    tokens = Static(settings["token"])
    backends = OrgBackends(
        KeycloakAdmin(settings["keycloak_url"], settings["realm"], tokens),
        SuperpositionClient(settings["superposition_url"], tokens, org_id=settings["org_id"]),
    )
    runner = SagaRunner(Journal(Path(settings["journal"])), actor="subprocess")
    register_org_sagas(runner, lambda: backends)
    params = {"org": settings["org"], "app": settings["app"], "user_id": settings["user_id"], "email": ""}
    await runner.run(APP_CREATE, params, "Create application (subprocess)")


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
