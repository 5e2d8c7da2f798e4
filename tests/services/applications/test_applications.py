"""Applications on both databases (issue 26; 条例 arts. 29–37, 42, 44; 国办函〔2020〕109号;
domain §10 rules 17, 19, 20)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from sqlmodel import Session, col, select

from models.deadlines import Deadline
from models.rereviews import Rereview
from policies.application_clock import ClockEvent, ClockEventKind, ConsultedParty
from policies.application_replies import ReplyType
from policies.applications import ApplicantType, Channel
from policies.calendar import SHANGHAI, end_of_day
from policies.deadlines import DeadlineKind
from policies.roles import Role
from policies.statuses import Status
from services.applications import (
    ApplicationRequest,
    ReplyRequest,
    application_view,
    computed_table_three,
    link_document,
    record_clock_event,
    record_reply,
    register_application,
)
from services.errors import RequestInvalid
from tests.factories import id_of, make_document, make_organ, make_user

K = ClockEventKind
AT = datetime(2026, 9, 25, 10, tzinfo=SHANGHAI)
REQUEST = ApplicationRequest(
    applicant_type=ApplicantType.NATURAL_PERSON,
    applicant_name="王五",
    applicant_id_number="110101199003071234",
    contact="13800000000",
    description="2026年麻江县城区道路改造工程的立项批复",
    requested_form="电子邮件",
    channel=Channel.IN_PERSON,
    submitted_on=date(2026, 9, 25),
)


def _office(session: Session):  # type: ignore[no-untyped-def]
    organ = make_organ(session)
    return organ, make_user(session, organ=organ, role=Role.DISCLOSURE_OFFICE, name="公开办")


def _deadline(session: Session, application_id: int, kind: DeadlineKind) -> Deadline:
    row = session.exec(
        select(Deadline).where(
            col(Deadline.application_id) == application_id, col(Deadline.kind) == kind.value
        )
    ).one()
    return row


def test_fri_2026_09_25_reply_due_thu_2026_10_29_stored_as_a_deadline_条例_art_33(
    session: Session,
) -> None:
    """By hand: 09-28, 09-29, 09-30 (3); 国庆 10-01…10-07; 10-08, 10-09, Sat 10-10 调休 (6);
    10-12…10-16 (11); 10-19…10-23 (16); 10-26, 10-27, 10-28, Thu 10-29 (20)."""
    organ, clerk = _office(session)
    application, new = register_application(
        session=session,
        organ=organ,
        request=REQUEST,
        profile="national",
        at=AT,
        registered_by=clerk,
    )
    session.commit()
    assert new
    reply = _deadline(session, id_of(application), DeadlineKind.APPLICATION_REPLY)
    assert reply.due_at == end_of_day(date(2026, 10, 29))
    assert (reply.counted_from, reply.working_days) == (date(2026, 9, 25), 20)
    assert application.fee_yuan == 0
    assert application.number.startswith(f"{organ.code}-依申请-2026-")


def test_a_retried_or_double_clicked_application_is_registered_once(session: Session) -> None:
    organ, _ = _office(session)
    first, _ = register_application(
        session=session, organ=organ, request=REQUEST, profile="national", at=AT
    )
    again, new = register_application(
        session=session,
        organ=organ,
        request=replace(REQUEST, description=" 2026年麻江县城区道路改造工程的立项批复 "),
        profile="national",
        at=AT,
    )
    session.commit()
    assert not new
    assert again.id == first.id


def test_missing_art_29_fields_are_all_named_in_chinese_条例_art_29(session: Session) -> None:
    organ, _ = _office(session)
    bad = replace(REQUEST, contact="", requested_form=" ", channel=Channel.REGISTERED_POST)
    with pytest.raises(RequestInvalid) as refused:
        register_application(session=session, organ=organ, request=bad, profile="national", at=AT)
    fields = {f.field for f in refused.value.findings}
    assert fields == {"contact", "requested_form", "signed_on"}
    assert all("条例" in f.message or "签收" in f.message for f in refused.value.findings)


def test_supplement_restarts_the_clock_and_consultation_pauses_6_days_条例_arts_30_33(
    session: Session,
) -> None:
    organ, clerk = _office(session)
    application, _ = register_application(
        session=session, organ=organ, request=REQUEST, profile="national", at=AT
    )

    def record(event: ClockEvent) -> None:
        at = datetime.combine(event.on, datetime.min.time(), SHANGHAI).replace(hour=9)
        record_clock_event(
            session=session, application=application, event=event, person=clerk, at=at
        )

    record(ClockEvent(K.SUPPLEMENT_REQUESTED, date(2026, 10, 9), until=date(2026, 10, 23)))
    reply = _deadline(session, id_of(application), DeadlineKind.APPLICATION_REPLY)
    assert reply.closed_at is not None  # not counted while the supplement is awaited
    record(ClockEvent(K.SUPPLEMENT_RECEIVED, date(2026, 10, 16)))
    reply = _deadline(session, id_of(application), DeadlineKind.APPLICATION_REPLY)
    assert reply.closed_at is None
    assert reply.due_at == end_of_day(date(2026, 11, 13))  # 20 WD from Fri 10-16
    record(
        ClockEvent(
            K.CONSULTATION_REQUESTED,
            date(2026, 10, 19),
            party=ConsultedParty.THIRD_PARTY,
            consultation="c",
        )
    )
    record(ClockEvent(K.CONSULTATION_ANSWERED, date(2026, 10, 27), consultation="c"))
    session.commit()
    reply = _deadline(session, id_of(application), DeadlineKind.APPLICATION_REPLY)
    # 10-20…10-23, 10-26, 10-27: 6 WD; 11-13 + 6 WD = 11-16…11-20, 11-23
    assert reply.due_at == end_of_day(date(2026, 11, 23))


def test_one_extension_after_the_heads_approval_a_second_refused_条例_art_33(
    session: Session,
) -> None:
    organ, clerk = _office(session)
    application, _ = register_application(
        session=session, organ=organ, request=REQUEST, profile="national", at=AT
    )
    at = datetime(2026, 10, 28, 9, tzinfo=SHANGHAI)
    unapproved = ClockEvent(K.EXTENDED, date(2026, 10, 28), days=20)
    with pytest.raises(RequestInvalid, match="负责人同意"):
        record_clock_event(
            session=session, application=application, event=unapproved, person=clerk, at=at
        )
    approved = replace(unapproved, approved_by_head=True)
    clock = record_clock_event(
        session=session, application=application, event=approved, person=clerk, at=at
    )
    assert clock.extension_days == 20
    with pytest.raises(RequestInvalid, match="只能延长一次"):
        record_clock_event(
            session=session,
            application=application,
            event=replace(approved, days=1),
            person=clerk,
            at=at,
        )
    session.commit()
    reply = _deadline(session, id_of(application), DeadlineKind.APPLICATION_REPLY)
    assert reply.due_at == end_of_day(date(2026, 11, 26))  # 10-29 + 20 WD


def test_the_11th_and_31st_application_of_a_month_cost_100_and_200_yuan_国办函_2020_109号(
    session: Session,
) -> None:
    organ, _ = _office(session)
    fees = []
    for n in range(1, 32):
        application, _ = register_application(
            session=session,
            organ=organ,
            request=replace(REQUEST, description=f"信息 {n}"),
            profile="national",
            at=AT,
        )
        fees.append(application.fee_yuan)
    october = replace(REQUEST, submitted_on=date(2026, 10, 8), description="十月的第一件")
    first_of_october, _ = register_application(
        session=session, organ=organ, request=october, profile="national", at=AT
    )
    session.commit()
    assert (fees[9], fees[10], fees[29], fees[30]) == (0, 100, 100, 200)
    assert first_of_october.fee_yuan == 0


def test_a_refusal_needs_its_reason_and_counts_in_its_row_of_table_三_条例_art_36(
    session: Session,
) -> None:
    organ, clerk = _office(session)
    application, _ = register_application(
        session=session, organ=organ, request=REQUEST, profile="national", at=AT
    )
    at = datetime(2026, 10, 20, 9, tzinfo=SHANGHAI)
    with pytest.raises(RequestInvalid, match="不予公开须说明一项理由"):
        record_reply(
            session=session,
            application=application,
            reply=ReplyRequest(ReplyType.WITHHELD),
            person=clerk,
            at=at,
        )
    record_reply(
        session=session,
        application=application,
        reply=ReplyRequest(ReplyType.WITHHELD, reason_codes=("NS-6",), explanation="过程性信息"),
        person=clerk,
        at=at,
    )
    register_application(
        session=session,
        organ=organ,
        request=replace(REQUEST, description="另一件", applicant_type=ApplicantType.COMMERCIAL),
        profile="national",
        at=AT,
    )
    session.commit()
    assert _deadline(session, id_of(application), DeadlineKind.APPLICATION_REPLY).met_at == at
    cells = computed_table_three(session, 2026, [id_of(organ)])
    assert cells[("三", "三(三)6", "自然人")] == 1
    assert cells[("三", "四", "商业企业")] == 1
    assert cells[("三", "一", "总计")] == 2


def test_personal_data_only_for_the_disclosure_office(session: Session) -> None:
    organ, clerk = _office(session)
    reviewer = make_user(session, organ=organ, role=Role.SECRECY_REVIEWER)
    application, _ = register_application(
        session=session, organ=organ, request=REQUEST, profile="national", at=AT
    )
    for_office = application_view(session, application, viewer=clerk, as_of=AT)
    for_reviewer = application_view(session, application, viewer=reviewer, as_of=AT)
    assert for_office.applicant is not None
    assert for_office.applicant.id_number == REQUEST.applicant_id_number
    assert for_reviewer.applicant is None
    assert REQUEST.applicant_id_number not in repr(for_reviewer)
    assert for_office.reply_due_on == date(2026, 10, 29)


def test_three_applicants_released_one_filed_document_propose_its_conversion_rule_17(
    session: Session,
) -> None:
    organ, clerk = _office(session)
    document = make_document(session, drafter=make_user(session, organ=organ), status=Status.FILED)
    at = datetime(2026, 10, 20, 9, tzinfo=SHANGHAI)
    for n in range(3):
        applicant = replace(REQUEST, applicant_id_number=f"11010119900307{n:04d}")
        application, _ = register_application(
            session=session, organ=organ, request=applicant, profile="national", at=AT
        )
        link_document(
            session=session,
            application=application,
            document_id=id_of(document),
            person=clerk,
            at=at,
        )
        record_reply(
            session=session,
            application=application,
            reply=ReplyRequest(ReplyType.DISCLOSED),
            person=clerk,
            at=at,
        )
        proposals = session.exec(select(Rereview).where(col(Rereview.kind) == "applications")).all()
        assert len(proposals) == (1 if n == 2 else 0)
    session.commit()
    assert proposals[0].document_id == document.id


def test_an_applicant_proposing_proactive_disclosure_gets_a_conversion_review_条例_art_44_2(
    session: Session,
) -> None:
    """Rule 17's second trigger: one applicant's proposal, whatever the reply, puts each linked
    filed document to a conversion review once; a document already public is left alone, and
    an application without the proposal proposes nothing below the threshold."""
    organ, clerk = _office(session)
    drafter = make_user(session, organ=organ)
    filed = make_document(session, drafter=drafter, status=Status.FILED)
    public = make_document(session, drafter=drafter, status=Status.PUBLISHED)
    at = datetime(2026, 10, 20, 9, tzinfo=SHANGHAI)
    plain = replace(REQUEST, applicant_id_number="110101199003070001")
    proposing = replace(REQUEST, applicant_id_number="110101199003070002", proposes_proactive=True)
    for request, reply in (
        (plain, ReplyRequest(ReplyType.DISCLOSED)),
        (proposing, ReplyRequest(ReplyType.CANNOT_PROVIDE, sub_reason="CP-1")),
    ):
        application, _ = register_application(
            session=session, organ=organ, request=request, profile="national", at=AT
        )
        for document in (filed, public):
            link_document(
                session=session,
                application=application,
                document_id=id_of(document),
                person=clerk,
                at=at,
            )
        record_reply(session=session, application=application, reply=reply, person=clerk, at=at)
    session.commit()
    assert application.proposes_proactive
    (proposal,) = session.exec(select(Rereview).where(col(Rereview.kind) == "applications")).all()
    assert proposal.document_id == filed.id
    assert proposal.cycle == f"proposal-{application.id}"
    assert "条例 art. 44 ¶2" in proposal.basis
    assert application.number in proposal.basis


def test_the_office_dashboard_lists_an_applications_reply_due_date_条例_art_33(
    session: Session,
) -> None:
    from api.pages.office import board_html
    from services.office.overview import dashboard

    organ, _ = _office(session)
    application, _ = register_application(
        session=session, organ=organ, request=REQUEST, profile="national", at=AT
    )
    session.commit()
    data = dashboard(session, as_of=datetime(2026, 10, 30, 9, tzinfo=SHANGHAI))
    reply = next(a for a in data.applications if a.kind is DeadlineKind.APPLICATION_REPLY)
    assert (reply.number, reply.overdue) == (application.number, True)
    html = board_html(data)
    assert application.number in html
    assert "2026-10-29 24:00" in html
    assert REQUEST.applicant_name not in html


def test_table_三_counted_from_applications_keeps_imports_国办公开办函_2019_60号(
    session: Session,
) -> None:
    from policies.annual_report import ImportedCell
    from services.office.annual_report import build_annual_report, import_figures

    organ, clerk = _office(session)
    first, _ = register_application(
        session=session, organ=organ, request=REQUEST, profile="national", at=AT
    )
    record_reply(
        session=session,
        application=first,
        reply=ReplyRequest(ReplyType.CANNOT_PROVIDE, sub_reason="CP-1"),
        person=clerk,
        at=datetime(2026, 10, 9, 9, tzinfo=SHANGHAI),
    )
    register_application(
        session=session,
        organ=organ,
        request=replace(REQUEST, description="另一件", applicant_type=ApplicantType.RESEARCH),
        profile="national",
        at=AT,
    )
    # Handled outside the engine: one 自然人 application received and disclosed.
    cells = [
        ImportedCell("三", row, column, 1)
        for row in ("一", "三(一)", "三(七)")
        for column in ("自然人", "总计")
    ]
    import_figures(session=session, year=2026, cells=cells, media="json", user=clerk, at=AT)
    session.commit()
    report = build_annual_report(session=session, year=2026)
    assert report.cell("三", "一", "自然人").value == 2
    assert report.cell("三", "一", "自然人").origin == "combined"
    assert report.cell("三", "三(四)1", "自然人").value == 1
    assert report.cell("三", "三(四)1", "自然人").origin == "computed"
    assert report.cell("三", "三(一)", "自然人").origin == "imported"
    assert report.cell("三", "四", "科研机构").value == 1
    assert report.cell("三", "一", "总计").value == 3
    assert [f.message for f in report.findings] == []


def test_application_deadlines_are_alerted_at_half_and_when_overdue_once_条例_art_33(
    session: Session,
) -> None:
    from services.applications.alerts import check_application_windows

    organ, _ = _office(session)
    application, _ = register_application(
        session=session, organ=organ, request=REQUEST, profile="national", at=AT
    )
    # 10 of 20 WD after Fri 09-25: 09-28…09-30, 10-08, 10-09, Sat 10-10, 10-12…10-15 (10)
    half = check_application_windows(
        session, at=datetime(2026, 10, 16, 0, 1, tzinfo=SHANGHAI), shares=(0.5,)
    )
    # The 补正 notice (7 WD, due 10-12) is past; the reply (20 WD) at half.
    assert sorted(k.rsplit(":", 1)[1] for k in half) == ["50%", "50%", "overdue"]
    again = check_application_windows(
        session, at=datetime(2026, 10, 16, 0, 2, tzinfo=SHANGHAI), shares=(0.5,)
    )
    assert again == []
    late = check_application_windows(
        session, at=datetime(2026, 10, 30, 0, 1, tzinfo=SHANGHAI), shares=(0.5,)
    )
    assert any(k.endswith("overdue") for k in late)
    assert application.number
