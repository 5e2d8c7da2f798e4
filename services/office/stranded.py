"""Stranded reviews (issue 21): a review run that ended — Failed, Crashed, Cancelled or
Completed, by an error or by someone acting on Prefect directly — while its document waits at a
human step would leave the document waiting for a form nobody can submit. The scheduled check
records such runs here; the office sees them with the stuck documents and restarts the review
with one action: a fresh run of the same version, which resumes at the same step (each stage
skips what is already decided, and decisions, findings and deadlines are recorded once)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from models.documents import Document
from models.stranded import StrandedReview
from models.users import User
from models.versions import Version
from policies.statuses import Status
from policies.steps import step_waiting_in
from services.audit import record_event
from services.errors import Conflict
from services.review import ReviewToStart, record_review_started
from services.timestamps import require_aware

ENDED_STATES = ("FAILED", "CRASHED", "CANCELLED", "COMPLETED")
REVIEW_RESTARTED = "review.restarted"
HUMAN_STEP_STATUSES = [status for status in Status if step_waiting_in(status) is not None]


@dataclass(frozen=True)
class StrandedItem:
    """A document waiting at a human step whose review run has ended."""

    document_id: int
    title: str
    status: Status
    flow_run_id: str
    run_state: str
    detected_at: datetime


def _waiting_at_a_human_step(document: Document) -> bool:
    return step_waiting_in(document.status) is not None


def waiting_review_runs(*, session: Session) -> list[str]:
    """The review runs of documents waiting at a human step (what the check asks Prefect about)."""
    runs = session.exec(
        select(Document.flow_run_id).where(
            col(Document.status).in_(HUMAN_STEP_STATUSES), col(Document.flow_run_id).is_not(None)
        )
    ).all()
    return [run for run in runs if run]


def record_stranded(
    *, session: Session, ended: Sequence[tuple[str, str]], at: datetime
) -> list[int]:
    """Record the ended runs (id, Prefect state type) whose document still waits at a human step
    with that run; the documents newly stranded (a run already recorded is not again)."""
    stranded: list[int] = []
    for run_id, state in ended:
        if state not in ENDED_STATES or session.get(StrandedReview, run_id) is not None:
            continue
        document = session.exec(select(Document).where(col(Document.flow_run_id) == run_id)).first()
        if document is None or not _waiting_at_a_human_step(document):
            continue
        assert document.id is not None
        assert document.current_version_id is not None
        session.add(
            StrandedReview(
                flow_run_id=run_id,
                document_id=document.id,
                version_id=document.current_version_id,
                waiting_status=document.status.value,
                run_state=state,
                detected_at=require_aware(at),
            )
        )
        record_event(
            session=session,
            action="review.stranded",
            document_id=document.id,
            version_id=document.current_version_id,
            after={"flow_run_id": run_id, "run_state": state, "status": document.status.value},
            at=at,
        )
        stranded.append(document.id)
    session.flush()
    return stranded


def stranded_reviews(*, session: Session) -> list[StrandedItem]:
    """Documents still waiting at a human step with a review run that has ended, oldest first."""
    rows = session.exec(
        select(StrandedReview, Document)
        .join(Document, col(Document.id) == col(StrandedReview.document_id))
        .where(
            col(StrandedReview.restarted_at).is_(None),
            col(Document.flow_run_id) == col(StrandedReview.flow_run_id),
        )
        .order_by(col(StrandedReview.detected_at))
    ).all()
    return [
        StrandedItem(
            document_id=row.document_id,
            title=document.title,
            status=document.status,
            flow_run_id=row.flow_run_id,
            run_state=row.run_state,
            detected_at=row.detected_at,
        )
        for row, document in rows
        if _waiting_at_a_human_step(document)
    ]


def review_to_restart(*, session: Session, document_id: int) -> ReviewToStart:
    """The review a restart of this document starts (its current version, a new run key);
    Conflict when its review run has not ended."""
    row = _open_row(session, document_id)
    version = session.get(Version, row.version_id)
    assert version is not None
    restarts = session.exec(
        select(func.count())
        .select_from(StrandedReview)
        .where(
            col(StrandedReview.document_id) == document_id,
            col(StrandedReview.restarted_at).is_not(None),
        )
    ).one()
    return ReviewToStart(
        document_id=document_id,
        version_id=row.version_id,
        version_number=version.number,
        restart=int(restarts) + 1,
    )


def record_restart(
    *, session: Session, document_id: int, flow_run_id: str, by: User, at: datetime
) -> None:
    """The review of this document goes on in a new run: the ended one is closed, the new one
    remembered, both audited."""
    row = _open_row(session, document_id)
    row.restarted_at = require_aware(at)
    row.restarted_by = by.login
    row.restart_flow_run_id = flow_run_id
    session.add(row)
    record_review_started(
        session=session,
        document_id=document_id,
        version_id=row.version_id,
        flow_run_id=flow_run_id,
        at=at,
    )
    record_event(
        session=session,
        action=REVIEW_RESTARTED,
        actor=by.login,
        role=by.role,
        channel="api",
        document_id=document_id,
        version_id=row.version_id,
        before={"flow_run_id": row.flow_run_id, "run_state": row.run_state},
        after={"flow_run_id": flow_run_id},
        at=at,
    )


def _open_row(session: Session, document_id: int) -> StrandedReview:
    for item in stranded_reviews(session=session):
        if item.document_id == document_id:
            row = session.get(StrandedReview, item.flow_run_id)
            assert row is not None
            return row
    raise Conflict(
        f"document {document_id} has no ended review run waiting for a restart: its run is "
        "alive, or the scheduled check has not seen it end yet"
    )
