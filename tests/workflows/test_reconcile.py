"""A run suspended without its form (the worker died between Prefect's two writes of a suspend)
gets its form back when serve starts, and its step can then be decided."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

from policies.statuses import Status
from tests.workflows.conftest import Stack
from tests.workflows.helpers import (
    decide_in_ui,
    new_document,
    read_run,
    start_review,
    wait_suspended_at,
)

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


def test_a_suspended_run_without_its_form_gets_it_back_and_can_be_decided(stack: Stack) -> None:
    doc, version, people = new_document(stack)
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    state = read_run(run).state
    assert state is not None
    keyset = state.state_details.run_input_keyset
    assert keyset is not None
    # What a worker killed between the Suspended state and the form's save leaves behind.
    with get_client(sync_client=True) as client:
        client.delete_flow_run_input(run, keyset["schema"])
        client.delete_flow_run_input(run, keyset["description"])
    assert not _form_exists(run, keyset["schema"])

    assert _restore(stack) == [str(run)]
    assert _restore(stack) == []  # once
    assert _form_exists(run, keyset["schema"])
    with get_client(sync_client=True) as client:
        description = client.read_flow_run_input(run, keyset["description"])
    assert f"/documents/{doc}" in description

    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    decide_in_ui(run, decision="approve", reviewer=people["secrecy_reviewer"])
    wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)
