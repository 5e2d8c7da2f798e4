"""Decisions: a reviewer decides the step a document waits at, through the REST door.

The same service call as the Prefect UI door (services.review.decisions.record_decision), then the
suspended run is resumed with the same flat input; the flow finds the recorded row and does not
record it again. Recording and resuming are one unit: if Prefect refuses, nothing is kept.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentUser, DocumentDep, SessionDep, SettingsDep, now
from api.errors import error_responses
from api.review_resumer import resume_review
from api.schemas import DecisionIn, DecisionOut
from models.documents import Document
from models.users import User
from services.errors import Conflict
from services.review.decisions import record_decision

router = APIRouter(prefix="/documents", tags=["decisions"])


def run_input_of(body: DecisionIn, user: User) -> dict[str, Any]:
    """The flow's StepDecision input (workflows/forms.py), named after the authenticated user."""
    return {
        "decision": body.decision,
        "reviewer": user.name,
        "reason_codes": list(body.reason_codes),
        "comment": body.comment,
        "new_attribute": body.new_attribute.value if body.new_attribute else "",
    }


@router.post(
    "/{document_id}/decisions",
    status_code=status.HTTP_201_CREATED,
    response_model=DecisionOut,
    responses=error_responses(401, 403, 404, 409, 410, 422, 503),
    summary="Decide the step the document waits at (approve, return, change, escalate, file)",
)
async def decide(
    document: DocumentDep,
    body: DecisionIn,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> DecisionOut:
    """Record the decision and resume the waiting review run: both happen, or neither.

    409: the review has not started, the step is over or already decided, or the run is not
    waiting; 403: wrong role, or the drafter reviewing their own draft (回避); 410: the run's wait
    expired; 422: the decision does not fit the step, or Prefect refused the input."""
    if document.flow_run_id is None:
        raise Conflict(f"the review of document {document.id} has not started yet (no flow run)")
    assert document.id is not None
    document_id = document.id
    version_id = body.version_id or document.current_version_id or 0
    row = await run_in_threadpool(
        lambda: record_decision(
            session=session,
            document_id=document_id,
            version_id=version_id,
            step=body.step,
            decision=body.decision,
            actor=user,
            actor_name=user.name,
            role=user.role,
            channel="api",
            at=now(),
            reason_codes=body.reason_codes,
            comment=body.comment,
            new_attribute=body.new_attribute,
        )
    )
    locked = session.get(Document, document_id)  # locked by record_decision until the commit
    assert locked is not None
    assert row.id is not None
    if locked.flow_run_id != document.flow_run_id or locked.flow_run_id is None:
        raise Conflict(f"the review run of document {document_id} changed; reload and decide again")
    await resume_review(settings, locked.flow_run_id, run_input_of(body, user))
    return DecisionOut(
        id=row.id,
        document_id=document_id,
        version_id=row.version_id,
        step=body.step,
        attempt=row.attempt,
        decision=row.kind,
        channel=row.channel,
        decided_at=row.decided_at,
        status=locked.status,
        flow_run_id=locked.flow_run_id,
    )
