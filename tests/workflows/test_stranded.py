"""Stranded reviews (issue 21): a review run set Failed behind the engine's back while its
document waits at a human step is found by the scheduled check, listed with the stuck documents,
and restarted by the office; the fresh run waits at the same step and the document goes on, with
nothing recorded twice."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.states import Completed, Failed
from sqlmodel import Session, col, func, select

import workflows.runtime as runtime
from models.decisions import Decision
from models.versions import RecordedFinding
from policies.statuses import Status
from tests.api.conftest import TestClient
from tests.workflows.conftest import Stack
from tests.workflows.helpers import (
    decide_in_ui,
    new_document,
    run_on_own_loop,
    start_review,
    wait_suspended_at,
)
from tests.workflows.test_rest_decisions import bearer, started
from workflows.reconcile import find_stranded_reviews

pytestmark = pytest.mark.usefixtures("prefect_client_settings")


def _count(stack: Stack, model: type, document_id: int | None = None, version_id: int = 0) -> int:
    with Session(stack.engine) as session:
        column = model.document_id if document_id is not None else model.version_id  # type: ignore[attr-defined]
        value = document_id if document_id is not None else version_id
        return int(
            session.exec(select(func.count()).select_from(model).where(col(column) == value)).one()
        )


def test_a_run_failed_behind_the_engines_back_is_listed_and_restarted_at_the_same_step(
    stack: Stack, api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "engine", lambda: stack.engine)  # the check runs in this process
    doc, version, people = new_document(stack, text="本通知涉密内容已删除。\n")
    run = start_review(doc, version)
    started(stack, doc, run)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    findings = _count(stack, RecordedFinding, version_id=version)
    office = bearer(stack, people["disclosure_office"])

    # Before the run ends the office cannot restart it.
    assert api.post(f"/office/documents/{doc}/restart-review", headers=office).status_code == 409
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run, Failed(message="set by hand"), force=True)
    checked = _check_once()
    assert doc in checked["stranded"]  # (the shared stack may hold other tests' documents)
    assert doc not in _check_once()["stranded"]  # recorded once

    stuck = api.get("/office/stuck", headers=office).json()
    stranded = [item for item in stuck["stranded"] if item["document_id"] == doc]
    assert stranded == [
        {
            "document_id": doc,
            "title": stranded[0]["title"],
            "status": "secrecy_review",
            "flow_run_id": str(run),
            "run_state": "FAILED",
            "detected_at": stranded[0]["detected_at"],
        }
    ]
    assert api.post(f"/office/documents/{doc}/restart-review").status_code == 401
    reviewer_token = bearer(stack, people["secrecy_reviewer"])
    assert (
        api.post(f"/office/documents/{doc}/restart-review", headers=reviewer_token).status_code
        == 403
    )
    restarted = api.post(f"/office/documents/{doc}/restart-review", headers=office)
    assert restarted.status_code == 200, restarted.text
    new_run = UUID(restarted.json()["flow_run_id"])
    assert new_run != run
    wait_suspended_at(stack, new_run, doc, Status.SECRECY_REVIEW)
    assert not [
        i
        for i in api.get("/office/stuck", headers=office).json()["stranded"]
        if i["document_id"] == doc
    ]
    assert api.post(f"/office/documents/{doc}/restart-review", headers=office).status_code == 409

    decide_in_ui(stack, new_run, decision="approve", reviewer=people["secrecy_reviewer"])
    wait_suspended_at(stack, new_run, doc, Status.AWAITING_SIGNOFF)
    assert _count(stack, Decision, document_id=doc) == 1
    assert _count(stack, RecordedFinding, version_id=version) == findings


def _check_once() -> Any:
    """Run the stranded-run check once (on a loop of its own: see run_on_own_loop)."""
    return run_on_own_loop(find_stranded_reviews.fn)


def test_a_run_set_completed_by_hand_at_a_human_step_is_stranded_and_nothing_is_decided(
    stack: Stack, api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prefect's API lets anyone with its credential end a waiting run as Completed: the
    document must not move on without a recorded decision (先审查、后公开, 条例 art. 17), and
    the office must see it stranded to restart it."""
    monkeypatch.setattr(runtime, "engine", lambda: stack.engine)
    doc, version, people = new_document(stack)
    run = start_review(doc, version)
    started(stack, doc, run)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run, Completed(message="set by hand"), force=True)
    decided = api.post(
        f"/documents/{doc}/decisions",
        json={"step": "secrecy_review", "decision": "approve"},
        headers=bearer(stack, people["secrecy_reviewer"]),
    )
    assert decided.status_code == 409, decided.text
    assert _count(stack, Decision, document_id=doc) == 0
    assert doc in _check_once()["stranded"]
    office = bearer(stack, people["disclosure_office"])
    stuck = api.get("/office/stuck", headers=office).json()["stranded"]
    [item] = [i for i in stuck if i["document_id"] == doc]
    assert (item["document_id"], item["status"], item["run_state"]) == (
        doc,
        "secrecy_review",
        "COMPLETED",
    )
    restarted = api.post(f"/office/documents/{doc}/restart-review", headers=office)
    assert restarted.status_code == 200, restarted.text
    wait_suspended_at(stack, UUID(restarted.json()["flow_run_id"]), doc, Status.SECRECY_REVIEW)
