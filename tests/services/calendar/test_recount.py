"""Issue 20, "Done when": provisional ages and deadlines into January 2027, healed by importing
a 2027 file (a TEST FIXTURE, not the official schedule: 元旦 Fri 2027-01-01 a holiday and a
hypothetical make-up working day Sat 2027-01-02). Domain §8.1, §8.2 pitfall 3."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from models.alerts import Alert
from models.audit import AuditEvent
from models.deadlines import Deadline
from models.documents import Document
from policies.calendar import SHANGHAI
from policies.deadlines import DeadlineKind, publication_deadlines
from policies.profiles import get_profile
from policies.roles import Role
from policies.statuses import Status
from policies.steps import Step
from policies.stuck import StuckLevel
from services.calendar import calendar_for, read_calendar_file
from services.calendar.entry import enter_year
from services.calendar.recount import ALERT_WITHDRAWN, DEADLINE_RECOUNTED
from services.office.alerts import LogNotifier, deliver_pending
from services.office.stuck import stuck_documents
from services.publication.windows import check_windows
from services.review import open_step, store_deadline
from tests.factories import id_of, make_document, make_user

FIXTURE_2027 = Path(__file__).with_name("calendar_2027_TEST_FIXTURE_not_official.csv")


def sh(y: int, m: int, d: int, hh: int = 0) -> datetime:
    return datetime(y, m, d, hh, tzinfo=SHANGHAI)


def _import_2027(session: Session, at: datetime):
    admin = make_user(session, role=Role.ADMIN, name="管理员")
    value = read_calendar_file(2027, FIXTURE_2027.read_bytes())
    return enter_year(session=session, person=admin, value=value, at=at, shares=(0.5,))


def _waiting_since_2026_12_28(session: Session) -> Document:
    document = make_document(
        session, status=Status.SECRECY_REVIEW, status_changed_at=sh(2026, 12, 28, 10)
    )
    open_step(
        session=session,
        document_id=id_of(document),
        version_id=document.current_version_id or 0,
        step=Step.SECRECY_REVIEW,
        at=sh(2026, 12, 28, 10),
    )
    session.commit()
    return document


def _item(session: Session, document: Document, as_of: datetime):
    report = stuck_documents(session, as_of=as_of)
    return next(i for i in report.items if i.document_id == document.id)


def test_issue_20_a_wait_since_2026_12_28_is_provisional_then_final_after_the_import(
    session: Session,
) -> None:
    document = _waiting_since_2026_12_28(session)
    as_of = sh(2027, 1, 7, 12)
    # Provisional: 7 WD (local allowance) = 12-29, 12-30, 12-31, (元旦 skipped) 01-04 … 01-07.
    before = _item(session, document, as_of)
    assert (before.due_at, before.provisional) == (sh(2027, 1, 8), True)
    assert (before.age_working_days, before.level) == (7, StuckLevel.NEAR)
    stored = session.exec(select(Deadline).where(col(Deadline.document_id) == document.id)).one()
    assert (stored.due_at, stored.provisional) == (sh(2027, 1, 8), True)

    entry = _import_2027(session, at=sh(2026, 12, 6, 10))
    session.commit()

    # Final: the make-up Saturday 01-02 counts, so the 7th WD is 01-06 and the age one more.
    after = _item(session, document, as_of)
    assert (after.due_at, after.provisional) == (sh(2027, 1, 7), False)
    assert (after.age_working_days, after.level) == (8, StuckLevel.OVERDUE)
    session.refresh(stored)
    assert (stored.due_at, stored.provisional) == (sh(2027, 1, 7), False)
    assert entry.recount is not None
    assert [r.deadline_id for r in entry.recount.changed] == [stored.id]
    event = session.exec(
        select(AuditEvent).where(col(AuditEvent.action) == DEADLINE_RECOUNTED)
    ).one()
    assert event.document_id == document.id
    assert event.before == {
        "kind": "stage_allowance",
        "due_at": "2027-01-08T00:00:00+08:00",
        "provisional": True,
    }
    assert event.after == {
        "kind": "stage_allowance",
        "due_at": "2027-01-07T00:00:00+08:00",
        "provisional": False,
    }


def test_issue_20_an_alert_raised_on_the_provisional_date_is_withdrawn_and_raised_again(
    session: Session,
) -> None:
    # 20 WD (条例 art. 26) from Mon 2026-12-07: provisionally the end of Tue 2027-01-05; with
    # the fixture's make-up Saturday 01-02, the end of Mon 2027-01-04.
    document = make_document(session, status=Status.AWAITING_SIGNOFF, title="关于春耕的通知")
    profile = get_profile("national")
    calendar = calendar_for(profile.name, session=session)
    for value in publication_deadlines(
        sh(2026, 12, 7, 9), profile, calendar, formed_on=date(2026, 12, 7)
    ):
        store_deadline(
            session=session,
            document_id=id_of(document),
            version_id=document.current_version_id or 0,
            value=value,
            at=sh(2026, 12, 7, 9),
        )
    ceiling = session.exec(
        select(Deadline).where(col(Deadline.kind) == DeadlineKind.PUBLICATION_CEILING.value)
    ).one()
    assert (ceiling.due_at, ceiling.provisional) == (sh(2027, 1, 6), True)
    first = sh(2026, 12, 28, 12)
    wrong = check_windows(session, at=first, shares=(0.5,)).raised
    assert wrong == (f"window:{ceiling.id}:20270106T0000:50%",)
    assert "2027-01-05 24:00（北京时间）（暂定）" in session.exec(select(Alert)).one().message
    deliver_pending(session, LogNotifier(), at=first)
    session.commit()

    entry = _import_2027(session, at=sh(2026, 12, 28, 13))
    session.commit()

    assert entry.recount is not None
    assert entry.recount.withdrawn == wrong
    old = session.exec(select(Alert).where(col(Alert.key) == wrong[0])).one()
    assert old.withdrawn_at == sh(2026, 12, 28, 13)
    notice = session.exec(select(Alert).where(col(Alert.kind) == ALERT_WITHDRAWN)).one()
    assert "新期限 2027-01-04 24:00（北京时间）" in notice.message
    assert entry.windows is not None
    assert entry.windows.raised == (f"window:{ceiling.id}:20270105T0000:50%",)
    right = session.exec(select(Alert).where(col(Alert.key) == entry.windows.raised[0])).one()
    assert "2027-01-04 24:00（北京时间）前完成" in right.message
    assert right.payload["provisional"] is False


def _reply_deadline_of_an_application_of_2026_12_07(session: Session, applicant: str) -> Deadline:
    """The reply deadline (条例 art. 33) of an application handed in on Mon 2026-12-07."""
    from policies.applications import ApplicantType, Channel
    from services.applications import ApplicationRequest, register_application
    from tests.factories import make_organ

    application, _ = register_application(
        session=session,
        organ=make_organ(session),
        request=ApplicationRequest(
            applicant_type=ApplicantType.NATURAL_PERSON,
            applicant_name=applicant,
            applicant_id_number=f"1101011995010{len(applicant):05d}",
            contact="13500000000",
            description=f"{applicant}申请：2027年春耕补贴发放办法",
            requested_form="电子邮件",
            channel=Channel.IN_PERSON,
            submitted_on=date(2026, 12, 7),
        ),
        profile="national",
        at=sh(2026, 12, 7, 9),
    )
    session.commit()
    return session.exec(
        select(Deadline).where(
            col(Deadline.application_id) == application.id,
            col(Deadline.kind) == DeadlineKind.APPLICATION_REPLY.value,
        )
    ).one()


def test_issue_26_an_applications_reply_is_recounted_when_2027_is_loaded_条例_art_33(
    session: Session,
) -> None:
    reply = _reply_deadline_of_an_application_of_2026_12_07(session, "吴十")
    # 20 WD from Mon 2026-12-07: provisionally Tue 2027-01-05; with the fixture's Sat 01-02
    # make-up day, Mon 2027-01-04.
    assert (reply.due_at, reply.provisional) == (sh(2027, 1, 6), True)
    _import_2027(session, at=sh(2026, 12, 7, 10))
    session.commit()
    session.refresh(reply)
    assert (reply.due_at, reply.provisional) == (sh(2027, 1, 5), False)


def test_issue_26_an_applications_alert_on_the_provisional_date_is_withdrawn_条例_art_33(
    session: Session,
) -> None:
    from services.applications.alerts import check_application_windows

    reply = _reply_deadline_of_an_application_of_2026_12_07(session, "郑十一")
    first = sh(2026, 12, 28, 12)
    of_reply = f"application:{reply.id}:"
    raised = check_application_windows(session, at=first, shares=(0.5,))
    wrong = [key for key in raised if key.startswith(of_reply)]
    assert wrong == [f"{of_reply}20270106T0000:50%"]
    deliver_pending(session, LogNotifier(), at=first)
    session.commit()

    entry = _import_2027(session, at=sh(2026, 12, 28, 13))
    session.commit()

    assert entry.recount is not None
    assert [key for key in entry.recount.withdrawn if key.startswith(of_reply)] == wrong
    old = session.exec(select(Alert).where(col(Alert.key) == wrong[0])).one()
    assert old.withdrawn_at == sh(2026, 12, 28, 13)
    notice = session.exec(select(Alert).where(col(Alert.key) == f"withdrawn:{wrong[0]}")).one()
    assert notice.kind == ALERT_WITHDRAWN
    assert "新期限 2027-01-04 24:00（北京时间）" in notice.message
    again = check_application_windows(session, at=sh(2026, 12, 28, 14), shares=(0.5,))
    assert again == [f"{of_reply}20270105T0000:50%"]
