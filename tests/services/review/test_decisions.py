"""services.review.decisions: windows counted on the Shanghai calendar day
(policies.calendar.local_date).

Runs on SQLite and PostgreSQL (the `session` fixture is parametrized)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session, col, select

from models.deadlines import Deadline
from policies.deadlines import secret_report_deadline
from policies.roles import Role
from policies.statuses import Status
from policies.steps import Step
from services.calendar import calendar_for
from services.review import record_decision
from tests.factories import id_of, make_document, make_user


def test_an_escalation_after_16_utc_counts_the_secret_report_window_from_the_shanghai_day(
    session: Session,
) -> None:
    # 2026-10-09T17:00Z is Saturday 2026-10-10 01:00 in Shanghai, a 调休 working day: the
    # 10 working days of 保密法实施条例 2024 art. 25 start from the 10th, not the 9th.
    drafter = make_user(session)
    reviewer = make_user(session, role=Role.SECRECY_REVIEWER, name="保密审查员甲")
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
