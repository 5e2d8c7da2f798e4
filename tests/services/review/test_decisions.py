"""services.review.decisions: windows counted on the Shanghai calendar day
(policies.calendar.local_date).

Runs on SQLite and PostgreSQL (the `session` fixture is parametrized)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, col, select

from models.deadlines import Deadline
from models.decisions import Decision
from models.organs import Organ
from policies.deadlines import secret_report_deadline
from policies.roles import Role
from policies.statuses import Status
from policies.steps import Step
from services.accounts import assign_organ
from services.calendar import calendar_for
from services.review import NotAllowed, record_decision
from tests.factories import id_of, make_colleague, make_document, make_user


def test_an_escalation_after_16_utc_counts_the_secret_report_window_from_the_shanghai_day(
    session: Session,
) -> None:
    # 2026-10-09T17:00Z is Saturday 2026-10-10 01:00 in Shanghai, a 调休 working day: the
    # 10 working days of 保密法实施条例 2024 art. 25 start from the 10th, not the 9th.
    drafter = make_user(session)
    reviewer = make_colleague(session, drafter, Role.SECRECY_REVIEWER, name="保密审查员甲")
    document = make_document(session, drafter=drafter, status=Status.SECRECY_REVIEW)
    at = datetime(2026, 10, 9, 17, 0, tzinfo=UTC)

    record_decision(
        session=session,
        document_id=id_of(document),
        version_id=document.current_version_id or 0,
        step=Step.SECRECY_REVIEW,
        decision="escalate",
        actor=reviewer,
        actor_name=reviewer.name,
        role=Role.SECRECY_REVIEWER,
        channel="api",
        at=at,
        comment="疑似涉密，报保密行政管理部门确定",
    )

    due = session.exec(
        select(Deadline).where(
            col(Deadline.document_id) == id_of(document), col(Deadline.kind) == "secret_report"
        )
    ).one()
    calendar = calendar_for("national", session=session)
    shanghai_day = secret_report_deadline(date(2026, 10, 10), calendar).due_at
    utc_day = secret_report_deadline(date(2026, 10, 9), calendar).due_at
    assert shanghai_day != utc_day  # the case discriminates
    assert due.due_at == shanghai_day


def test_a_reviewer_of_another_organ_is_refused_until_assigned_to_it_issue_21(
    session: Session,
) -> None:
    # Issue 21: a reviewer of one organ approving another organ's document was accepted.
    drafter = make_user(session)
    outsider = make_user(session, role=Role.SECRECY_REVIEWER)
    document = make_document(session, drafter=drafter, status=Status.SECRECY_REVIEW)

    def approve() -> None:
        record_decision(
            session=session,
            document_id=id_of(document),
            version_id=document.current_version_id or 0,
            step=Step.SECRECY_REVIEW,
            decision="approve",
            actor=outsider,
            actor_name=outsider.name,
            role=Role.SECRECY_REVIEWER,
            channel="api",
            at=datetime(2026, 10, 12, 2, 0, tzinfo=UTC),
        )

    with pytest.raises(NotAllowed, match="not assigned to the organ"):
        approve()
    assert session.exec(select(Decision)).all() == []
    organ = session.get(Organ, drafter.organ_id)
    assert organ is not None
    assign_organ(session=session, user=outsider, organ=organ, at=datetime(2026, 1, 1, tzinfo=UTC))
    approve()
    assert document.status is not Status.SECRECY_REVIEW
