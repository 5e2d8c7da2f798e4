"""The working-day calendar (工作日) and clock windows (domain §8).

Working day: Mon–Fri, minus statutory holidays and rest days of the annual 调休 schedule, plus
weekend days designated 调休上班 when the profile counts them (domain §8.1, default ON [U]).
Counting convention (民法典 arts. 201, 203, by analogy): the trigger day is day zero; the deadline
is the end (24:00 Asia/Shanghai) of the Nth working day strictly after the trigger date. Hour
windows are elapsed clock time. `chinese_calendar.find_workday` is not used: it is off by one when
the start is not a working day (domain §8.2 pitfall 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as _package_data

from policies.profiles import PolicyProfile
from policies.units import ClockHours

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 全国年节及纪念日放假办法 (2024) art. 2: the holidays with fixed Gregorian dates (元旦 1 Jan,
# 劳动节 1–2 May, 国庆节 1–3 Oct); the only holidays a provisional count can know in advance.
FIXED_DATE_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})
_ONE_DAY = timedelta(days=1)


class DayKind(StrEnum):
    """What a calendar day is for deadline counting."""

    WORKING = "working"
    REST = "rest"  # weekend, statutory holiday (放假办法 art. 2) or rest day of the 调休 schedule
    MAKEUP = "makeup"  # weekend day worked under 调休 (放假办法 art. 7); counts if the profile says


@dataclass(frozen=True, slots=True)
class DayOverride:
    """A correction to the package data for one day, with the notice it rests on."""

    day: date
    kind: DayKind
    note: str  # e.g. "国办发明电〔2026〕x号" or why the package is wrong


class CalendarYearNotCovered(LookupError):
    """The holiday data do not cover a year a count needs; deadlines there would be guesses."""

    def __init__(self, year: int, first: int, last: int, data_version: str) -> None:
        super().__init__(
            f"工作日历未覆盖 {year} 年 (working-day calendar has no data for {year}): "
            f"chinesecalendar {data_version} covers {first}–{last}. Upgrade chinesecalendar after "
            f"国务院办公厅 publishes the {year} 部分节假日安排, or enter that year's holidays and "
            f"调休 days as DayOverride entries and list {year} in added_years."
        )
        self.year = year


@dataclass(frozen=True, slots=True)
class WorkingDayCalendar:
    """An immutable working-day calendar: package data, overrides, and the 调休 switch."""

    rest_days: frozenset[date]
    makeup_days: frozenset[date]
    first_year: int
    last_year: int
    data_version: str
    overrides: tuple[DayOverride, ...] = ()
    added_years: frozenset[int] = frozenset()  # years fully described by the overrides
    count_makeup_days: bool = True
    _by_day: dict[date, DayOverride] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_day", {o.day: o for o in self.overrides})

    @classmethod
    def from_package(
        cls,
        *,
        overrides: Iterable[DayOverride] = (),
        added_years: Iterable[int] = (),
        count_makeup_days: bool = True,
    ) -> WorkingDayCalendar:
        """Build the calendar from the chinesecalendar data plus overrides."""
        rest: frozenset[date] = frozenset(_package_data.holidays)
        years = [d.year for d in rest]
        return cls(
            rest_days=rest,
            makeup_days=frozenset(_package_data.workdays),
            first_year=min(years),
            last_year=max(years),
            data_version=str(chinese_calendar.__version__),
            overrides=tuple(overrides),
            added_years=frozenset(added_years),
            count_makeup_days=count_makeup_days,
        )

    def covers(self, year: int) -> bool:
        """Whether the calendar knows the holiday schedule of year."""
        return self.first_year <= year <= self.last_year or year in self.added_years

    def day_kind(self, day: date) -> DayKind:
        """What day is: an override wins, then the package data, then the weekday."""
        override = self._by_day.get(day)
        if override is not None:
            return override.kind
        if not self.covers(day.year):
            raise CalendarYearNotCovered(
                day.year, self.first_year, self.last_year, self.data_version
            )
        if day in self.makeup_days:
            return DayKind.MAKEUP
        if day in self.rest_days or day.weekday() >= 5:
            return DayKind.REST
        return DayKind.WORKING

    def is_working_day(self, day: date) -> bool:
        """Whether day is a 工作日 (make-up weekend days only if the profile counts them)."""
        kind = self.day_kind(day)
        return kind is DayKind.WORKING or (kind is DayKind.MAKEUP and self.count_makeup_days)

    def _is_working_provisional(self, day: date) -> tuple[bool, bool]:
        try:
            return self.is_working_day(day), False
        except CalendarYearNotCovered:
            # Beyond the data: weekends and fixed-date holidays only; 调休 is unknown.
            guess = day.weekday() < 5 and (day.month, day.day) not in FIXED_DATE_HOLIDAYS
            return guess, True

    def add_working_days(self, start: date, n: int) -> date:
        """The Nth working day strictly after start (start is day zero; 民法典 art. 201)."""
        return self._add(start, n, allow_provisional=False)[0]

    def add_working_days_provisional(self, start: date, n: int) -> tuple[date, bool]:
        """As add_working_days; beyond the data, guess from weekends and fixed-date holidays and
        say so (provisional)."""
        return self._add(start, n, allow_provisional=True)

    def _add(self, start: date, n: int, *, allow_provisional: bool) -> tuple[date, bool]:
        if n < 0:
            raise ValueError(f"cannot count a negative number of working days: {n}")
        day, counted, provisional = start, 0, False
        while counted < n:
            day += _ONE_DAY
            if allow_provisional:
                working, guessed = self._is_working_provisional(day)
                provisional = provisional or guessed
            else:
                working = self.is_working_day(day)
            counted += working
        return day, provisional

    def working_days_between(self, start: date, end: date) -> int:
        """Age in working days: working days strictly after start, up to and including end."""
        count, day = 0, start + _ONE_DAY
        while day <= end:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count

    def deadline_end(self, start: date, n: int) -> datetime:
        """The end (24:00 Asia/Shanghai) of the Nth working day after start (民法典 art. 203)."""
        return end_of_day(self.add_working_days(start, n))

    def deadline_end_provisional(self, start: date, n: int) -> tuple[datetime, bool]:
        """As deadline_end; provisional beyond the covered years (a guess, flagged)."""
        day, provisional = self.add_working_days_provisional(start, n)
        return end_of_day(day), provisional


def calendar_for(
    profile: PolicyProfile,
    *,
    overrides: Iterable[DayOverride] = (),
    added_years: Iterable[int] = (),
) -> WorkingDayCalendar:
    """The working-day calendar a profile counts with (its 调休 switch, domain §8.1)."""
    return WorkingDayCalendar.from_package(
        overrides=overrides, added_years=added_years, count_makeup_days=profile.makeup_days_count
    )


def end_of_day(day: date) -> datetime:
    """24:00 of day in Asia/Shanghai, i.e. 00:00 of the next day (民法典 art. 203 ¶2)."""
    return datetime.combine(day + _ONE_DAY, time(0), tzinfo=SHANGHAI)


def require_aware(moment: datetime) -> None:
    """Refuse a naive datetime: every instant must carry its time zone (design.md "Time")."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass a timezone-aware datetime")


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware instant (working days are counted there)."""
    require_aware(moment)
    return moment.astimezone(SHANGHAI).date()


def add_clock_hours(moment: datetime, hours: ClockHours) -> datetime:
    """The instant `hours` elapsed clock hours after moment, ignoring the calendar (domain §8.1)."""
    require_aware(moment)
    return moment + timedelta(hours=hours.hours)
