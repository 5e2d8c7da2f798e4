"""Keep `serve` alive when a run it is picking up has just become Suspended or Paused.

Prefect's runner proposes Pending for each scheduled run it picked up. When the run was
suspended (or paused) in between, the server rejects the proposal with the paused state and
`propose_state` raises `prefect.exceptions.Pause`, a `BaseException`. `StateProposer.
propose_pending`, `propose_submitting` and `ScheduledRunPoller._submit_run` catch only `Exception`
(Prefect 3.8.8 to 3.9.1), so `Pause` tears down the runner's task group and `serve()` exits with
every run it was executing (docs/upstream/prefect-runner-pause.md).

`install()` wraps exactly those three methods: a `Pause` there means "this run is not ours to
start now", which is what the methods already answer for `Abort`. The run is left as the server
has it; a resume schedules it again and the runner picks it up then. Nothing else is caught.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from prefect.exceptions import Pause
from prefect.runner._scheduled_run_poller import ScheduledRunPoller
from prefect.runner._state_proposer import StateProposer

logger = logging.getLogger("gongkai.runner_guard")

# (class, method, what the method answers when the run turned out paused)
GUARDED: tuple[tuple[type, str, bool | None], ...] = (
    (StateProposer, "propose_pending", False),
    (StateProposer, "propose_submitting", False),
    (ScheduledRunPoller, "_submit_run", None),
)
_MARK = "__gongkai_pause_guard__"


def _guarded(
    method: Callable[..., Awaitable[Any]], answer: bool | None
) -> Callable[..., Awaitable[Any]]:
    @wraps(method)
    async def guarded(self: Any, flow_run: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await method(self, flow_run, *args, **kwargs)
        except Pause as paused:
            logger.info(
                "Not starting flow run %s: it was paused or suspended before it could start (%s)",
                getattr(flow_run, "id", flow_run),
                paused,
            )
            return answer

    setattr(guarded, _MARK, True)
    return guarded


def install() -> None:
    """Wrap the runner's three submission methods so `Pause` ends the submission, not serve.

    Idempotent: a method already wrapped is left alone.
    """
    for cls, name, answer in GUARDED:
        method = getattr(cls, name)
        if not getattr(method, _MARK, False):
            setattr(cls, name, _guarded(method, answer))
