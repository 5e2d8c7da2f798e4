"""How the serve process runs our flow runs so that a review step moves in seconds (issue 24).

- **Poll.** Prefect's runner only polls for runs to start (a resumed run waits for the next poll,
  prefect.md §2.6): every `runner_poll_seconds` (default 1 s) instead of Prefect's 10 s plus up to
  30 % jitter. Each poll is one query for all served deployments; its cost to the Prefect server
  at idle is measured by `bench/bench_review_latency.py --idle-seconds`.
- **Heartbeats.** Prefect's flow-run heartbeats (on by default since 2026-03) join their thread
  when a synchronous run ends, about 1 s later (prefect.md §8). They are off unless
  `flow_heartbeat_seconds` sets an interval. Prefect reads `None` only from settings, never from
  an environment variable, so the serve process enters a settings context with it; the runner
  serialises that context into a flow-run process it starts from the flow object
  (`run_flow_in_subprocess`). Prefect 3.9.1 starts the runs of deployments added with `serve()`
  as `python -m prefect.engine` instead, whose environment drops a `None` setting: those runs
  still send heartbeats (seen in such a process's environment; not solved here).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from config.settings import Settings


def poll_environment(settings: Settings) -> dict[str, str]:
    """The runner's poll interval as Prefect's own variable (whole seconds, rounded up), for
    processes that serve without `runner_options` (the benchmarks' serve processes)."""
    return {"PREFECT_RUNNER_POLL_FREQUENCY": str(max(1, math.ceil(settings.runner_poll_seconds)))}


def runner_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of `prefect.serve` for our runner: how often it polls (seconds)."""
    return {"query_seconds": settings.runner_poll_seconds}


@contextmanager
def flow_run_settings(settings: Settings) -> Iterator[None]:
    """Prefect settings for the runner and every flow-run process it starts: heartbeats at the
    configured interval, or none."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(
        updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: settings.flow_heartbeat_seconds}
    ):
        yield
