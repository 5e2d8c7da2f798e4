"""Window alerts on both databases, time passed in (domain §10 rules 12, 13; §11 #1–#3)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from models.alerts import Alert
from models.deadlines import Deadline
from models.documents import Document
from policies.calendar import SHANGHAI, end_of_day
from policies.deadlines import publication_deadlines
from policies.profiles import get_profile
from policies.statuses import Status
from services.calendar import calendar_for
from services.office.alerts import LogNotifier, deliver_pending
from services.publication.publishing import JsonFileSink, publish_version
from services.publication.windows import check_windows
from services.review import store_deadline
from tests.factories import id_of, make_document


def _at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


SIGNED = _at(2026, 3, 2, 9)  # Mon 09:00: 印发 (sign-off); the 2-hour window ends at 11:00


def signed_off(session: Session, profile: str, document_type: str, at: datetime) -> Document:
    """A document signed off at `at` with its publication windows stored, as the sign-off does."""
    document = make_document(
        session,
        status=Status.AWAITING_SIGNOFF,
        policy_profile=profile,
        document_type=document_type,
        written_on=at.date(),
        title=f"关于做好春耕工作的通知（{profile}）",
    )
    p = get_profile(profile)
    for value in publication_deadlines(
        at, p, calendar_for(p.name, session=session), formed_on=at.date()
    ):
        store_deadline(
            session=session,
            document_id=id_of(document),
            version_id=document.current_version_id or 0,
            value=value,
            at=at,
        )
    session.commit()
    return document


def alerts_of(session: Session, document: Document) -> list[Alert]:
    return list(
        session.exec(
            select(Alert).where(col(Alert.document_id) == document.id).order_by(col(Alert.id))
        ).all()
    )


def check_twice(session: Session, at: datetime) -> tuple[int, int]:
    first = check_windows(session, at=at, shares=(0.5,))
    session.commit()
    second = check_windows(session, at=at, shares=(0.5,))
    session.commit()
    return len(first.raised), len(second.raised)


def test_publication_within_the_window_leaves_no_alert(session: Session, tmp_path: Path) -> None:
    document = signed_off(session, "majiang", "notice", SIGNED)
    publish_version(
        session=session,
        document_id=id_of(document),
        version_id=document.current_version_id or 0,
        publisher=JsonFileSink(tmp_path / "portal"),
        at=SIGNED + timedelta(minutes=45),  # seed 000 §三(二十二): within 2 hours
    )
    session.commit()
    for at in (SIGNED + timedelta(hours=1), SIGNED + timedelta(hours=3), _at(2026, 6, 1)):
        assert check_twice(session, at) == (0, 0)
    assert alerts_of(session, document) == []


def test_an_unpublished_document_is_alerted_once_at_half_and_once_when_overdue(
    session: Session,
) -> None:
    document = signed_off(session, "majiang", "notice", SIGNED)
    assert check_twice(session, SIGNED + timedelta(minutes=59)) == (0, 0)
    assert check_twice(session, SIGNED + timedelta(hours=1)) == (1, 0)  # 50% of 2 clock hours
    assert check_twice(session, SIGNED + timedelta(hours=1, minutes=30)) == (0, 0)
    assert check_twice(session, SIGNED + timedelta(hours=2)) == (1, 0)  # overdue at 11:00
    half, overdue = alerts_of(session, document)
    assert (half.threshold, half.kind) == ("50%", "window.share")
    assert (overdue.threshold, overdue.kind) == ("overdue", "window.overdue")
    for alert in (half, overdue):
        assert document.title in alert.message
        assert "seed 000 §三(二十二)" in alert.message
        assert "2026-03-02 11:00" in alert.message  # the due time, Shanghai local
        assert alert.organ_id == document.organ_id
        assert alert.payload["deadline_kind"] == "publication_local"
    assert "已逾期" in overdue.message
    # The 20 WD ceiling (条例 art. 26) is still far: nothing about it yet.
    assert all(a.payload["deadline_kind"] == "publication_local" for a in (half, overdue))
    delivery = deliver_pending(session, LogNotifier(), at=SIGNED + timedelta(hours=2))
    session.commit()
    assert delivery.delivered >= 2
    assert all(a.notified_at is not None for a in alerts_of(session, document))


def test_the_20_working_day_ceiling_is_measured_in_working_days(session: Session) -> None:
    # 条例 art. 26, national profile (no local window): signed Fri 2026-02-13 before the Spring
    # Festival; 10 of 20 WD are used only at 24:00 Thu 2026-03-05 (Sat 14 is a 调休 working
    # day, 15–23 Feb are holidays), not at the clock midpoint.
    signed = _at(2026, 2, 13, 9)
    document = signed_off(session, "national", "notice", signed)
    [ceiling] = session.exec(select(Deadline).where(col(Deadline.document_id) == document.id)).all()
    assert ceiling.due_at == end_of_day(date(2026, 3, 19))
    clock_midpoint = signed + (ceiling.due_at - signed) / 2  # about Tue 2026-03-03
    assert check_twice(session, clock_midpoint) == (0, 0)
    assert check_twice(session, _at(2026, 3, 5, 23, 59)) == (0, 0)
    assert check_twice(session, _at(2026, 3, 6)) == (1, 0)
    assert check_twice(session, ceiling.due_at) == (1, 0)
    assert [a.threshold for a in alerts_of(session, document)] == ["50%", "overdue"]


def test_interpretation_missing_three_working_days_across_a_调休_weekend_is_overdue(
    session: Session, tmp_path: Path
) -> None:
    # seeds 002 §二(十三), 004 §二(五): 3 WD after publication. Published Wed 2026-02-11: Thu 12,
    # Fri 13 and the 调休 make-up Saturday 2026-02-14 (放假办法 art. 7) → due 24:00 Sat 14.
    published = _at(2026, 2, 11, 10)
    document = signed_off(session, "wuming", "normative", published - timedelta(hours=1))
    publish_version(
        session=session,
        document_id=id_of(document),
        version_id=document.current_version_id or 0,
        publisher=JsonFileSink(tmp_path / "portal"),
        at=published,
    )
    session.commit()
    interpretation = session.exec(
        select(Deadline).where(
            col(Deadline.document_id) == document.id, col(Deadline.kind) == "interpretation"
        )
    ).one()
    assert interpretation.due_at == end_of_day(date(2026, 2, 14))
    sunday = _at(2026, 2, 15, 9)
    # A naive Mon–Fri count (Thu 12, Fri 13, Mon 16) would not be due before 24:00 Mon 16.
    day, counted = published.date(), 0
    while counted < 3:
        day += timedelta(days=1)
        counted += day.weekday() < 5
    naive_due = end_of_day(day)
    assert sunday < naive_due
    assert check_twice(session, _at(2026, 2, 13, 11)) == (0, 0)  # 1.46 of 3 WD
    assert check_twice(session, _at(2026, 2, 13, 12)) == (1, 0)  # 1.5 of 3 WD: 50%
    assert check_twice(session, sunday) == (1, 0)
    alerts = alerts_of(session, document)
    assert [(a.payload["deadline_kind"], a.threshold) for a in alerts] == [
        ("interpretation", "50%"),
        ("interpretation", "overdue"),
    ]
    assert "seeds 002 §二(十三), 004 §二(五)" in alerts[1].message
    assert "2026-02-14 24:00（北京时间）" in alerts[1].message  # the end of 调休 Sat 02-14


def test_a_document_filed_instead_of_published_is_not_watched(session: Session) -> None:
    document = signed_off(session, "majiang", "notice", SIGNED)
    document.status, document.stage = Status.FILED, Status.FILED.stage
    session.add(document)
    session.commit()
    assert check_twice(session, SIGNED + timedelta(hours=5)) == (0, 0)
