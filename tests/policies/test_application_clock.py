"""The application clock (domain §10 rule 20; §11 windows #5–#9; 条例 arts. 30–34)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from policies.application_clock import (
    ClockEvent,
    ClockEventKind,
    ClockState,
    ConsultedParty,
    application_deadlines,
    check_event,
    consultation_due,
    reply_clock,
    supplement_notice_due,
)
from policies.calendar import SHANGHAI, WorkingDayCalendar
from policies.deadlines import DeadlineKind

CALENDAR = WorkingDayCalendar.from_package()
K = ClockEventKind
RECEIVED = ClockEvent(K.RECEIVED, date(2026, 9, 25))


def test_reply_due_counts_across_national_day_2026_and_its_makeup_saturday_条例_art_33() -> None:
    """Received Fri 2026-09-25 (中秋, a rest day: day zero all the same). Working days, by hand
    from the 2026 arrangement: 1 Mon 09-28, 2 Tue 09-29, 3 Wed 09-30; 国庆 10-01…10-07 rest;
    4 Thu 10-08, 5 Fri 10-09, 6 Sat 10-10 (调休上班), 7 Mon 10-12, 8 10-13, 9 10-14, 10 10-15,
    11 10-16, 12 Mon 10-19, 13 10-20, 14 10-21, 15 10-22, 16 10-23, 17 Mon 10-26, 18 10-27,
    19 10-28, 20 Thu 10-29: due at 24:00 of Thu 2026-10-29."""
    clock = reply_clock(CALENDAR, [RECEIVED], date(2026, 9, 25))
    assert clock.reply_due_on == date(2026, 10, 29)
    assert clock.reply_due_at == datetime(2026, 10, 30, tzinfo=SHANGHAI)
    assert clock.state is ClockState.RUNNING
    assert not clock.provisional


def test_supplement_notice_is_due_within_7_working_days_条例_art_30() -> None:
    # 1 09-28, 2 09-29, 3 09-30, 4 10-08, 5 10-09, 6 Sat 10-10 (调休), 7 Mon 10-12
    assert supplement_notice_due(CALENDAR, date(2026, 9, 25)) == date(2026, 10, 12)


def test_a_supplement_restarts_the_clock_条例_art_30() -> None:
    asked = ClockEvent(K.SUPPLEMENT_REQUESTED, date(2026, 10, 9), until=date(2026, 10, 23))
    waiting = reply_clock(CALENDAR, [RECEIVED, asked], date(2026, 10, 12))
    assert waiting.state is ClockState.AWAITING_SUPPLEMENT
    assert waiting.reply_due_on is None
    supplied = ClockEvent(K.SUPPLEMENT_RECEIVED, date(2026, 10, 16))
    clock = reply_clock(CALENDAR, [RECEIVED, asked, supplied], date(2026, 10, 16))
    assert clock.counted_from == date(2026, 10, 16)
    # 20 WD after Fri 10-16: 10-19…10-23 (5), 10-26…10-30 (10), 11-02…11-06 (15), 11-13 (20)
    assert clock.reply_due_on == date(2026, 11, 13)
    assert clock.state is ClockState.RUNNING


def test_no_supplement_by_the_stated_time_abandons_the_application_条例_art_30() -> None:
    asked = ClockEvent(K.SUPPLEMENT_REQUESTED, date(2026, 10, 9), until=date(2026, 10, 23))
    assert reply_clock(CALENDAR, [RECEIVED, asked], date(2026, 10, 23)).state is (
        ClockState.AWAITING_SUPPLEMENT
    )
    assert reply_clock(CALENDAR, [RECEIVED, asked], date(2026, 10, 24)).state is (
        ClockState.ABANDONED
    )


def test_a_6_working_day_consultation_pauses_the_clock_by_exactly_6_days_条例_art_33_3() -> None:
    asked = ClockEvent(
        K.CONSULTATION_REQUESTED,
        date(2026, 10, 12),
        party=ConsultedParty.THIRD_PARTY,
        consultation="c1",
    )
    # 6 WD after Mon 10-12: 10-13, 10-14, 10-15, 10-16, 10-19, 10-20
    answered = ClockEvent(K.CONSULTATION_ANSWERED, date(2026, 10, 20), consultation="c1")
    paused = reply_clock(CALENDAR, [RECEIVED, asked], date(2026, 10, 13))
    assert paused.state is ClockState.PAUSED
    clock = reply_clock(CALENDAR, [RECEIVED, asked, answered], date(2026, 10, 20))
    assert clock.paused_days == 6
    # 20 + 6 WD from 09-25: 20th is 10-29, then 10-30, 11-02, 11-03, 11-04, 11-05, 11-06
    assert clock.reply_due_on == date(2026, 11, 6)
    assert CALENDAR.working_days_between(date(2026, 10, 29), clock.reply_due_on).days == 6


def test_an_agencys_silence_pauses_at_most_its_15_working_days_条例_art_34() -> None:
    asked = ClockEvent(
        K.CONSULTATION_REQUESTED,
        date(2026, 10, 12),
        party=ConsultedParty.AGENCY,
        consultation="a",
    )
    late = ClockEvent(K.CONSULTATION_ANSWERED, date(2026, 12, 1), consultation="a")
    open_ = reply_clock(CALENDAR, [RECEIVED, asked], date(2026, 10, 13))
    closed = reply_clock(CALENDAR, [RECEIVED, asked, late], date(2026, 12, 1))
    assert open_.paused_days == closed.paused_days == 15
    assert consultation_due(CALENDAR, date(2026, 10, 12)) == date(2026, 11, 2)


def test_one_extension_with_the_heads_approval_moves_the_reply_条例_art_33_2() -> None:
    extended = ClockEvent(K.EXTENDED, date(2026, 10, 28), days=20, approved_by_head=True)
    assert check_event([RECEIVED], extended) == []
    clock = reply_clock(CALENDAR, [RECEIVED, extended], date(2026, 10, 28))
    assert clock.extension_days == 20
    assert CALENDAR.working_days_between(date(2026, 10, 29), clock.reply_due_on).days == 20  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("event", "rule"),
    [
        pytest.param(
            ClockEvent(K.EXTENDED, date(2026, 10, 28), days=20, approved_by_head=False),
            "application.extension.approval",
            id="extension without the head's approval refused (条例 art. 33 ¶2)",
        ),
        pytest.param(
            ClockEvent(K.EXTENDED, date(2026, 10, 28), days=21, approved_by_head=True),
            "application.extension.days",
            id="extension over 20 WD refused (条例 art. 33 ¶2)",
        ),
        pytest.param(
            ClockEvent(K.SUPPLEMENT_RECEIVED, date(2026, 10, 28)),
            "application.supplement.none",
            id="supplement without a notice refused (条例 art. 30)",
        ),
        pytest.param(
            ClockEvent(K.SUPPLEMENT_REQUESTED, date(2026, 10, 9)),
            "application.supplement.until",
            id="补正 notice without a stated time refused (条例 art. 30)",
        ),
        pytest.param(
            ClockEvent(K.CONSULTATION_ANSWERED, date(2026, 10, 9), consultation="x"),
            "application.consultation.unknown",
            id="answer to no consultation refused (条例 arts. 32, 34)",
        ),
        pytest.param(
            ClockEvent(K.CONSULTATION_REQUESTED, date(2026, 10, 9), consultation="x"),
            "application.consultation.party",
            id="consultation without a party refused (条例 arts. 32, 34)",
        ),
        pytest.param(
            ClockEvent(K.REPLIED, date(2026, 9, 1)),
            "application.order",
            id="event before the last one refused (条例 art. 33)",
        ),
    ],
)
def test_a_clock_event_against_the_law_is_refused_with_its_rule(
    event: ClockEvent, rule: str
) -> None:
    assert rule in {f.rule for f in check_event([RECEIVED], event)}


def test_a_second_extension_is_refused_条例_art_33_2() -> None:
    first = ClockEvent(K.EXTENDED, date(2026, 10, 28), days=5, approved_by_head=True)
    second = ClockEvent(K.EXTENDED, date(2026, 10, 29), days=5, approved_by_head=True)
    assert [f.rule for f in check_event([RECEIVED, first], second)] == [
        "application.extension.once"
    ]


def test_a_second_supplement_notice_is_refused_条例_art_30() -> None:
    asked = ClockEvent(K.SUPPLEMENT_REQUESTED, date(2026, 10, 9), until=date(2026, 10, 23))
    supplied = ClockEvent(K.SUPPLEMENT_RECEIVED, date(2026, 10, 16))
    again = ClockEvent(K.SUPPLEMENT_REQUESTED, date(2026, 10, 19), until=date(2026, 10, 30))
    assert [f.rule for f in check_event([RECEIVED, asked, supplied], again)] == [
        "application.supplement.once"
    ]


def test_nothing_moves_the_clock_after_the_reply_条例_art_33() -> None:
    replied = ClockEvent(K.REPLIED, date(2026, 10, 20))
    later = ClockEvent(K.EXTENDED, date(2026, 10, 21), days=5, approved_by_head=True)
    assert [f.rule for f in check_event([RECEIVED, replied], later)] == ["application.replied"]
    assert reply_clock(CALENDAR, [RECEIVED, replied], date(2026, 10, 20)).state is (
        ClockState.REPLIED
    )


def test_the_clock_needs_a_receipt_条例_art_31() -> None:
    with pytest.raises(ValueError, match=r"art\. 31"):
        reply_clock(CALENDAR, [], date(2026, 10, 1))


def test_deadlines_stored_are_the_notice_and_the_reply_条例_arts_30_33() -> None:
    clock = reply_clock(CALENDAR, [RECEIVED], date(2026, 9, 25))
    notice, reply = application_deadlines(clock)
    assert notice.kind is DeadlineKind.APPLICATION_SUPPLEMENT
    assert notice.due_at == datetime(2026, 10, 13, tzinfo=SHANGHAI)
    assert reply.kind is DeadlineKind.APPLICATION_REPLY
    assert (reply.counted_from, reply.working_days) == (date(2026, 9, 25), 20)
    asked = ClockEvent(K.SUPPLEMENT_REQUESTED, date(2026, 10, 9), until=date(2026, 10, 23))
    waiting = reply_clock(CALENDAR, [RECEIVED, asked], date(2026, 10, 9))
    assert [d.kind for d in application_deadlines(waiting)] == [DeadlineKind.APPLICATION_SUPPLEMENT]
