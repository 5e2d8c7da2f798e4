"""Resuming a suspended review run with a reviewer's decision, Prefect's refusals made HTTP-ready.

Prefect answers a refused resume with HTTP 200 and status REJECT (prefect.md §2.3, §7.9);
`aresume_flow_run` turns that into exceptions, which become domain errors here:
NotPausedError and a missing input schema → Conflict (409), FlowPauseTimeout → Gone (410), any
other REJECT → RequestInvalid (422) with Prefect's reason, no answer → Unavailable (503).
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import anyio
import httpx
from prefect.exceptions import (
    FlowPauseTimeout,
    NotPausedError,
    ObjectNotFound,
)
from prefect.flow_runs import aresume_flow_run
from prefect.settings import PREFECT_API_URL, temporary_settings

from config.settings import Settings
from services.errors import Conflict, Gone, RequestInvalid, Unavailable

log = logging.getLogger("gongkai.review_resumer")
REJECTED = "Cannot resume this run"  # aresume_flow_run's message on a REJECT
# Prefect's reason when a run paused without a form, or its schema is not saved yet.
SCHEMA_MISSING = "Run input schema not found"


async def resume_review(settings: Settings, flow_run_id: str, run_input: dict[str, Any]) -> None:
    """Resume the run with the decision as its input; a domain error when Prefect refuses."""
    try:
        with (
            temporary_settings(updates={PREFECT_API_URL: settings.prefect_api_url}),
            anyio.fail_after(settings.review_start_timeout_seconds),
        ):
            await aresume_flow_run(UUID(flow_run_id), run_input=run_input)
    except NotPausedError as error:
        raise Conflict(
            f"the review run {flow_run_id} is not waiting for a decision now "
            "(it is moving on, or it has finished)"
        ) from error
    except ObjectNotFound as error:
        raise Conflict(f"the review run {flow_run_id} does not exist on Prefect") from error
    except FlowPauseTimeout as error:
        raise Gone(
            f"the review run {flow_run_id} can no longer be resumed: its wait expired"
        ) from (error)
    except RuntimeError as error:
        reason = str(error)
        if not reason.startswith(REJECTED):
            raise  # not a refusal by the server: a bug, logged as a 500
        if SCHEMA_MISSING in reason:
            raise Conflict(
                f"the review run {flow_run_id} is not ready for a decision yet: {reason}"
            ) from error
        raise RequestInvalid(f"Prefect refused the decision: {reason}") from error
    except (OSError, httpx.HTTPError) as error:  # TimeoutError is an OSError
        raise Unavailable(
            f"Prefect did not take the decision ({type(error).__name__}: {error}); "
            "nothing was recorded, try again"
        ) from error


async def end_material_run(settings: Settings, run_name: str, run_input: dict[str, Any]) -> None:
    """After a REST decision on material, resume its waiting run (found by name) so that it sees
    the decision and ends; best effort: a run not found or not waiting is left alone (logged)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    try:
        with (
            temporary_settings(updates={PREFECT_API_URL: settings.prefect_api_url}),
            anyio.fail_after(settings.review_start_timeout_seconds),
        ):
            async with get_client() as client:
                runs = await client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[run_name]))
                )
                for run in runs:
                    if run.state is not None and run.state.is_paused():
                        await aresume_flow_run(run.id, run_input=run_input)
    except Exception as error:  # the decision is recorded; the run ends at its backstop
        log.warning("run %s not resumed after a REST decision: %r", run_name, error)
