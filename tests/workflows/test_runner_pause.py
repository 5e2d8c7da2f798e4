"""A run suspended while the runner picks it up must not end serve (issue 24).

The runner polls for scheduled runs, then proposes Pending for each. A run suspended in between
(a decision form saved again, a resumed run suspended once more) is rejected with its paused state,
and Prefect raises `Pause`, a `BaseException` its runner lets through: serve dies with every run it
was executing. The test makes that race deterministic on the session's real Prefect server: a real
`Runner` is started, the run is read as the runner reads it (Scheduled), suspended on the server,
and handed to the runner's own submission path.
"""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.exceptions import Pause
from prefect.runner import Runner
from prefect.states import Scheduled, Suspended

from workflows import runner_guard

pytestmark = pytest.mark.usefixtures("prefect_client_settings")


@flow(name="runner-pause-probe")
def probe() -> None:
    """Never runs: its run is suspended before the runner can start it."""


async def _runner_meets_a_run_suspended_after_its_poll() -> tuple[BaseException | None, str]:
    """Serve one deployment, suspend its scheduled run after the poll; what ended the runner
    (None: still serving) and the run's state afterwards."""
    name = f"pause-probe-{uuid.uuid4().hex[:8]}"
    runner = Runner(name=name, query_seconds=3600, pause_on_shutdown=False)
    deployment_id = await runner.aadd_flow(probe, name=name)
    # Far enough ahead that the runner's own first poll (10 s prefetch) leaves it alone.
    later = datetime.now(UTC) + timedelta(hours=1)
    async with get_client() as client:
        run = await client.create_flow_run_from_deployment(
            deployment_id, state=Scheduled(scheduled_time=later)
        )
        serving = asyncio.create_task(runner.start())
        for _ in range(200):
            if runner.started or serving.done():
                break
            await asyncio.sleep(0.05)
        assert runner.started, "the runner did not start"
        # What the runner's poll returns: the run, still Scheduled.
        picked = await client.get_scheduled_flow_runs_for_deployments(
            deployment_ids=[deployment_id], scheduled_before=later + timedelta(seconds=1)
        )
        assert [r.id for r in picked] == [run.id]
        assert picked[0].state is not None
        assert picked[0].state.is_scheduled()
        # Between the poll and the Pending proposal the run is suspended.
        await client.set_flow_run_state(
            run.id, Suspended(timeout_seconds=3600, pause_key="probe"), force=True
        )
        poller = runner._scheduled_run_poller
        await poller._submit_scheduled_flow_runs(picked, runner._runs_task_group)
        done, _ = await asyncio.wait({serving}, timeout=5)
        ended: BaseException | None = None
        if done:
            ended = serving.exception() or RuntimeError("the runner returned")
        else:
            await runner.astop()
            await asyncio.wait({serving}, timeout=30)
        after = await client.read_flow_run(run.id)
        await client.delete_deployment(deployment_id)
    assert after.state is not None
    return ended, after.state.name


def _on_a_thread_of_its_own() -> tuple[BaseException | None, str]:
    """Its own event loop, in a copy of this context (the stack's Prefect settings)."""
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=1) as pool:
        scenario = _runner_meets_a_run_suspended_after_its_poll
        return pool.submit(context.run, asyncio.run, scenario()).result()


def _pauses_in(error: BaseException | None) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [e for inner in error.exceptions for e in _pauses_in(inner)]
    return [error] if isinstance(error, Pause) else []


@pytest.fixture
def unguarded_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's methods as Prefect ships them, restored after the test."""
    for cls, name, _ in runner_guard.GUARDED:
        method = getattr(cls, name)
        monkeypatch.setattr(cls, name, getattr(method, "__wrapped__", method))


def test_prefect_runner_dies_when_a_run_it_picked_up_is_suspended_before_pending(
    unguarded_runner: None,
) -> None:
    """The upstream bug, as shipped (docs/upstream/prefect-runner-pause.md). When this fails,
    Prefect has fixed it and workflows/runner_guard.py can go."""
    ended, state = _on_a_thread_of_its_own()
    assert _pauses_in(ended), f"the runner ended with {ended!r}, not Pause"
    assert state == "Suspended"


def test_serve_keeps_running_and_leaves_the_suspended_run_alone_with_the_guard(
    unguarded_runner: None,
) -> None:
    runner_guard.install()
    runner_guard.install()  # twice is once
    for cls, name, _ in runner_guard.GUARDED:
        assert not hasattr(getattr(cls, name).__wrapped__, runner_guard._MARK), name
    ended, state = _on_a_thread_of_its_own()
    assert ended is None, f"the runner ended with {ended!r}"
    assert state == "Suspended"
