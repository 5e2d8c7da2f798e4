"""Reconcile runs left behind by a dead worker (prefect.md §2.6, §7.13; issue 24).

A worker killed mid-stage leaves its run Running or Pending (its flow-run processes die with it:
workflows.worker). Once the worker's lease has lapsed, the recovering worker reschedules such a
run, and the flow starts again from the top: persisted tasks return their stored results, the
interrupted task repeats idempotently (publication is keyed by version), and suspended steps
return their stored input. A sibling's live run is never touched. A run that ended (Failed,
Crashed, Cancelled) while its document waits at a human step is the stranded-review check's.

A run suspended without its form (its worker killed between the Suspended state and the form's
save) is given one back by the recovering worker once that worker's lease has lapsed; one whose
save failed while its worker lived on (the Prefect API unreachable for a moment) when serve
starts, and by the scheduled `form-repair` flow (every 10 minutes).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from prefect.input.run_input import Keyset
from prefect.states import Scheduled

from services.office.stranded import record_stranded, waiting_review_runs
from services.worker_leases import (
    ExecutingRun,
    claims_of_gone_workers,
    end_claim,
    forget_gone_workers,
    orphaned_runs,
)
from workflows.runtime import as_of_instant, now, unit_of_work
from workflows.serve import DEPLOYMENT

# States in which Prefect counts a run as executing (a process of some worker has it).
EXECUTING = [StateType.RUNNING, StateType.PENDING, StateType.CANCELLING]
PAGE = 200  # Prefect's default API limit: a larger backlog is read page by page
CHECKS_AT_ONCE = 16  # form look-ups in flight when serve starts
FORM_REPAIR_FLOW = "form-repair"
# A live worker saves a suspended run's form right after the Suspended state (within seconds);
# the scheduled repair leaves runs suspended more recently alone, so that its save never races
# the worker's own (the second save of a form fails, and the worker's flow with it).
FORM_SAVE_GRACE = timedelta(minutes=5)
# The scheduled repair checks the forms of runs suspended within this span before the grace (one
# look-up per run: a backlog of thousands of waiting reviews is not read every 10 minutes); older
# ones were checked by the repair runs of that day, and serve checks all of them when it starts.
FORM_REPAIR_LOOKBACK = timedelta(days=1)


async def _runs_in(client: Any, deployment_name: str, states: list[StateType]) -> list[FlowRun]:
    """Every run of the deployment in one of these states, read page by page (all of them before
    any is changed, so that changing one does not shift the pages)."""
    runs: list[FlowRun] = []
    while True:
        page = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[deployment_name])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=states))
            ),
            sort=FlowRunSort.ID_DESC,
            limit=PAGE,
            offset=len(runs),
        )
        runs.extend(page)
        if len(page) < PAGE:
            return runs


async def reschedule_orphaned_runs(deployment_name: str) -> list[str]:
    """Reschedule this deployment's runs whose worker is gone (services.worker_leases: by the
    worker's lease, never a live sibling's run); returns their ids. A run that has ended
    (Failed, Crashed, Cancelled, Completed) is not touched here: it is the stranded-review
    check's, and the office restarts it (services/office/stranded.py), the one way such a run
    goes on."""
    rescheduled: list[str] = []
    async with get_client() as client:
        runs = {
            str(run.id): run.state
            for run in await _runs_in(client, deployment_name, EXECUTING)
            if run.state is not None
        }
        executing = [
            ExecutingRun(flow_run_id=run_id, state_since=state.timestamp)
            for run_id, state in runs.items()
        ]
        with unit_of_work() as session:
            orphaned = orphaned_runs(session=session, executing=executing, at=now())
        for run_id in orphaned:
            current = (await client.read_flow_run(UUID(run_id))).state
            if current is None or current.id != runs[run_id].id:
                continue  # it moved on since it was read: a worker has it
            await client.set_flow_run_state(
                UUID(run_id),
                Scheduled(name="Rescheduled", message="its worker is gone"),
                force=True,
            )
            rescheduled.append(run_id)
        with unit_of_work() as session:
            forget_gone_workers(session=session, at=now())
    return rescheduled


async def restore_missing_forms(
    deployment_name: str,
    *,
    suspended_after: datetime | None = None,
    suspended_before: datetime | None = None,
) -> list[str]:
    """Give back its form to every suspended run of this deployment that has none (only those
    suspended within `suspended_after`–`suspended_before`, where given); returns their ids.

    Prefect suspends in two writes (prefect.flow_runs.suspend_flow_run): it proposes the
    Suspended state, then saves the input form's schema. A worker killed between the two leaves
    a run waiting for input with no form, which neither the UI nor a REST resume can answer, and
    which no rescheduling may touch (the suspend key has fired). The form saved here is the one
    the step saves (`StepDecision`), with a description that links to the document, since the
    step's own description was never stored."""
    async with get_client() as client:
        paused = await _runs_in(client, deployment_name, [StateType.PAUSED])
        gate = asyncio.Semaphore(CHECKS_AT_ONCE)  # a backlog of thousands is checked at start-up

        async def restore(run: FlowRun) -> str | None:
            state = run.state
            if state is None:
                return None
            if suspended_before is not None and state.timestamp >= suspended_before:
                return None  # its worker may be saving the form right now
            if suspended_after is not None and state.timestamp < suspended_after:
                return None
            async with gate:
                return str(run.id) if await _give_form_back(client, run) else None

        restored = await asyncio.gather(*(restore(run) for run in paused))
    return [run_id for run_id in restored if run_id is not None]


async def _give_form_back(client: Any, run: FlowRun) -> bool:
    """Save the form of a suspended run that has none; whether one was saved. The form is the
    one its step saves (an application's for an application step, `StepDecision` otherwise),
    with a description that links to the document, since the step's own was never stored."""
    from workflows.application.form import ApplicationDecision
    from workflows.forms import StepDecision
    from workflows.runtime import document_url

    state = run.state
    if (
        state is None
        or not state.is_paused()
        or not (keyset := state.state_details.run_input_keyset)
    ):
        return False
    if await _has_input(client, run.id, keyset["schema"]):
        return False
    document_id = run.parameters.get("document_id")
    restored = "此表单在工作进程中断后恢复。"
    if isinstance(document_id, int):
        restored += f"文件：{document_url(document_id)}"
    pause_key = state.state_details.pause_key or ""
    form = ApplicationDecision if pause_key.startswith("application-") else StepDecision
    await form.with_initial_data(description=restored).asave(
        cast(Keyset, keyset), flow_run_id=run.id
    )
    return True


async def restore_forms_of_gone_workers() -> list[str]:
    """Give back its form to every suspended run whose worker died between the Suspended state
    and the form's save (prefect.md §8: two writes); returns their ids. The worker's lease has
    lapsed, so none of its processes is saving anything now: no grace to wait for. Each claim of
    a gone worker on a run no longer executing ends here (an executing one is rescheduled by
    `reschedule_orphaned_runs`, which reads the claim)."""
    with unit_of_work() as session:
        claims = [
            (c.flow_run_id, c.worker_id) for c in claims_of_gone_workers(session=session, at=now())
        ]
    if not claims:
        return []
    restored: list[str] = []
    ended: list[tuple[str, str]] = []
    async with get_client() as client:
        for start in range(0, len(claims), PAGE):
            page = claims[start : start + PAGE]
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(r) for r, _ in page])),
                limit=PAGE,
            )
            by_id = {str(run.id): run for run in runs}
            with unit_of_work() as session:  # still theirs once the state was read: no live
                # worker took the run meanwhile (a worker claims a run before it executes it)
                still = {
                    (c.flow_run_id, c.worker_id)
                    for c in claims_of_gone_workers(session=session, at=now())
                }
            for run_id, worker_id in [claim for claim in page if claim in still]:
                run = by_id.get(run_id)
                if run is not None and run.state is not None and run.state.type in EXECUTING:
                    continue
                if run is not None and await _give_form_back(client, run):
                    restored.append(run_id)
                ended.append((run_id, worker_id))
    with unit_of_work() as session:
        for run_id, worker_id in ended:
            end_claim(session=session, flow_run_id=run_id, worker_id=worker_id)
    return restored


async def recover_runs_of_gone_workers(deployment_name: str) -> list[str]:
    """What dead workers left behind, mended: their executing runs rescheduled, and the runs
    they suspended without saving the form given their form; what was done, one line per run."""
    done = [f"{run} rescheduled" for run in await reschedule_orphaned_runs(deployment_name)]
    done += [f"{run} form restored" for run in await restore_forms_of_gone_workers()]
    return done


@flow(name=FORM_REPAIR_FLOW, persist_result=False)
async def repair_forms(as_of: str | None = None) -> dict[str, Any]:
    """Suspended review runs without their form (a save that failed while the worker lived on)
    get it back, if suspended at least FORM_SAVE_GRACE before `as_of` (ISO; empty = now) and
    at most FORM_REPAIR_LOOKBACK before that."""
    at = as_of_instant(as_of)
    before = at - FORM_SAVE_GRACE
    restored = await restore_missing_forms(
        DEPLOYMENT, suspended_after=before - FORM_REPAIR_LOOKBACK, suspended_before=before
    )
    return {"as_of": at.isoformat(), "restored": restored}


async def _has_input(client: Any, run_id: Any, key: str) -> bool:
    try:
        await client.read_flow_run_input(run_id, key)
    except ObjectNotFound:
        return False
    except PrefectHTTPStatusError as error:
        if error.response.status_code == 404:
            return False
        raise
    return True


# A review run ends only once its document has left the human steps; one that ended while its
# document still waits at one — Completed included, e.g. set by hand on the Prefect API — leaves
# it waiting for a form nobody can submit.
ENDED = [StateType.FAILED, StateType.CRASHED, StateType.CANCELLED, StateType.COMPLETED]
STRANDED_CHECK_FLOW = "find-stranded-reviews"


async def ended_runs(run_ids: list[str]) -> list[tuple[str, str]]:
    """Which of these runs have ended (Failed, Crashed, Cancelled, Completed): (id, state type)
    each."""
    ended: list[tuple[str, str]] = []
    async with get_client() as client:
        for start in range(0, len(run_ids), PAGE):
            page = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    id=FlowRunFilterId(any_=[UUID(run) for run in run_ids[start : start + PAGE]]),
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=ENDED)),
                ),
                limit=PAGE,
            )
            ended += [(str(run.id), run.state.type.value) for run in page if run.state]
    return ended


@flow(name=STRANDED_CHECK_FLOW, persist_result=False)
async def find_stranded_reviews(as_of: str | None = None) -> dict[str, Any]:
    """Record the review runs that ended while their document waits at a human step, for the
    office to restart (services/office/stranded.py)."""
    at = as_of_instant(as_of)
    with unit_of_work() as session:
        waiting = waiting_review_runs(session=session)
    ended = await ended_runs(waiting)
    with unit_of_work() as session:
        stranded = record_stranded(session=session, ended=ended, at=at)
    return {"as_of": at.isoformat(), "waiting": len(waiting), "stranded": stranded}
