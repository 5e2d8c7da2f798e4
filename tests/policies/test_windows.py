"""Shares of windows in their own unit, alert thresholds, re-review and secrecy-expiry dates
(domain §10 rules 10, 12, 13, 16; §11 windows #1–#3, #17, #19)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from policies.calendar import (
    SHANGHAI,
    CalendarDay,
    CalendarSource,
    CalendarYear,
    DayKind,
    WorkingDayCalendar,
    end_of_day,
)
from policies.classification import Classification
from policies.deadlines import DeadlineKind, fraction_elapsed
from policies.profiles import get_profile
from policies.secrecy_levels import SecrecyLevel
from policies.windows import (
    OVERDUE,
    WindowUnit,
    periodic_rereview_due,
    secrecy_rereview_due,
    share_elapsed,
    threshold_label,
    thresholds_crossed,
    window_start,
    window_unit,
    working_days_elapsed,
)

CALENDAR = WorkingDayCalendar.from_package()
K = DeadlineKind
WD = WindowUnit.WORKING_DAYS
CLOCK = WindowUnit.CLOCK


def _at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("kind", "profile", "unit"),
    [
        pytest.param(
            K.PUBLICATION_LOCAL, "majiang", CLOCK, id="2 hours: clock (seed 000 §三(二十二))"
        ),
        pytest.param(
            K.PUBLICATION_CEILING, "national", WD, id="20 WD: working days (条例 art. 26)"
        ),
        pytest.param(
            K.INTERPRETATION,
            "wuming",
            WD,
            id="interpretation 3 WD (seeds 002 §二(十三), 004 §二(五))",
        ),
        pytest.param(
            K.INTERPRETATION, "majiang", CLOCK, id="interpretation together (seed 000 §三(十八))"
        ),
    ],
)
def test_each_watched_window_is_counted_in_its_own_unit(
    kind: DeadlineKind, profile: str, unit: WindowUnit
) -> None:
    assert window_unit(kind, get_profile(profile)) is unit


def test_an_unwatched_kind_has_no_window_unit() -> None:
    with pytest.raises(ValueError, match="not a watched"):
        window_unit(K.SECRET_REPORT, get_profile("national"))


@pytest.mark.parametrize(
    ("start", "as_of", "expected"),
    [
        pytest.param(_at(2026, 2, 11, 10), _at(2026, 2, 11, 23), 0.0, id="trigger day is day zero"),
        pytest.param(_at(2026, 2, 11, 10), _at(2026, 2, 12, 12), 0.5, id="Thu noon: half a day"),
        pytest.param(
            _at(2026, 2, 11, 10),
            _at(2026, 2, 15, 9),
            3.0,
            id="Sun 2026-02-15: Thu, Fri and 调休 Sat 2026-02-14 (放假办法 art. 7)",
        ),
        pytest.param(
            _at(2026, 2, 13, 10),
            _at(2026, 2, 24, 6),
            1.25,
            id="Spring Festival 2026-02-15..23 adds nothing (放假办法 art. 2)",
        ),
    ],
)
def test_working_days_elapsed_count_the_调休_calendar(
    start: datetime, as_of: datetime, expected: float
) -> None:
    assert working_days_elapsed(start, as_of, CALENDAR) == pytest.approx(expected)


def test_beyond_the_calendar_data_working_days_are_guessed_from_weekdays() -> None:
    # 2030 is not in chinesecalendar: Mon–Fri except fixed-date holidays (放假办法 art. 2).
    # Mon 29, Tue 30, (1–2 May 劳动节), Fri 3, Mon 6 → 4 by 00:00 Tue 2030-05-07.
    assert working_days_elapsed(_at(2030, 4, 26), _at(2030, 5, 7), CALENDAR) == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("start", "due", "as_of", "unit", "expected"),
    [
        pytest.param(
            _at(2026, 3, 2, 9),
            _at(2026, 3, 2, 11),
            _at(2026, 3, 2, 10),
            CLOCK,
            0.5,
            id="1 of 2 hours (seed 000 §三(二十二))",
        ),
        pytest.param(
            _at(2026, 3, 2, 9),
            _at(2026, 3, 2, 11),
            _at(2026, 3, 2, 8),
            CLOCK,
            0.0,
            id="before the start: nothing used",
        ),
        pytest.param(
            _at(2026, 3, 2, 9),
            _at(2026, 3, 2, 9),
            _at(2026, 3, 2, 9, 1),
            CLOCK,
            1.0,
            id="together: a zero-length window is spent at once (seed 000 §三(十八))",
        ),
        pytest.param(
            _at(2026, 2, 11, 10),
            _at(2026, 2, 15),
            _at(2026, 2, 14, 12),
            WD,
            2.5 / 3,
            id="3 WD from Wed 2026-02-11: Sat 2026-02-14 (调休) noon is 2.5 of 3 (seeds 002, 004)",
        ),
        pytest.param(
            _at(2026, 2, 13, 10),
            CALENDAR.deadline_end(date(2026, 2, 13), 20)[0],
            _at(2026, 2, 23, 12),
            WD,
            1 / 20,
            id="20 WD from Fri 2026-02-13: 调休 Sat 14 counts, Spring Festival not (条例 art. 26)",
        ),
    ],
)
def test_share_elapsed_is_measured_in_the_windows_unit(
    start: datetime, due: datetime, as_of: datetime, unit: WindowUnit, expected: float
) -> None:
    assert share_elapsed(start, due, as_of, unit, CALENDAR) == pytest.approx(expected)


def test_a_naive_clock_share_differs_from_the_working_day_share_across_the_spring_festival() -> (
    None
):
    # 条例 art. 26: 20 WD from Fri 2026-02-13 end on Mon 2026-03-23 (the holiday week is skipped).
    start, as_of = _at(2026, 2, 13, 10), _at(2026, 2, 24)
    due = CALENDAR.deadline_end(date(2026, 2, 13), 20)[0]
    assert due == _at(2026, 3, 20)  # end of Thu 2026-03-19
    working = share_elapsed(start, due, as_of, WD, CALENDAR)
    assert working == pytest.approx(1 / 20)  # only 调休 Sat 2026-02-14 was worked
    assert fraction_elapsed(start, due, as_of) > 0.25  # the old clock share says a quarter is used


def test_a_window_with_only_rest_days_is_spent_at_its_due_instant() -> None:
    # Hypothetical override: every day of the week rest (a jurisdiction's own closure).
    closure = CalendarYear(
        2026,
        tuple(CalendarDay(date(2026, 3, d), DayKind.HOLIDAY, "closure") for d in range(3, 6)),
        CalendarSource("test fixture", "TEST", date(2026, 1, 1)),
    )
    closed = WorkingDayCalendar.from_years([closure])
    start, due = _at(2026, 3, 2, 9), _at(2026, 3, 6)
    assert share_elapsed(start, due, _at(2026, 3, 5, 12), WD, closed) == 0.0
    assert share_elapsed(start, due, _at(2026, 3, 6, 0), WD, closed) == 1.0


@pytest.mark.parametrize(
    ("as_of", "shares", "expected"),
    [
        pytest.param(_at(2026, 2, 12, 9), (0.5,), (), id="Thu 09:00: under half of 3 WD"),
        pytest.param(_at(2026, 2, 13, 12), (0.5,), (0.5,), id="Fri noon: half of 3 WD (rule 13)"),
        pytest.param(
            _at(2026, 2, 15, 9),
            (0.5,),
            (0.5, OVERDUE),
            id="Sun 2026-02-15: overdue after 调休 Sat 14 (seeds 002 §二(十三), 004 §二(五))",
        ),
        pytest.param(
            _at(2026, 2, 13, 12), (0.5, 0.8, 1.0), (0.5,), id="configurable shares (rule 13 'e.g.')"
        ),
    ],
)
def test_thresholds_crossed_include_overdue_once_the_window_is_spent(
    as_of: datetime, shares: tuple[float, ...], expected: tuple[float, ...]
) -> None:
    start, due = _at(2026, 2, 11, 10), _at(2026, 2, 15)
    assert thresholds_crossed(start, due, as_of, WD, CALENDAR, shares) == expected


def test_a_naive_weekday_count_would_not_yet_call_it_overdue() -> None:
    # Mon–Fri only: Thu 12, Fri 13, Mon 16 → due at the end of Mon 2026-02-16, so at Sun 09:00
    # a naive count sees 2 of 3 days used; the 调休 calendar counts Sat 2026-02-14 and is spent.
    start, as_of = _at(2026, 2, 11, 10), _at(2026, 2, 15, 9)
    day, counted = start.date(), 0
    while counted < 3:
        day += timedelta(days=1)
        counted += day.weekday() < 5
    naive_due = end_of_day(day)
    assert naive_due == _at(2026, 2, 17)
    assert as_of < naive_due
    due = CALENDAR.deadline_end(start.date(), 3)[0]
    assert due == _at(2026, 2, 15)
    assert thresholds_crossed(start, due, as_of, WD, CALENDAR) == (0.5, OVERDUE)


@pytest.mark.parametrize("share", [0.0, 1.5, -0.1])
def test_a_share_outside_zero_to_one_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="alert share"):
        thresholds_crossed(
            _at(2026, 3, 2), _at(2026, 3, 3), _at(2026, 3, 2, 1), CLOCK, CALENDAR, (share,)
        )


@pytest.mark.parametrize(
    ("share", "label"),
    [(0.5, "50%"), (0.75, "75%"), (1.0, "overdue")],
    ids=["50%", "75%", "overdue"],
)
def test_thresholds_are_named_for_alerts(share: float, label: str) -> None:
    assert threshold_label(share) == label


def test_periodic_rereview_falls_due_one_profile_interval_after_the_last_review() -> None:
    # 条例 art. 18 定期评估审查: no national interval; national profile: 12 months (local choice).
    due = periodic_rereview_due(date(2025, 2, 28), get_profile("national"))
    assert due.due_at == _at(2026, 3, 1)
    assert due.cycle == "2026-02-28"
    assert "条例 art. 18" in due.source


@pytest.mark.parametrize(
    ("classification", "cycle"),
    [
        pytest.param(
            Classification(SecrecyLevel.SECRET, period_years=10),
            "2026-03-01",
            id="秘密★10年 from 2016-03-01 (保密法 2024 art. 20; 实施条例 2024 art. 19 ¶2)",
        ),
        pytest.param(
            Classification(SecrecyLevel.SECRET, period_years=10, declassify_on=date(2020, 6, 1)),
            "2020-06-01",
            id="解密时间 2020-06-01 comes first (保密法 2024 art. 20 ¶3)",
        ),
        pytest.param(
            Classification(SecrecyLevel.SECRET, declassify_condition="项目结束"),
            None,
            id="only a 解密条件: a person decides (保密法 2024 art. 24)",
        ),
    ],
)
def test_secrecy_rereview_falls_due_when_the_period_ends(
    classification: Classification, cycle: str | None
) -> None:
    due = secrecy_rereview_due(date(2016, 3, 1), classification)
    if cycle is None:
        assert due is None
        return
    assert due is not None
    assert due.cycle == cycle
    assert due.due_at == end_of_day(date.fromisoformat(cycle))
    assert "保密法 2024" in due.source


@pytest.mark.parametrize(
    ("kind", "profile", "trigger", "due"),
    [
        pytest.param(
            K.PUBLICATION_LOCAL,
            "majiang",
            _at(2026, 3, 2, 9),
            _at(2026, 3, 2, 11),
            id="2 hours back from the due instant (seed 000 §三(二十二))",
        ),
        pytest.param(
            K.INTERPRETATION,
            "majiang",
            _at(2026, 3, 2, 9),
            _at(2026, 3, 2, 9),
            id="together: opens at publication (seed 000 §三(十八))",
        ),
        pytest.param(
            K.INTERPRETATION,
            "wuming",
            _at(2026, 2, 11, 10),
            CALENDAR.deadline_end(date(2026, 2, 11), 3)[0],
            id="3 WD ending on 调休 Sat 2026-02-14 (seeds 002 §二(十三), 004 §二(五))",
        ),
        pytest.param(
            K.PUBLICATION_CEILING,
            "national",
            _at(2026, 2, 13, 10),
            CALENDAR.deadline_end(date(2026, 2, 13), 20)[0],
            id="20 WD across the Spring Festival (条例 art. 26)",
        ),
        pytest.param(
            K.PUBLICATION_CEILING,
            "national",
            _at(2026, 2, 15, 10),
            CALENDAR.deadline_end(date(2026, 2, 15), 20)[0],
            id="triggered on a holiday: the rest days before the first WD add nothing",
        ),
    ],
)
def test_the_window_start_recovered_from_the_due_instant_gives_the_same_shares(
    kind: DeadlineKind, profile: str, trigger: datetime, due: datetime
) -> None:
    p = get_profile(profile)
    start = window_start(kind, due, p, CALENDAR)
    unit = window_unit(kind, p)
    assert start <= due
    for hours in (1, 30, 50, 100, 300, 600):
        as_of = trigger + timedelta(hours=hours)
        expected = share_elapsed(trigger, due, as_of, unit, CALENDAR)
        assert share_elapsed(start, due, as_of, unit, CALENDAR) == pytest.approx(expected)


def test_a_local_window_needs_a_profile_that_has_one() -> None:
    with pytest.raises(ValueError, match="no local publication window"):
        window_start(K.PUBLICATION_LOCAL, _at(2026, 3, 2), get_profile("national"), CALENDAR)
