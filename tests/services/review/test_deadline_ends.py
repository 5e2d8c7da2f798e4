"""Every stored deadline is met or closed when its step ends (issue 20), one test per kind that
is stored: stage allowance, secret report, publication (local and ceiling), interpretation,
secrecy expiry (tests/services/review/test_secrecy_expiry.py). Domain §11; 条例 art. 26."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from models.deadlines import Deadline
from models.documents import Document
from policies.calendar import SHANGHAI
from policies.deadlines import (
    DeadlineKind,
    interpretation_deadline,
    publication_deadlines,
    secret_report_deadline,
)
from policies.profiles import get_profile
from policies.roles import Role
from policies.statuses import Status
from policies.steps import Step
from services.calendar import calendar_for
from services.review import change_status, open_step, store_deadline
from tests.factories import id_of, make_document

T = datetime(2026, 12, 1, 10, tzinfo=SHANGHAI)


def _row(session: Session, document: Document, kind: DeadlineKind) -> Deadline:
    return session.exec(
        select(Deadline).where(
            col(Deadline.document_id) == document.id, col(Deadline.kind) == kind.value
        )
    ).one()


def _store(session: Session, document: Document, *values) -> None:
    for value in values:
        store_deadline(
            session=session,
            document_id=id_of(document),
            version_id=document.current_version_id or 0,
            value=value,
            at=T,
        )


def _move(session: Session, document: Document, target: Status, role: Role, at: datetime):
    change_status(
        session=session, document_id=id_of(document), target=target, reason="t", at=at, role=role
    )


def test_the_stage_allowance_is_met_when_its_step_ends_and_reopened_by_the_next(
    session: Session,
) -> None:
    # Issue 20: the sign-off allowance of a published document still had met_at null.
    document = make_document(session, status=Status.SECRECY_REVIEW, status_changed_at=T)
    step = {"session": session, "document_id": id_of(document), "version_id": 1}
    step["version_id"] = document.current_version_id or 0
    open_step(**step, step=Step.SECRECY_REVIEW, at=T)
    _move(session, document, Status.AWAITING_SIGNOFF, Role.SECRECY_REVIEWER, T + timedelta(days=1))
    assert _row(session, document, DeadlineKind.STAGE_ALLOWANCE).met_at == T + timedelta(days=1)
    open_step(**step, step=Step.SIGN_OFF, at=T + timedelta(days=1))
    assert _row(session, document, DeadlineKind.STAGE_ALLOWANCE).met_at is None
    _move(session, document, Status.PUBLISHED, Role.SIGNER, T + timedelta(days=2))
    signoff = _row(session, document, DeadlineKind.STAGE_ALLOWANCE)
    assert signoff.met_at == T + timedelta(days=2)
    assert signoff.closed_at is None


def test_publication_windows_are_met_at_publication(session: Session) -> None:
    profile = get_profile("majiang")  # a local 2-hour window and the national ceiling
    document = make_document(session, status=Status.AWAITING_SIGNOFF, policy_profile="majiang")
    calendar = calendar_for(profile.name, session=session)
    _store(session, document, *publication_deadlines(T, profile, calendar, formed_on=T.date()))
    _move(session, document, Status.PUBLISHED, Role.SIGNER, T + timedelta(hours=1))
    for kind in (DeadlineKind.PUBLICATION_LOCAL, DeadlineKind.PUBLICATION_CEILING):
        assert _row(session, document, kind).met_at == T + timedelta(hours=1)


def test_publication_and_interpretation_windows_are_closed_when_the_document_is_filed(
    session: Session,
) -> None:
    profile = get_profile("majiang")
    document = make_document(session, status=Status.AWAITING_SIGNOFF, policy_profile="majiang")
    calendar = calendar_for(profile.name, session=session)
    _store(
        session,
        document,
        *publication_deadlines(T, profile, calendar, formed_on=T.date()),
        interpretation_deadline(T, profile, calendar),
    )
    _move(session, document, Status.FILED, Role.SIGNER, T + timedelta(hours=3))
    for kind in (
        DeadlineKind.PUBLICATION_LOCAL,
        DeadlineKind.PUBLICATION_CEILING,
        DeadlineKind.INTERPRETATION,
    ):
        row = _row(session, document, kind)
        assert (row.met_at, row.closed_at) == (None, T + timedelta(hours=3))


def test_the_secret_report_is_met_when_the_escalation_returns(session: Session) -> None:
    document = make_document(session, status=Status.ESCALATED, status_changed_at=T)
    calendar = calendar_for("national", session=session)
    _store(session, document, secret_report_deadline(date(2026, 12, 1), calendar))
    _move(session, document, Status.SECRECY_REVIEW, Role.DISCLOSURE_OFFICE, T + timedelta(days=3))
    assert _row(session, document, DeadlineKind.SECRET_REPORT).met_at == T + timedelta(days=3)
