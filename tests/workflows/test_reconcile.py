"""A run suspended without its form (the worker died between Prefect's two writes of a suspend,
or the form's save failed) gets its form back when serve starts, or from the scheduled
`form-repair` deployment while serve runs, and its step can then be decided."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from sqlmodel import Session

from models.workers import RunClaim, WorkerLease
from policies.statuses import Status
from services.worker_leases import LEASE_LAPSE, LEASE_RENEWAL, claim_run, register_worker
from tests.workflows.conftest import Stack, wait_until
from tests.workflows.helpers import (
    decide_in_ui,
    new_document,
    read_run,
    start_review,
    wait_final,
    wait_suspended_at,
)
from workflows.reconcile import FORM_REPAIR_FLOW, FORM_REPAIR_LOOKBACK, FORM_SAVE_GRACE
from workflows.worker import RECOVERY_EVERY

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


def test_a_run_its_dead_worker_suspended_without_the_form_gets_it_back_once_the_lease_lapses(
    stack: Stack,
) -> None:
    """Chaos (issue 24): the worker died between the Suspended state and the form's save. While
    a live worker still claims the run (its process may be saving the form) nothing is touched;
    once the claiming worker's lease has lapsed, the recovering worker gives the form back within
    a few seconds instead of after the repair's grace, and the step can be decided."""
    doc, version, people = new_document(stack)
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    keyset, _ = _lose_form(run)
    now = datetime.now(UTC)
    with Session(stack.engine) as session:  # a worker started after the session's serve
        register_worker(session=session, worker_id="doomed", host="h", pid=1, at=now)
        lease = session.get(WorkerLease, "doomed")
        assert lease is not None
        lease.seen_at = now + timedelta(hours=1)  # alive for the next hour
        session.add(lease)
        claim_run(session=session, flow_run_id=str(run), worker_id="doomed", at=now)
        session.commit()
    time.sleep(2 * RECOVERY_EVERY + LEASE_RENEWAL.total_seconds())
    assert not _form_exists(run, keyset["schema"])  # its live worker may be saving it

    with Session(stack.engine) as session:  # the worker dies: its lease lapses
        lease = session.get(WorkerLease, "doomed")
        assert lease is not None
        lease.seen_at = datetime.now(UTC) - LEASE_LAPSE - timedelta(seconds=1)
        session.add(lease)
        session.commit()
    wait_until(
        lambda: _form_exists(run, keyset["schema"]),
        timeout=2 * RECOVERY_EVERY + 20,
        what="the recovering worker to give the form back",
    )
    with Session(stack.engine) as session:
        assert session.get(RunClaim, str(run)) is None  # the dead worker's claim ended
    decide_in_ui(stack, run, decision="approve", reviewer=people["secrecy_reviewer"])
    wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)
