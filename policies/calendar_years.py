"""Checks on a year's holiday arrangement as an office enters it (domain §8.1, §8.2 pitfall 3).

The State Council publishes each year's 部分节假日安排 (国务院办公厅关于某年部分节假日安排的通知)
around November. An office enters it as a list of dates, each a holiday (rest day: 放假办法
art. 2, or a 调休 rest day, art. 7) or a make-up working day (调休上班, art. 7), with the notice's
title, 文号 and date. These rules find every problem at once and name the line and field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from policies.calendar import CalendarDay, CalendarSource, CalendarYear, DayKind
from policies.findings import Finding, Severity

SOURCE = "放假办法 (2024) arts. 2, 6, 7; 国务院办公厅 部分节假日安排 (domain §8.1, §8.2)"
SOURCE_FIELDS = ("title", "number", "issued_on")
_KINDS = ", ".join(k.value for k in DayKind)


@dataclass(frozen=True, slots=True)
class EnteredDay:
    """One entry of an import file as written: where it is (e.g. "line 5"), its three fields."""

    where: str
    day: str
    kind: str
    name: str


def _finding(rule: str, field: str, message: str) -> Finding:
    return Finding(rule, Severity.BLOCKING, message, SOURCE, field)


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def check_source(source: dict[str, str]) -> tuple[CalendarSource | None, list[Finding]]:
    """The notice's title, 文号 and date, each present (the date as YYYY-MM-DD)."""
    findings = [
        _finding(
            "calendar.source_missing",
            f"source.{name}",
            f"source field {name!r} is missing: give the notice's "
            + {
                "title": "title",
                "number": "文号 (e.g. 国办发明电〔2025〕x号)",
                "issued_on": "date",
            }[name],
        )
        for name in SOURCE_FIELDS
        if not source.get(name, "").strip()
    ]
    issued_on = _parse_date(source.get("issued_on", "") or "")
    if source.get("issued_on", "").strip() and issued_on is None:
        findings.append(
            _finding(
                "calendar.source_date",
                "source.issued_on",
                f"source field 'issued_on' {source['issued_on']!r} is not a date: write YYYY-MM-DD",
            )
        )
    if findings or issued_on is None:
        return None, findings
    return CalendarSource(source["title"].strip(), source["number"].strip(), issued_on), []


def check_day(year: int, entry: EnteredDay) -> tuple[CalendarDay | None, list[Finding]]:
    """One line: a date in the year, a known kind, a name; a make-up day on a weekend."""
    where = entry.where
    findings: list[Finding] = []
    day = _parse_date(entry.day)
    if day is None:
        findings.append(
            _finding(
                "calendar.date",
                f"{where}: date",
                f"{where}: date {entry.day!r} is not a date: write YYYY-MM-DD",
            )
        )
    elif day.year != year:
        findings.append(
            _finding(
                "calendar.date_year",
                f"{where}: date",
                f"{where}: date {day} is outside {year}: this file enters {year} only",
            )
        )
    kind = DayKind(entry.kind.strip()) if entry.kind.strip() in set(DayKind) else None
    if kind is None:
        findings.append(
            _finding(
                "calendar.kind",
                f"{where}: kind",
                f"{where}: kind {entry.kind!r} is unknown: write one of {_KINDS}",
            )
        )
    if not entry.name.strip():
        findings.append(
            _finding(
                "calendar.name",
                f"{where}: name",
                f"{where}: name is missing: write the holiday's name, e.g. 元旦 or 春节",
            )
        )
    if kind is DayKind.MAKEUP and day is not None and day.weekday() < 5:
        findings.append(
            _finding(
                "calendar.makeup_weekday",
                f"{where}: date",
                f"{where}: make-up working day {day} is a weekday: 调休上班 days are "
                "weekend days (放假办法 art. 7); a weekday is a working day already",
            )
        )
    if findings or day is None or kind is None:
        return None, findings
    return CalendarDay(day, kind, entry.name.strip()), []


def check_calendar_year(
    year: int, entries: Sequence[EnteredDay], source: dict[str, str]
) -> tuple[CalendarYear | None, list[Finding]]:
    """A year's arrangement if every line and source field is right; else every finding."""
    calendar_source, findings = check_source(source)
    days: list[CalendarDay] = []
    seen: dict[date, tuple[str, DayKind]] = {}
    for entry in entries:
        day, problems = check_day(year, entry)
        findings += problems
        if day is None:
            continue
        if day.day in seen:
            where, kind = seen[day.day]
            what = (
                "a duplicate of" if kind is day.kind else f"conflicts with ({kind} vs {day.kind})"
            )
            findings.append(
                _finding(
                    "calendar.duplicate",
                    f"{entry.where}: date",
                    f"{entry.where}: date {day.day} is {what} {where}: "
                    "a date is entered once, as a holiday or a make-up day",
                )
            )
            continue
        seen[day.day] = (entry.where, day.kind)
        days.append(day)
    if not entries:
        findings.append(
            _finding(
                "calendar.empty",
                "days",
                f"no dates given for {year}: enter the notice's holidays and make-up working days",
            )
        )
    if findings or calendar_source is None:
        return None, findings
    return CalendarYear(year, tuple(sorted(days, key=lambda d: d.day)), calendar_source), []
