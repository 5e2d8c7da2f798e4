"""The review starter: one attempt at a time probes Prefect until it has answered."""

from __future__ import annotations

import anyio

from api.review_starter import STARTS_AT_ONCE, ReviewStarter
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


class _Counted(ReviewStarter):
    """A starter whose Prefect takes a moment per run and counts the creations in flight."""

    def __init__(self) -> None:
        super().__init__(Settings(review_start_timeout_seconds=1))
        self.in_flight = self.most = 0
        self._answered = True  # Prefect answered before: every upload starts its review

    async def _create_run(self, review: ReviewToStart) -> str:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await anyio.sleep(0.3)
        self.in_flight -= 1
        return f"run-{review.document_id}"


def test_a_burst_sends_at_most_a_few_creations_to_prefect_at_once_and_all_start() -> None:
    """20 uploads at once: the waiting turns do not count against the attempt's timeout
    (5 rounds of 0.3 s exceed the 1 s timeout), and every review starts."""
    starter = _Counted()
    started: list[str | None] = []

    async def one(n: int) -> None:
        review = ReviewToStart(document_id=n, version_id=n, version_number=1)
        started.append(await starter.start(review))

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            for n in range(20):
                tasks.start_soon(one, n)

    anyio.run(main)
    assert starter.most == STARTS_AT_ONCE
    assert sorted(started, key=str) == sorted((f"run-{n}" for n in range(20)), key=str)
