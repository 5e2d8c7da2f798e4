"""The review's human steps: a step opened (its allowance deadline stored, its view for the
reviewer), the deadlines of a document (one per kind), and the calendar a profile counts on.

Each function takes ids and is safe to call again (a resumed or restarted flow repeats it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models.deadlines import Deadline
from models.documents import Document
from models.versions import RecordedFinding
from policies.attributes import Attribute
from policies.deadlines import Deadline as DeadlineValue
from policies.deadlines import stage_deadline
from policies.profiles import PolicyProfile, get_profile
from policies.statuses import Status
from policies.steps import Step
from services.calendar import calendar_for
from services.documents import get_document, get_marking
from services.errors import Conflict


def require_current_version(*, session: Session, document_id: int, version_id: int) -> Document:
    """The document, if version_id is still the version under review; else Conflict."""
    document = get_document(session=session, document_id=document_id, for_update=True)
    if document.current_version_id != version_id:
        raise Conflict(
            f"version {version_id} of document {document_id} is no longer under review "
            f"(current: {document.current_version_id})"
        )
    return document


def store_deadline(
    *, session: Session, document_id: int, version_id: int, value: DeadlineValue, at: datetime
) -> Deadline:
    """Upsert the document's deadline of this kind (one per document and kind)."""
    row = session.exec(
        select(Deadline).where(
            col(Deadline.document_id) == document_id, col(Deadline.kind) == value.kind.value
        )
    ).first()
    if row is None:
        row = Deadline(
            document_id=document_id,
            kind=value.kind.value,
            due_at=value.due_at,
            basis=value.source,
            created_at=at,
        )
    row.version_id = version_id
    row.due_at = value.due_at
    row.basis = value.source
    row.provisional = value.provisional
    row.counted_from, row.working_days = value.counted_from, value.working_days
    row.met_at = row.closed_at = None  # storing a deadline opens it (for this step)
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class StepView:
    """What a reviewer needs to see about a waiting step (rendered by the workflow's form)."""

    document_id: int
    version_id: int
    step: Step
    title: str
    doc_number: str | None
    attribute: Attribute
    reason_codes: tuple[str, ...]
    reason_explanation: str
    findings: tuple[str, ...]
    deadlines: tuple[tuple[str, datetime, str, bool], ...]  # kind, due, basis, provisional


def open_step(
    *, session: Session, document_id: int, version_id: int, step: Step, at: datetime
) -> StepView:
    """Store the step's allowance deadline (local choice per profile) and describe the step."""
    document = require_current_version(
        session=session, document_id=document_id, version_id=version_id
    )
    profile: PolicyProfile = get_profile(document.policy_profile)
    allowance = stage_deadline(
        step.status,
        document.status_changed_at,
        profile,
        calendar_for(profile.name, session=session),
    )
    if allowance is not None and document.status is step.status:
        store_deadline(
            session=session, document_id=document_id, version_id=version_id, value=allowance, at=at
        )
    marking = get_marking(session=session, version_id=version_id)
    findings = session.exec(
        select(RecordedFinding.message)
        .where(col(RecordedFinding.version_id) == version_id)
        .order_by(col(RecordedFinding.id))
    ).all()
    deadlines = session.exec(
        select(Deadline).where(
            col(Deadline.document_id) == document_id, col(Deadline.met_at).is_(None)
        )
    ).all()
    return StepView(
        document_id=document_id,
        version_id=version_id,
        step=step,
        title=document.title,
        doc_number=document.doc_number,
        attribute=marking.attribute,
        reason_codes=tuple(marking.reason_codes),
        reason_explanation=marking.reason_explanation or "",
        findings=tuple(findings),
        deadlines=tuple((d.kind, d.due_at, d.basis, d.provisional) for d in deadlines),
    )


def current_status(*, session: Session, document_id: int) -> Status:
    """Where the document stands now."""
    return get_document(session=session, document_id=document_id).status
