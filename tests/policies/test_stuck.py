"""Stuck documents: age in a stage, near/overdue, and the entry-time cutoffs the monitor queries
with (local stage allowances, profiles.py, domain §5.1, §9.8; working days per domain §8.1,
民法典 arts. 201, 203 by analogy; hour allowances elapsed clock time, 民法典 art. 201 ¶2)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

import pytest

from policies.calendar import SHANGHAI, WorkingDayCalendar
from policies.deadlines import stage_deadline
from policies.profiles import NATIONAL
from policies.statuses import Status
from policies.stuck import (
    DEFAULT_NEAR_SHARE,
    StuckLevel,
    age_in_hours,
    age_in_working_days,
    ages_in_working_days,
    allowance_due,
    check_near_share,
    near_before,
    overdue_before,
    stuck_level,
)
from policies.units import ClockHours, WorkingDays

CALENDAR = WorkingDayCalendar.from_package()
SEVEN = WorkingDays(7)  # local secrecy-review allowance (profiles.py, domain §5.1 [R])
TWO_HOURS = ClockHours(2)


def _at(m: int, d: int, hh: int = 0, mm: int = 0, y: int = 2026) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def test_secrecy_allowance_across_national_day_2026() -> None:
    # 2026 调休 (国办 notice, chinesecalendar 1.11): 10-01..10-07 rest, Sat 10-10 worked.
    # Entered Tue 09-29 → 7 WD: 09-30, 10-08, 10-09, 10-10 (Sat, make-up), 10-12, 10-13, 10-14;
    # due at the end of Wed 10-14 (= 10-15 00:00 Shanghai).
    entered = _at(9, 29, 10)
    due, provisional = allowance_due(entered, SEVEN, CALENDAR)
    assert due == _at(10, 15)
    assert not provisional
    assert stage_deadline(Status.SECRECY_REVIEW, entered, NATIONAL, CALENDAR).due_at == due
    # Fri 10-16 10:00: age = 09-30, 10-08, 10-09, 10-10, 10-12 .. 10-16 = 9 working days.
    as_of = _at(10, 16, 10)
    assert age_in_working_days(entered, as_of, CALENDAR) == (9, False)
    level = stuck_level(entered, due, as_of, DEFAULT_NEAR_SHARE, SEVEN, CALENDAR)
    assert level is StuckLevel.OVERDUE
    # At 23:59 on the 7th working day it is not yet overdue (民法典 art. 203: ends at 24:00).
    assert stuck_level(entered, due, _at(10, 14, 23, 59), 0.8, SEVEN, CALENDAR) is StuckLevel.NEAR
    assert age_in_working_days(entered, _at(10, 14, 23, 59), CALENDAR) == (7, False)


def test_makeup_day_not_counted_when_the_profile_says_so() -> None:
    # domain §8.1 [U]: the 调休 switch. Without Sat 10-10 the 7th WD is Thu 10-15.
    strict = WorkingDayCalendar.from_package(count_makeup_days=False)
    assert allowance_due(_at(9, 29, 10), SEVEN, strict)[0] == _at(10, 16)
    assert age_in_working_days(_at(9, 29, 10), _at(10, 16, 10), strict) == (8, False)


def test_near_is_counted_in_working_days() -> None:
    # Entered Tue 09-29, 7 WD (due 10-14 24:00). On Sun 10-11 10:00 only 09-30, 10-08, 10-09 and
    # Sat 10-10 are used: 4 of 7 = 57 %, though 77 % of the clock time has passed. 80 % = 5.6 WD
    # is reached on Tue 10-13 at 14:24 (09-30, 10-08, 10-09, 10-10, 10-12 + 0.6 of 10-13).
    entered = _at(9, 29, 10)
    due, _ = allowance_due(entered, SEVEN, CALENDAR)
    assert stuck_level(entered, due, _at(10, 11, 10), 0.8, SEVEN, CALENDAR) is None
    assert stuck_level(entered, due, _at(10, 13, 14, 0), 0.8, SEVEN, CALENDAR) is None
    assert stuck_level(entered, due, _at(10, 13, 14, 30), 0.8, SEVEN, CALENDAR) is StuckLevel.NEAR
    assert near_before(_at(10, 13, 14, 30), SEVEN, CALENDAR, 0.8) == _at(9, 30)


def test_a_document_inside_its_allowance_is_not_stuck() -> None:
    entered = _at(10, 9, 10)  # due end of Mon 10-19 (10-10, 12, 13, 14, 15, 16, 19)
    due, _ = allowance_due(entered, SEVEN, CALENDAR)
    assert due == _at(10, 20)
    assert stuck_level(entered, due, _at(10, 16, 10), 0.8, SEVEN, CALENDAR) is None
    assert age_in_working_days(entered, _at(10, 16, 10), CALENDAR) == (6, False)


def test_ages_of_many_entries_match_one_by_one() -> None:
    # One walk over the calendar gives the same ages as age_in_working_days (domain §8.1).
    as_of = _at(10, 16, 10)
    entries = [_at(9, 29, 10), _at(10, 9, 23), _at(10, 1, 0), _at(10, 16, 9), _at(10, 20, 9)]
    expected = [age_in_working_days(e, as_of, CALENDAR) for e in entries]
    assert ages_in_working_days(entries, as_of, CALENDAR) == expected
    assert [age.days for age in expected[:4]] == [9, 6, 8, 0]  # 调休 Sat 10-10 worked
    assert expected[4] == (0, False)  # entered after as_of: no age yet
    assert ages_in_working_days([], as_of, CALENDAR) == []


def test_hour_allowances_are_clock_time() -> None:
    # 民法典 art. 201 ¶2: periods in hours run from the stated time.
    entered = _at(10, 1, 9)  # a holiday: clock hours ignore the calendar
    due, provisional = allowance_due(entered, TWO_HOURS, CALENDAR)
    assert due == _at(10, 1, 11)
    assert not provisional
    levels = [
        stuck_level(entered, due, _at(10, 1, hh, mm), 0.7, TWO_HOURS, CALENDAR)
        for hh, mm in ((10, 0), (10, 30), (11, 1))
    ]
    assert levels == [None, StuckLevel.NEAR, StuckLevel.OVERDUE]
    assert age_in_hours(entered, _at(10, 1, 10, 30)) == 1.5
    assert age_in_hours(entered, _at(10, 1, 8)) == 0.0


def test_age_beyond_the_loaded_years_is_provisional() -> None:
    # Beyond the loaded years: the provisional rule, and flagged (domain §8.2 pit. 3).
    entered = datetime(2030, 3, 1, 10, tzinfo=SHANGHAI)  # Friday
    as_of = datetime(2030, 3, 8, 10, tzinfo=SHANGHAI)
    assert age_in_working_days(entered, as_of, CALENDAR) == (5, True)
    assert allowance_due(entered, SEVEN, CALENDAR)[1] is True


@pytest.mark.parametrize("share", [0, 1, -0.1, 1.5])
def test_near_share_must_lie_between_0_and_1(share: float) -> None:
    with pytest.raises(ValueError, match="near share must be above 0 and below 1"):
        check_near_share(share)
    with pytest.raises(ValueError, match="near share"):
        near_before(_at(10, 16), SEVEN, CALENDAR, share)


def test_overdue_cutoff_across_national_day() -> None:
    # At Fri 10-16 10:00 a 7 WD allowance is overdue for entries up to Wed 10-07: entries on
    # 09-30 .. 10-07 (holidays) all count from 10-08 and are due at the end of Thu 10-15; an entry
    # on Thu 10-08 is due at the end of Fri 10-16, not yet passed.
    assert overdue_before(_at(10, 16, 10), SEVEN, CALENDAR) == _at(10, 8)
    assert overdue_before(_at(10, 16, 10), ClockHours(2), CALENDAR) == _at(10, 16, 8)


def test_near_cutoff_on_clock_hours() -> None:
    cutoff = near_before(_at(10, 16, 10), ClockHours(10), CALENDAR, 0.5)
    assert cutoff == _at(10, 16, 5) + timedelta(microseconds=1)


@pytest.mark.parametrize("allowance", [SEVEN, WorkingDays(3), WorkingDays(0), ClockHours(48)])
@pytest.mark.parametrize("share", [0.5, 0.8, 0.95])
def test_cutoffs_agree_with_the_per_document_test(
    allowance: WorkingDays | ClockHours, share: float
) -> None:
    """entered < cutoff ⇔ level, for entries around the 2026 National Day and Spring Festival."""
    rng = random.Random(20261001)
    for as_of in (_at(10, 16, 10), _at(10, 8, 0), _at(2, 24, 15, 30), _at(10, 4, 12)):
        overdue_cut = overdue_before(as_of, allowance, CALENDAR)
        near_cut = near_before(as_of, allowance, CALENDAR, share)
        assert overdue_cut <= near_cut <= as_of + timedelta(microseconds=1)
        for _ in range(400):
            entered = as_of - timedelta(seconds=rng.randint(0, 30 * 24 * 3600))
            if min(abs(entered - overdue_cut), abs(entered - near_cut)) < timedelta(seconds=1):
                continue  # float rounding at the exact boundary instant
            due, _ = allowance_due(entered, allowance, CALENDAR)
            level = stuck_level(entered, due, as_of, share, allowance, CALENDAR)
            assert (entered < overdue_cut) == (level is StuckLevel.OVERDUE), entered
            assert (entered < near_cut) == (level is not None), entered


def test_issue_20_stuck_ages_skip_元旦_2027_provisionally_as_the_deadlines_do() -> None:
    # Issue 20: waiting since Mon 2026-12-28, ages 3 → 3 → 4 across 12-31, 01-01 (元旦), 01-04,
    # all but the first provisional; the same single working-day test as the deadlines.
    entered = datetime(2026, 12, 28, 10, tzinfo=SHANGHAI)
    ages = [
        age_in_working_days(entered, datetime(y, m, d, 12, tzinfo=SHANGHAI), CALENDAR)
        for y, m, d in ((2026, 12, 31), (2027, 1, 1), (2027, 1, 4))
    ]
    assert ages == [(3, False), (3, True), (4, True)]
    as_of = datetime(2027, 1, 4, 12, tzinfo=SHANGHAI)
    assert ages_in_working_days([entered], as_of, CALENDAR) == [ages[-1]]
    due, provisional = allowance_due(entered, WorkingDays(4), CALENDAR)
    assert (due, provisional) == (datetime(2027, 1, 5, tzinfo=SHANGHAI), True)


def test_issue_20_stuck_ages_and_window_shares_agree_on_every_day_across_2026_2027() -> None:
    # One working-day test (policies.calendar.WorkingDayCalendar.is_working) behind both: the
    # age at the end of a day equals the working days the window measure counts by then, and
    # it is provisional exactly when it counted a day of 2027 (not loaded).
    from policies.windows import working_days_elapsed

    first = datetime(2026, 12, 20, 10, tzinfo=SHANGHAI)
    for offset in range(25):
        entered = first + timedelta(days=offset)
        for later in range(20):
            last = entered.date() + timedelta(days=later)
            next_midnight = datetime.combine(last + timedelta(days=1), time(0), tzinfo=SHANGHAI)
            age = age_in_working_days(entered, next_midnight - timedelta(microseconds=1), CALENDAR)
            assert age.days == working_days_elapsed(entered, next_midnight, CALENDAR)
            assert age.provisional is (later > 0 and last.year == 2027)
