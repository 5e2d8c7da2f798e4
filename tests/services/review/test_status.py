"""change_status: the one way a document's status changes, always audited."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.audit import AuditEvent
from models.db import session_scope
from models.documents import Document
from policies.roles import Role
from policies.statuses import Stage, Status
from services.errors import NotFound, TransitionNotAllowed
from services.review import change_status
from tests.factories import T0, make_document

SHANGHAI = timezone(timedelta(hours=8))
LATER = datetime(2025, 3, 3, 10, 30, tzinfo=SHANGHAI)


def _audit_events(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())


def _submitted_document(engine: Engine) -> int:
    with session_scope(engine) as session:
        document_id = make_document(session).id
    assert document_id is not None
    return document_id


def test_allowed_move_writes_status_stage_time_and_one_audit_event(engine: Engine) -> None:
    document_id = _submitted_document(engine)

    with session_scope(engine) as session:
        change_status(
            session=session,
            document_id=document_id,
            target=Status.SECRECY_REVIEW,
            actor="system",
            role=Role.SYSTEM,
            channel="system",
            reason="先审查、后公开",
            at=LATER,
        )

    with Session(engine) as session:
        document = session.get_one(Document, document_id)
        assert document.status is Status.SECRECY_REVIEW
        assert document.stage is Stage.SECRECY_REVIEW
        assert document.status_changed_at == LATER
        assert document.status_changed_at.tzinfo is not None
    [event] = _audit_events(engine)
    assert event.action == "status.changed"
    assert event.document_id == document_id
    assert event.version_id is not None
    assert event.before == {"status": "submitted", "stage": "intake"}
    assert event.after == {"status": "secrecy_review", "stage": "secrecy_review"}
    assert (event.actor, event.role, event.channel) == ("system", Role.SYSTEM, "system")
    assert event.occurred_at == LATER
    assert event.reason == "先审查、后公开"


def test_move_the_state_machine_forbids_is_refused_and_writes_nothing(engine: Engine) -> None:
    document_id = _submitted_document(engine)

    with pytest.raises(TransitionNotAllowed) as refused, session_scope(engine) as session:
        change_status(
            session=session,
            document_id=document_id,
            target=Status.PUBLISHED,
            actor="signer-1",
            role=Role.SIGNER,
            channel="api",
            reason=None,
            at=LATER,
        )

    assert [f.rule for f in refused.value.findings] == ["transition.not_allowed"]
    with Session(engine) as session:
        document = session.get_one(Document, document_id)
        assert (document.status, document.status_changed_at) == (Status.SUBMITTED, T0)
    assert _audit_events(engine) == []


def test_move_by_a_role_that_may_not_make_it_is_refused(session: Session) -> None:
    document = make_document(session)
    assert document.id is not None

    with pytest.raises(TransitionNotAllowed) as refused:
        change_status(
            session=session,
            document_id=document.id,
            target=Status.SECRECY_REVIEW,
            actor="drafter-1",
            role=Role.DRAFTER,
            channel="api",
            reason=None,
            at=LATER,
        )

    [finding] = refused.value.findings
    assert (finding.rule, finding.field) == ("transition.role_not_allowed", "role")
    assert document.status is Status.SUBMITTED


def test_naive_time_is_refused(session: Session) -> None:
    document = make_document(session)
    assert document.id is not None

    with pytest.raises(ValueError, match="naive"):
        change_status(
            session=session,
            document_id=document.id,
            target=Status.SECRECY_REVIEW,
            actor="system",
            role=Role.SYSTEM,
            channel="system",
            reason=None,
            at=datetime(2025, 3, 3, 9, 0),  # noqa: DTZ001  (the point of the test)
        )


def test_unknown_document_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        change_status(
            session=session,
            document_id=999_999,
            target=Status.SECRECY_REVIEW,
            actor="system",
            role=Role.SYSTEM,
            channel="system",
            reason=None,
            at=LATER,
        )
