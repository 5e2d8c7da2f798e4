"""The review starter: one attempt at a time probes Prefect until it has answered."""

from __future__ import annotations

import anyio

from api.review_starter import ReviewStarter
from config.settings import Settings
from services.review import ReviewToStart

REVIEW = ReviewToStart(document_id=1, version_id=1, version_number=1)


class _Gated(ReviewStarter):
    """A starter whose Prefect answers (or fails) when the test opens the gate."""

    def __init__(self, fail: bool) -> None:
        super().__init__(Settings())
        self.fail, self.gate, self.calls = fail, anyio.Event(), 0

    async def _create_run(self, review: ReviewToStart) -> str:
        self.calls += 1
        await self.gate.wait()
        if self.fail:
            raise ConnectionError("Prefect is down")
        return "run-1"


def _observe(fail: bool) -> tuple[bool, bool, bool]:
    starter = _Gated(fail)
    seen: list[bool] = []

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(starter.start, REVIEW)
            await anyio.sleep(0.01)
            seen.append(starter.available)  # while the probe runs
            starter.gate.set()
        seen.append(starter.available)  # after it answered or failed

    anyio.run(main)
    return seen[0], seen[1], starter.calls == 1


def test_while_a_probe_runs_other_uploads_leave_their_review_to_the_reconciler() -> None:
    assert _observe(fail=True) == (False, False, True)  # then the backoff holds


def test_once_prefect_answered_every_upload_starts_its_review() -> None:
    assert _observe(fail=False) == (False, True, True)
