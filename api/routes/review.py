"""The review's human decisions over REST: the step a document waits at (the same service call
as the Prefect UI form, then the suspended run resumed with the same input), and the re-reviews
of documents kept from the public — keep, or convert (条例 arts. 18, 44; 保密法 2024 arts. 20,
24). A conversion to publication starts the new version's review after the commit, as a
submission does; if Prefect is down the sweep of unstarted reviews starts it later."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import (
    CurrentUser,
    DocumentDep,
    ReadSessionDep,
    SessionDep,
    SettingsDep,
    now,
    require_roles,
)
from api.errors import error_responses
from api.review_resumer import resume_review
from api.schemas import DecisionIn, DecisionOut, Instant
from api.unstarted_reviews import start_review
from models.documents import Document
from models.rereviews import CONVERTIBLE, RereviewKind
from models.users import User
from policies.attributes import Attribute
from policies.roles import Role
from services.errors import Conflict
from services.review import (
    RereviewOutcome,
    RereviewTask,
    decide_rereview,
    list_rereviews,
    record_decision,
    task_of,
)
from services.validation import Id, Line, MultiLine, Offset

router = APIRouter(tags=["review"])
Reviewer = Annotated[
    User, Depends(require_roles(Role.DISCLOSURE_OFFICE, Role.SECRECY_REVIEWER, Role.ADMIN))
]
Decider = Annotated[User, Depends(require_roles(Role.DISCLOSURE_OFFICE, Role.SECRECY_REVIEWER))]


def run_input_of(body: DecisionIn, user: User) -> dict[str, Any]:
    """The flow's StepDecision input (workflows/forms.py), named after the authenticated user."""
    return {
        "decision": body.decision.value,
        "reviewer": user.name,
        "reason_codes": list(body.reason_codes),
        "comment": body.comment,
        "new_attribute": body.new_attribute.value if body.new_attribute else "",
    }


@router.post(
    "/documents/{document_id}/decisions",
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
            actor_name=user.login,
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
    return DecisionOut.model_validate(
        row.model_dump()
        | {"step": body.step, "decision": row.kind, "status": locked.status}
        | {"flow_run_id": locked.flow_run_id}
    )


class RereviewOut(BaseModel):
    """A re-review task, the end of the period within which it must be decided, and, once
    decided, its outcome."""

    id: int
    document_id: int
    version_id: int
    kind: RereviewKind
    cycle: str
    basis: str = Field(description="the rule and its source")
    due_at: Instant
    created_at: Instant
    status: Literal["open", "kept", "converted"]
    decided_by: int | None
    decided_at: Instant | None
    reason_codes: list[str]
    explanation: str | None
    converted_to: Attribute | None
    converted_version_id: int | None
    decide_by: Instant = Field(
        description="end of the period within which an open task must be decided: the "
        "document's profile's allowance in working days after due_at (domain §10 rules 10, 16; "
        "a local choice, no national limit)"
    )
    decide_by_provisional: bool = Field(
        description="decide_by is counted beyond the working-day calendar's years (a guess)"
    )
    overdue: bool = Field(description="still open after decide_by")

    @classmethod
    def of(cls, task: RereviewTask) -> RereviewOut:
        """The response shape of a stored re-review, as a task at the time of the request."""
        return cls.model_validate(
            task.rereview.model_dump()
            | {
                "decide_by": task.decide_by,
                "decide_by_provisional": task.decide_by_provisional,
                "overdue": task.overdue,
            }
        )


class RereviewDecisionIn(BaseModel):
    """Keep the document as it is, or convert it (a new version reviewed like a new document)."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["keep", "convert"]
    to_attribute: Attribute | None = Field(
        default=None,
        description="convert only: "
        + ", ".join(f"{a.value} {a.label}" for a in CONVERTIBLE)
        + " (one that is published is reviewed first, then published; the others change the "
        "marking only)",
    )
    reason_codes: list[Annotated[Line, Field(max_length=16)]] = Field(
        default_factory=list, max_length=20, examples=[["NS-6"]]
    )
    explanation: MultiLine = Field(min_length=1, max_length=4000, description="why (条例 art. 18)")


class RereviewDecisionOut(BaseModel):
    """The decided re-review and whether a review flow is being started."""

    rereview: RereviewOut
    review: Literal["starting", "pending", "none"] = Field(
        description="starting: the new version's review flow is being started; pending: Prefect "
        "is not reachable now, the sweep of unstarted reviews starts it; none: nothing to review"
    )


@router.get(
    "/rereviews",
    response_model=list[RereviewOut],
    responses=error_responses(401, 403),
    summary="Re-review tasks, oldest due first (default: open ones)",
)
def list_tasks(
    session: ReadSessionDep,
    _: Reviewer,
    state: Annotated[Literal["open", "kept", "converted", "all"], Query(alias="status")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> list[RereviewOut]:
    """The re-review tasks the office and the secrecy reviewers work through."""
    tasks = list_rereviews(
        session, as_of=now(), status=None if state == "all" else state, limit=limit, offset=offset
    )
    return [RereviewOut.of(task) for task in tasks]


@router.post(
    "/rereviews/{rereview_id}/decision",
    status_code=status.HTTP_201_CREATED,
    response_model=RereviewDecisionOut,
    responses=error_responses(401, 403, 404, 409, 422),
    summary="Keep or convert the document of a re-review (audited)",
)
async def decide_rereview_route(
    request: Request,
    rereview_id: Annotated[Id, Path()],
    body: RereviewDecisionIn,
    user: Decider,
    session: SessionDep,
    background: BackgroundTasks,
) -> RereviewDecisionOut:
    """404: no such re-review; 409: already decided, or the document is no longer filed; 422:
    the decision or the converted marking fails a rule (findings name field and source)."""

    def decided() -> tuple[RereviewOutcome, RereviewTask]:
        at = now()
        outcome = decide_rereview(
            session,
            rereview_id=rereview_id,
            decision=body.decision,
            to_attribute=body.to_attribute,
            reason_codes=body.reason_codes,
            explanation=body.explanation,
            actor=user,
            channel="api",
            at=at,
        )
        return outcome, task_of(session, outcome.rereview, as_of=at)

    outcome, task = await run_in_threadpool(decided)
    review: Literal["starting", "pending", "none"] = "none"
    if outcome.review is not None:
        starter = request.app.state.review_starter
        review = "starting" if starter.available else "pending"
        if review == "starting":  # after the commit, like a submission
            background.add_task(start_review, request.app.state.writer, starter, outcome.review)
    return RereviewDecisionOut(rereview=RereviewOut.of(task), review=review)
