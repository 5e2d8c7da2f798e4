"""Working days and clock windows (domain §8; 民法典 arts. 201, 203 by analogy)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from policies.calendar import (
    SHANGHAI,
    CalendarDay,
    CalendarSource,
    CalendarYear,
    DayKind,
    WorkingDayCalendar,
    add_clock_hours,
    calendar_for,
    deadline_text,
    end_of_day,
    local_date,
    next_year_warning,
    package_years,
    provisional_rule,
)
from policies.profiles import get_profile
from policies.units import ClockHours

CALENDAR = WorkingDayCalendar.from_package()
NO_MAKEUP = WorkingDayCalendar.from_package(count_makeup_days=False)
# A TEST FIXTURE, NOT the official 2027 arrangement (the 2027 notice is not in our sources):
# 元旦 Fri 2027-01-01 a holiday, Sat 2027-01-09 a hypothetical make-up working day.
FIXTURE_2027 = CalendarYear(
    2027,
    (
        CalendarDay(date(2027, 1, 1), DayKind.HOLIDAY, "元旦"),
        CalendarDay(date(2027, 1, 9), DayKind.MAKEUP, "hypothetical 调休 (test fixture)"),
    ),
    CalendarSource("test fixture, not an official notice", "TEST-2027", date(2026, 11, 30)),
)
WITH_2027 = WorkingDayCalendar.from_years([*package_years(), FIXTURE_2027])


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        pytest.param(
            date(2025, 9, 30),
            3,
            date(2025, 10, 11),
            id="Tue 2025-09-30 +3 WD → Sat 2025-10-11 (调休, 国庆)",
        ),
        pytest.param(
            date(2025, 10, 3),
            3,
            date(2025, 10, 11),
            id="start on holiday Fri 2025-10-03 +3 WD → Sat 2025-10-11",
        ),
        pytest.param(
            date(2025, 11, 22),
            3,
            date(2025, 11, 26),
            id="start on Sat 2025-11-22 +3 WD → Wed 2025-11-26, not Thu 11-27 (find_workday)",
        ),
        pytest.param(
            date(2026, 2, 12),
            3,
            date(2026, 2, 24),
            id="Thu 2026-02-12 +3 WD → Tue 2026-02-24 (春节: make-up Sat 02-14 counts)",
        ),
        pytest.param(
            date(2026, 2, 13),
            1,
            date(2026, 2, 14),
            id="Fri 2026-02-13 +1 WD → make-up Sat 2026-02-14",
        ),
        pytest.param(
            date(2026, 2, 14),
            1,
            date(2026, 2, 24),
            id="Sat 2026-02-14 +1 WD skips holiday Mon 2026-02-16 → Tue 02-24",
        ),
        pytest.param(
            date(2025, 9, 30), 0, date(2025, 9, 30), id="0 WD is the trigger day itself (day zero)"
        ),
        pytest.param(
            date(2025, 9, 26),
            20,
            date(2025, 10, 30),
            id="Fri 2025-09-26 +20 WD (条例 art. 26) → Thu 2025-10-30 (make-up Sun 09-28 counts)",
        ),
    ],
)
def test_add_working_days_counts_from_the_day_after_the_trigger(
    start: date, n: int, expected: date
) -> None:
    assert CALENDAR.add_working_days(start, n) == (expected, False)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        pytest.param(
            date(2025, 9, 30),
            3,
            date(2025, 10, 13),
            id="make-up days off: Tue 2025-09-30 +3 WD → Mon 2025-10-13",
        ),
        pytest.param(
            date(2026, 2, 12),
            3,
            date(2026, 2, 25),
            id="make-up days off: Thu 2026-02-12 +3 WD → Wed 2026-02-25",
        ),
    ],
)
def test_make_up_saturdays_do_not_count_when_the_profile_switches_them_off(
    start: date, n: int, expected: date
) -> None:
    assert NO_MAKEUP.add_working_days(start, n) == (expected, False)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param(date(2026, 2, 14), True, id="Sat 2026-02-14 is a 调休 make-up day"),
        pytest.param(date(2026, 2, 16), False, id="Mon 2026-02-16 is a 春节 holiday"),
        pytest.param(date(2025, 10, 8), False, id="Wed 2025-10-08 is an in-lieu rest day"),
        pytest.param(date(2025, 11, 22), False, id="Sat 2025-11-22 is a weekend"),
        pytest.param(date(2025, 11, 24), True, id="Mon 2025-11-24 is an ordinary working day"),
    ],
)
def test_a_loaded_year_follows_the_state_council_schedule(day: date, working: bool) -> None:
    assert CALENDAR.is_working(day) == (working, False)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(
            date(2025, 9, 30), date(2025, 10, 11), 3, id="age Tue 2025-09-30 → Sat 10-11 is 3 WD"
        ),
        pytest.param(
            date(2025, 11, 22), date(2025, 11, 26), 3, id="age Sat 2025-11-22 → Wed 11-26 is 3 WD"
        ),
        pytest.param(date(2025, 11, 26), date(2025, 11, 26), 0, id="same day is 0 WD"),
        pytest.param(date(2025, 11, 26), date(2025, 11, 20), 0, id="end before start is 0 WD"),
    ],
)
def test_working_days_between_counts_days_after_start_up_to_end(
    start: date, end: date, expected: int
) -> None:
    assert CALENDAR.working_days_between(start, end) == (expected, False)


def test_deadline_ends_at_midnight_shanghai_after_the_nth_working_day() -> None:
    due, provisional = CALENDAR.deadline_end(date(2025, 9, 30), 3)
    assert not provisional
    assert due == datetime(2025, 10, 12, 0, 0, tzinfo=SHANGHAI)
    assert due.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param(date(2027, 1, 1), False, id="Fri 2027-01-01 元旦 is a fixed-date holiday"),
        pytest.param(date(2027, 5, 3), True, id="Mon 2027-05-03 counts (劳动节 is 05-01..02)"),
        pytest.param(date(2027, 10, 1), False, id="Fri 2027-10-01 国庆 is a fixed-date holiday"),
        pytest.param(date(2027, 1, 9), False, id="Sat 2027-01-09 is a weekend (调休 unknown)"),
        pytest.param(date(2027, 1, 4), True, id="Mon 2027-01-04 is a weekday"),
    ],
)
def test_a_year_not_loaded_is_counted_provisionally_by_weekends_and_fixed_holidays(
    day: date, working: bool
) -> None:
    # domain §8.1 (放假办法 art. 2 fixed dates), §8.2 pitfall 3: flagged, never silent.
    assert provisional_rule(day) is working
    assert CALENDAR.is_working(day) == (working, True)


@pytest.mark.parametrize(
    ("start", "n", "expected", "provisional"),
    [
        pytest.param(
            date(2026, 12, 30),
            3,
            date(2027, 1, 5),
            True,
            id="Wed 2026-12-30 +3 WD → Tue 2027-01-05 provisional (元旦 skipped)",
        ),
        pytest.param(
            date(2026, 12, 21), 3, date(2026, 12, 24), False, id="within 2026 → not provisional"
        ),
        pytest.param(
            date(2026, 12, 28),
            3,
            date(2026, 12, 31),
            False,
            id="Mon 2026-12-28 +3 WD → Thu 2026-12-31, ends before 2027 → not provisional",
        ),
    ],
)
def test_a_count_into_a_year_not_loaded_is_marked_provisional(
    start: date, n: int, expected: date, provisional: bool
) -> None:
    assert CALENDAR.add_working_days(start, n) == (expected, provisional)
    assert CALENDAR.deadline_end(start, n) == (end_of_day(expected), provisional)


def test_an_age_into_a_year_not_loaded_is_provisional_and_skips_元旦_2027() -> None:
    # Waiting since Mon 2026-12-28: 12-31 is age 3, 01-01 元旦 adds nothing, 01-04 is age 4.
    ages = [CALENDAR.working_days_between(date(2026, 12, 28), date(2027, 1, d)) for d in (1, 4)]
    assert ages == [(3, True), (4, True)]
    assert CALENDAR.working_days_between(date(2026, 12, 28), date(2026, 12, 31)) == (3, False)


def test_a_loaded_2027_fixture_makes_counts_final_and_its_make_up_day_counts() -> None:
    # FIXTURE_2027 is a test fixture, not the official schedule (see above).
    assert WITH_2027.covers(2027)
    assert WITH_2027.is_working(date(2027, 1, 1)) == (False, False)
    assert WITH_2027.is_working(date(2027, 1, 9)) == (True, False)
    assert WITH_2027.add_working_days(date(2026, 12, 31), 1) == (date(2027, 1, 4), False)
    # Fri 01-08 +1 WD is the make-up Sat 01-09; provisionally it would be Mon 01-11.
    assert WITH_2027.add_working_days(date(2027, 1, 8), 1) == (date(2027, 1, 9), False)
    assert CALENDAR.add_working_days(date(2027, 1, 8), 1) == (date(2027, 1, 11), True)


def test_the_package_seeds_every_year_it_transcribes_with_its_source() -> None:
    years = package_years()
    assert [y.year for y in years] == list(range(2004, 2027))
    year_2026 = years[-1]
    assert CalendarDay(date(2026, 2, 14), DayKind.MAKEUP, "Spring Festival") in year_2026.days
    assert year_2026.source.number.startswith("chinesecalendar ")


def test_negative_working_days_are_a_bug() -> None:
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.add_working_days(date(2025, 9, 30), -1)


@pytest.mark.parametrize(
    ("moment", "hours", "expected"),
    [
        pytest.param(
            datetime(2025, 9, 30, 23, 0, tzinfo=SHANGHAI),
            2,
            datetime(2025, 10, 1, 1, 0, tzinfo=SHANGHAI),
            id="2 clock hours cross midnight into 国庆 (seed 000 §三(二十二))",
        ),
        pytest.param(
            datetime(2025, 11, 22, 10, 0, tzinfo=UTC),
            2,
            datetime(2025, 11, 22, 20, 0, tzinfo=SHANGHAI),
            id="UTC input, 2 clock hours on a Saturday",
        ),
    ],
)
def test_clock_hours_are_elapsed_time_ignoring_the_calendar(
    moment: datetime, hours: int, expected: datetime
) -> None:
    assert add_clock_hours(moment, ClockHours(hours)) == expected


def test_naive_datetimes_are_refused_as_bugs() -> None:
    naive = datetime(2025, 9, 30, 9, 0)  # noqa: DTZ001 - the bug under test
    with pytest.raises(ValueError, match="naive"):
        add_clock_hours(naive, ClockHours(2))
    with pytest.raises(ValueError, match="naive"):
        local_date(naive)


def test_local_date_is_the_shanghai_date_of_an_instant() -> None:
    assert local_date(datetime(2025, 9, 30, 17, 0, tzinfo=UTC)) == date(2025, 10, 1)


@pytest.mark.parametrize(
    ("count_makeup_days", "expected"),
    [
        pytest.param(
            True,
            date(2025, 10, 11),
            id="profile counts 调休 days (default, domain §8.1) → Sat 2025-10-11",
        ),
        pytest.param(False, date(2025, 10, 13), id="profile ignores 调休 days → Mon 2025-10-13"),
    ],
)
def test_the_profile_chooses_whether_make_up_days_count(
    count_makeup_days: bool, expected: date
) -> None:
    profile = replace(get_profile("national"), makeup_days_count=count_makeup_days)
    calendar = calendar_for(profile, package_years())
    assert calendar.add_working_days(date(2025, 9, 30), 3) == (expected, False)


@pytest.mark.parametrize(
    ("today", "loaded", "missing"),
    [
        pytest.param(date(2026, 10, 31), range(2004, 2027), None, id="31 Oct 2026: no warning yet"),
        pytest.param(date(2026, 11, 1), range(2004, 2027), 2027, id="1 Nov 2026: 2027 missing"),
        pytest.param(date(2026, 12, 6), range(2004, 2028), None, id="2027 loaded: no warning"),
        pytest.param(date(2027, 1, 5), range(2004, 2027), 2027, id="in 2027 without 2027: warn"),
    ],
)
def test_the_office_is_warned_from_1_november_while_next_year_is_not_loaded(
    today: date, loaded: range, missing: int | None
) -> None:
    # domain §8.2 pitfall 3: the notice comes around November; the setting's default is 11-01.
    warning = next_year_warning(today, loaded, "11-01")
    if missing is None:
        assert warning is None
    else:
        assert warning is not None
        assert warning.startswith(f"{missing} 年节假日安排尚未录入")
        assert f"/office/calendar/{missing}" in warning


def test_a_deadline_reads_as_beijing_date_and_time_with_its_provisional_mark() -> None:
    end_of_jan_4 = datetime(2027, 1, 5, tzinfo=SHANGHAI)
    assert deadline_text(end_of_jan_4, provisional=True) == "2027-01-04 24:00（北京时间）（暂定）"
    two_hours = datetime(2026, 12, 6, 6, 35, tzinfo=UTC)
    assert deadline_text(two_hours, provisional=False) == "2026-12-06 14:35（北京时间）"
