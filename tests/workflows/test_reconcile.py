"""A run suspended without its form (the worker died between Prefect's two writes of a suspend,
or the form's save failed) gets its form back when serve starts, or from the scheduled
`form-repair` deployment while serve runs, and its step can then be decided."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

from policies.statuses import Status
from tests.workflows.conftest import Stack
from tests.workflows.helpers import (
    decide_in_ui,
    new_document,
    read_run,
    start_review,
    wait_final,
    wait_suspended_at,
)
from workflows.reconcile import FORM_REPAIR_FLOW, FORM_REPAIR_LOOKBACK, FORM_SAVE_GRACE

pytestmark = pytest.mark.usefixtures("prefect_client_settings")


def _form_exists(run_id: object, key: str) -> bool:
    with get_client(sync_client=True) as client:
        try:
            client.read_flow_run_input(run_id, key)  # type: ignore[arg-type]
        except (ObjectNotFound, PrefectHTTPStatusError):
            return False
    return True


def _restore(stack: Stack) -> list[str]:
    """What serve does when it starts, in a process of its own as there."""
    code = (
        "import asyncio, json\n"
        "from workflows.reconcile import restore_missing_forms\n"
        "from workflows.serve import DEPLOYMENT\n"
        "print(json.dumps(asyncio.run(restore_missing_forms(DEPLOYMENT))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=stack.env, capture_output=True, check=True, timeout=120
    )
    restored: list[str] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return restored


def _repair(as_of: str) -> None:
    """The scheduled repair, run by hand for this instant by the serve process."""
    run = run_deployment(
        f"{FORM_REPAIR_FLOW}/every-10-minutes", parameters={"as_of": as_of}, timeout=0, _sync=True
    )
    assert isinstance(run, FlowRun)
    final = wait_final(run.id)
    assert final.state is not None
    assert final.state.is_completed(), final.state


def _lose_form(run: UUID) -> tuple[dict[str, str], datetime]:
    """What a worker killed between the Suspended state and the form's save leaves behind (or a
    save that failed): the run waits for input that has no form. Returns the form's keys and
    when the run was suspended."""
    state = read_run(run).state
    assert state is not None
    keyset = state.state_details.run_input_keyset
    assert keyset is not None
    with get_client(sync_client=True) as client:
        client.delete_flow_run_input(run, keyset["schema"])
        client.delete_flow_run_input(run, keyset["description"])
    assert not _form_exists(run, keyset["schema"])
    return dict(keyset), state.timestamp


def test_a_suspended_run_without_its_form_gets_it_back_and_can_be_decided(stack: Stack) -> None:
    doc, version, people = new_document(stack)
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    keyset, _ = _lose_form(run)

    assert _restore(stack) == [str(run)]
    assert _restore(stack) == []  # once
    assert _form_exists(run, keyset["schema"])
    with get_client(sync_client=True) as client:
        description = client.read_flow_run_input(run, keyset["description"])
    assert f"/documents/{doc}" in description

    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    decide_in_ui(stack, run, decision="approve", reviewer=people["secrecy_reviewer"])
    wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)


def test_the_scheduled_repair_gives_a_form_back_once_its_worker_had_time_to_save_it(
    stack: Stack,
) -> None:
    doc, version, people = new_document(stack)
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    keyset, suspended_at = _lose_form(run)

    # Within the grace a live worker may still be saving the form: the repair leaves it alone.
    _repair((suspended_at + FORM_SAVE_GRACE - timedelta(seconds=30)).isoformat())
    assert not _form_exists(run, keyset["schema"])
    # Past the look-back the run is left to serve's start-up check.
    late = suspended_at + FORM_SAVE_GRACE + FORM_REPAIR_LOOKBACK + timedelta(seconds=30)
    _repair(late.isoformat())
    assert not _form_exists(run, keyset["schema"])

    _repair((suspended_at + FORM_SAVE_GRACE + timedelta(seconds=30)).isoformat())
    assert _form_exists(run, keyset["schema"])
    with get_client(sync_client=True) as client:
        description = client.read_flow_run_input(run, keyset["description"])
    assert f"/documents/{doc}" in description

    decide_in_ui(stack, run, decision="approve", reviewer=people["secrecy_reviewer"])
    wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)
