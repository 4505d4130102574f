"""A publisher run as a separate process (killed with SIGKILL by a test): prints progress lines."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from hyperota_desktop.services.saga import SagaRuntime
from hyperota_desktop.services.transfer import ProgressSnapshot
from tests.support.packages_env import make_service


def main() -> None:
    home, endpoint, org, app, folder = sys.argv[1:6]
    service = make_service(Path(home), endpoint, concurrency=1)

    def report(snap: ProgressSnapshot) -> None:
        print(f"{snap.phase} {snap.done} {snap.total}", flush=True)

    asyncio.run(service.publish(org, app, [Path(folder)], runtime=SagaRuntime(report)))
    print("FINISHED", flush=True)


if __name__ == "__main__":
    main()
