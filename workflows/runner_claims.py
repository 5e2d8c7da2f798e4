"""A worker claims each run the moment its runner takes it (issue 24, chaos).

Prefect's runner moves a scheduled run to Pending, then to Submitting, then starts its flow-run
process, which takes seconds, and under load tens of seconds, before the run's flow claims itself
(`workflows.worker.claim_this_run`). A worker killed in between left the run unclaimed, and an
unclaimed run is taken back only after `UNCLAIMED_GRACE`. Claimed by its worker from Pending on,
it is taken back as soon as that worker's lease lapses.

`install(worker_id)` wraps the runner's `propose_pending` and `propose_submitting`: each state
the runner wins is claimed for this worker right after, on a thread of its own, so that a slow
database never holds the run's start up (the run's flow claims it too). The runs between their
Pending and the end of their process are `taken()`: the worker's renewal holds them as it holds
the runs of its processes (`services.worker_leases.hold_runs`). A claim that fails is logged;
the next renewal makes it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache, wraps
from typing import Any

from prefect.runner._scheduled_run_poller import ScheduledRunPoller
from prefect.runner._state_proposer import StateProposer

log = logging.getLogger("gongkai.runner_claims")
_TAKEN: set[str] = set()  # runs this worker's runner holds, from Pending to the process's end
_MARK = "__gongkai_claims__"


@cache
def _claims() -> ThreadPoolExecutor:
    """One thread writes the claims, in the order the runner made them."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="gongkai-claims")


def taken() -> set[str]:
    """The runs this worker's runner has taken and not yet finished with."""
    return set(_TAKEN)


def _claim(worker_id: str, run_id: str) -> None:
    from services.worker_leases import claim_run
    from workflows.runtime import now, unit_of_work

    try:
        with unit_of_work() as session:
            claim_run(session=session, flow_run_id=run_id, worker_id=worker_id, at=now())
    except Exception:  # the next renewal claims it (it is taken)
        log.exception("flow run %s not claimed now; the worker's next renewal claims it", run_id)


def _claiming(
    method: Callable[..., Awaitable[Any]], worker_id: str, *, takes: bool
) -> Callable[..., Any]:
    @wraps(method)
    async def claiming(self: Any, flow_run: Any, *args: Any, **kwargs: Any) -> Any:
        won = await method(self, flow_run, *args, **kwargs)
        if won:
            run_id = str(flow_run.id)
            if takes:  # the poller's Pending: its `_submit_run` lets the run go when it ends
                _TAKEN.add(run_id)
            _claims().submit(_claim, worker_id, run_id)  # never holds the run's start up
        return won

    setattr(claiming, _MARK, True)
    return claiming


def _releasing(method: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    @wraps(method)
    async def releasing(self: Any, flow_run: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await method(self, flow_run, *args, **kwargs)
        finally:  # the run's process has ended (or never started): nothing of it left here
            _TAKEN.discard(str(flow_run.id))

    setattr(releasing, _MARK, True)
    return releasing


def install(worker_id: str) -> None:
    """Claim for this worker every run its runner takes (once per process)."""
    if getattr(StateProposer.propose_pending, _MARK, False):
        return
    for name, takes in (("propose_pending", True), ("propose_submitting", False)):
        setattr(
            StateProposer, name, _claiming(getattr(StateProposer, name), worker_id, takes=takes)
        )
    ScheduledRunPoller._submit_run = _releasing(ScheduledRunPoller._submit_run)  # type: ignore[method-assign]
