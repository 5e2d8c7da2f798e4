"""Checks on a year's arrangement as entered (放假办法 (2024) arts. 2, 6, 7; domain §8.1, §8.2):
every problem at once, each naming where it is and which field."""

from __future__ import annotations

from datetime import date

import pytest

from policies.calendar import CalendarDay, DayKind
from policies.calendar_years import EnteredDay, check_calendar_year

SOURCE = {
    "title": "国务院办公厅关于2027年部分节假日安排的通知",
    "number": "TEST",
    "issued_on": "2026-11-30",
}


def test_a_right_year_is_its_days_sorted_with_its_source() -> None:
    entries = [
        EnteredDay("line 6", "2027-01-02", "makeup", "调休上班"),
        EnteredDay("line 5", "2027-01-01", "holiday", "元旦"),
    ]
    year, findings = check_calendar_year(2027, entries, SOURCE)
    assert findings == []
    assert year is not None
    assert year.days == (
        CalendarDay(date(2027, 1, 1), DayKind.HOLIDAY, "元旦"),
        CalendarDay(date(2027, 1, 2), DayKind.MAKEUP, "调休上班"),
    )
    assert year.source.issued_on == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("entry", "field", "rule"),
    [
        pytest.param(
            ("2026-12-31", "holiday", "元旦"), "date", "calendar.date_year", id="other year"
        ),
        pytest.param(("2027-02-30", "holiday", "春节"), "date", "calendar.date", id="no such date"),
        pytest.param(("2027-01-01", "rest", "元旦"), "kind", "calendar.kind", id="unknown kind"),
        pytest.param(("2027-01-01", "holiday", " "), "name", "calendar.name", id="no name"),
        pytest.param(
            ("2027-01-04", "makeup", "调休"), "date", "calendar.makeup_weekday", id="make-up Monday"
        ),
    ],
)
def test_a_wrong_line_is_named_with_its_field(
    entry: tuple[str, str, str], field: str, rule: str
) -> None:
    year, findings = check_calendar_year(2027, [EnteredDay("line 9", *entry)], SOURCE)
    assert year is None
    assert [(f.rule, f.field) for f in findings] == [(rule, f"line 9: {field}")]
    assert findings[0].message.startswith("line 9: ")


def test_every_problem_is_found_at_once_including_the_source() -> None:
    entries = [
        EnteredDay("line 5", "2027-01-02", "holiday", "元旦"),
        EnteredDay("line 6", "2027-01-02", "makeup", "元旦"),
        EnteredDay("line 7", "2028-01-01", "holiday", "元旦"),
    ]
    _, findings = check_calendar_year(2027, entries, {"title": "x", "issued_on": "30 Nov"})
    assert [f.field for f in findings] == [
        "source.number",
        "source.issued_on",
        "line 6: date",
        "line 7: date",
    ]
    assert "conflicts with (holiday vs makeup) line 5" in findings[2].message


def test_a_year_with_no_dates_is_refused_as_empty() -> None:
    # 放假办法 (2024) art. 2: every year has its statutory holidays, so a notice without dates is
    # a file entered wrong, not a year without holidays.
    year, findings = check_calendar_year(2027, [], SOURCE)
    assert year is None
    assert [(f.rule, f.field) for f in findings] == [("calendar.empty", "days")]
