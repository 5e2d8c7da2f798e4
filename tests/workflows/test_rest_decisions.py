"""Decisions through POST /documents/{id}/decisions on a real Prefect server (issue 6): the
suspended run moves on, a second decision is refused, and the hand-off time is printed."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from uuid import UUID

import pytest
from sqlmodel import Session, col, select

from models.decisions import Decision
from models.documents import Document
from models.users import User
from policies.statuses import Status
from services.accounts import issue_token
from tests.api.conftest import TestClient
from tests.factories import id_of, make_document
from tests.workflows.conftest import Stack
from tests.workflows.helpers import new_document, start_review, wait_final, wait_suspended_at

pytestmark = pytest.mark.usefixtures("prefect_client_settings")


def bearer(stack: Stack, name: str) -> dict[str, str]:
    """Headers with a fresh token for the named user."""
    with Session(stack.engine) as session:
        user = session.exec(select(User).where(col(User.name) == name)).one()
        _, token = issue_token(session=session, user=user, label="test", at=datetime.now(UTC))
        session.commit()
    return {"Authorization": f"Bearer {token}"}


def started(stack: Stack, document_id: int, run_id: UUID) -> None:
    """Store the run on the document, as the intake API does when it starts the review."""
    with Session(stack.engine) as session:
        document = session.get(Document, document_id)
        assert document is not None
        document.flow_run_id = str(run_id)
        session.add(document)
        session.commit()


def test_a_rest_approval_moves_the_waiting_run_on_and_a_second_one_is_409(
    stack: Stack, api: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    doc, version, people = new_document(stack)
    run = start_review(doc, version)
    started(stack, doc, run)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    reviewer = bearer(stack, people["secrecy_reviewer"])
    approve = {"step": "secrecy_review", "decision": "approve"}

    t0 = time.perf_counter()
    response = api.post(f"/documents/{doc}/decisions", json=approve, headers=reviewer)
    answered = time.perf_counter() - t0
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "awaiting_signoff"
    wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)
    handed_off = time.perf_counter() - t0

    again = api.post(f"/documents/{doc}/decisions", json=approve, headers=reviewer)
    assert again.status_code == 409, again.text

    signed = api.post(
        f"/documents/{doc}/decisions",
        json={"step": "sign_off", "decision": "approve"},
        headers=bearer(stack, people["signer"]),
    )
    assert signed.status_code == 201, signed.text
    final = wait_final(run)
    assert final.state is not None
    assert final.state.is_completed()
    with Session(stack.engine) as session:
        decisions = session.exec(
            select(Decision.step, Decision.kind, Decision.channel)
            .where(col(Decision.document_id) == doc)
            .order_by(col(Decision.id))
        ).all()
        document = session.get(Document, doc)
        assert document is not None
    assert decisions == [("secrecy_review", "approve", "api"), ("sign_off", "sign_off", "api")]
    assert document.status is Status.PUBLISHED
    with capsys.disabled():
        print(
            f"\nREST decision → response {answered * 1000:.0f} ms; "
            f"→ run suspended at the next step (sign-off form ready) {handed_off:.2f} s"
        )


def test_a_decision_on_a_run_that_is_not_paused_is_409_and_nothing_is_kept(
    stack: Stack, api: TestClient
) -> None:
    doc, version, people = new_document(stack, marking={"attribute": "on_request"})
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    started(stack, doc, run)
    filed = api.post(
        f"/documents/{doc}/decisions",
        json={"step": "secrecy_review", "decision": "approve"},
        headers=bearer(stack, people["secrecy_reviewer"]),
    )
    assert filed.status_code == 201, filed.text
    wait_final(run)  # 依申请公开: filed, the run has ended
    with Session(stack.engine, expire_on_commit=False) as session:
        drafter = session.exec(select(User).where(col(User.name) == people["drafter"])).one()
        # Our table says "waiting", Prefect says the run is over: Prefect's NotPausedError → 409.
        stray = make_document(
            session,
            drafter=drafter,
            document_type="notice",
            status=Status.SECRECY_REVIEW,
            flow_run_id=str(run),
        )
        session.commit()
        stray_id = id_of(stray)
    response = api.post(
        f"/documents/{stray_id}/decisions",
        json={"step": "secrecy_review", "decision": "approve"},
        headers=bearer(stack, people["secrecy_reviewer"]),
    )
    assert response.status_code == 409, response.text
    assert "not waiting" in response.json()["detail"]
    with Session(stack.engine) as session:
        kept = session.exec(select(Decision).where(col(Decision.document_id) == stray_id)).all()
    assert kept == []
