"""The one function that changes a document's status (style.md: one explicit state machine)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from models.deadlines import Deadline
from models.decisions import Channel
from models.documents import Document
from policies.deadlines import deadlines_closed, deadlines_met
from policies.review_states import check_transition
from policies.roles import Role
from policies.statuses import Status
from services.audit import STATUS_CHANGED, SYSTEM, record_event
from services.documents import get_document
from services.errors import TransitionNotAllowed
from services.timestamps import require_aware


def _end_deadlines(
    session: Session, document_id: int, source: Status, target: Status, at: datetime
) -> None:
    """Meet or close the document's open deadlines that end with the step left."""
    for kinds, column in (
        (deadlines_met(source, target), Deadline.met_at),
        (deadlines_closed(target), Deadline.closed_at),
    ):
        if kinds:
            session.execute(
                sa.update(Deadline)
                .where(
                    col(Deadline.document_id) == document_id,
                    col(Deadline.kind).in_([k.value for k in kinds]),
                    col(Deadline.met_at).is_(None),
                    col(Deadline.closed_at).is_(None),
                )
                .values({column: at})
                .execution_options(synchronize_session="fetch")
            )


def change_status(
    *,
    session: Session,
    document_id: int,
    target: Status,
    reason: str | None,
    at: datetime,
    actor: str = SYSTEM,
    role: Role = Role.SYSTEM,
    channel: Channel = "system",
) -> Document:
    """Move a document to target if the state machine allows it for role (by default the
    engine's own step), and audit the move."""
    require_aware(at)
    document = get_document(session=session, document_id=document_id, for_update=True)
    source = document.status
    findings = check_transition(source, target, role)
    if findings:
        raise TransitionNotAllowed(findings)
    before = {"status": source.value, "stage": document.stage.value}
    document.status = target
    document.stage = target.stage
    document.status_changed_at = at
    session.add(document)
    _end_deadlines(session, document_id, source, target, at)
    record_event(
        session=session,
        actor=actor,
        role=role,
        channel=channel,
        action=STATUS_CHANGED,
        document_id=document.id,
        version_id=document.current_version_id,
        before=before,
        after={"status": target.value, "stage": target.stage.value},
        reason=reason,
        at=at,
    )
    return document
