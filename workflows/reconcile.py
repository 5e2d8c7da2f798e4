"""Reconcile runs left behind by a dead worker (prefect.md §2.6, §7.13).

A worker killed mid-stage leaves its run Running (or Crashed, or Cancelled "Runner is shutting
down."). Rescheduling such a run makes the flow start again from the top: persisted tasks return
their stored results, the interrupted task repeats idempotently (publication is keyed by version),
and suspended steps return their stored input. Call it when the only runner starts (embedded
mode); with several workers, only for runs whose last heartbeat is old.
"""

from __future__ import annotations

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.states import Scheduled

ORPHANED = [StateType.RUNNING, StateType.PENDING, StateType.CRASHED, StateType.CANCELLING]
SHUTDOWN_CANCELLED = "Runner is shutting down."


async def reschedule_orphaned_runs(deployment_name: str) -> list[str]:
    """Reschedule this deployment's runs that no process is executing; returns their ids."""
    rescheduled: list[str] = []
    async with get_client() as client:
        runs = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[deployment_name])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[*ORPHANED, StateType.CANCELLED])
                )
            ),
        )
        for run in runs:
            state = run.state
            if state is None:
                continue
            if state.type is StateType.CANCELLED and SHUTDOWN_CANCELLED not in (
                state.message or ""
            ):
                continue  # cancelled on purpose
            await client.set_flow_run_state(
                run.id, Scheduled(name="Rescheduled", message="worker restarted"), force=True
            )
            rescheduled.append(str(run.id))
    return rescheduled
