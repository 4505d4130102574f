"""A saga over marker files, used in-process and from a subprocess that the test kills mid-way."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from hyperota_desktop.services.saga import Recovery, SagaContext, SagaDefinition, SagaRunner, Step
from hyperota_desktop.stores.journal import Journal


def definition(
    recovery: Recovery = Recovery.ROLLBACK, *, hang_at: int = -1, fail_at: int = -1
) -> SagaDefinition:
    def build(params: dict) -> list[Step]:
        root = Path(params["root"])

        def make(i: int) -> Step:
            async def run(ctx: SagaContext) -> None:
                (root / f"step{i}").write_text("done")
                ctx.data[f"step{i}"] = True
                if i == fail_at:
                    raise RuntimeError(f"boom at {i}")
                if i == hang_at:
                    (root / "hanging").write_text("yes")
                    await asyncio.sleep(3600)

            async def undo(ctx: SagaContext) -> None:
                (root / f"step{i}").unlink(missing_ok=True)

            return Step(f"step{i}", run, undo)

        return [make(i) for i in range(params.get("steps", 3))]

    return SagaDefinition("demo", build, recovery)


if __name__ == "__main__":
    journal_path, root, hang = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    runner = SagaRunner(Journal(journal_path), actor="subprocess")
    runner.register(definition(hang_at=hang))
    asyncio.run(runner.run("demo", {"root": str(root)}, "demo saga"))
